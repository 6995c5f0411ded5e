using BoolNet.Layers;
using BoolNet.Training;
using BoolNet.Training.Data;
using BoolNet.Training.Models;

namespace BoolNet.Tests.Training;

/// <summary>The discrete CNN (bold-cnn-discrete): what its weights are, and that it trains reproducibly.</summary>
public class DiscreteCnnModelTests
{
    private static Trainer NewTrainer(int threads, int seed = 7)
    {
        ModelEntry entry = ModelCatalog.Get(ModelCatalog.DiscreteCnnModel);
        Network network = entry.Build(new TensorShape(28, 28, 1), 10, seed, entry.Settings with { Hidden = [32] });
        return new Trainer(network, entry.Defaults with { Epochs = 1, BatchSize = 50, Seed = seed, Threads = threads });
    }

    [Test]
    public void EveryWeightIsABitOrAnInt8IntegerAndOnlyBatchNormIsReal()
    {
        Network network = NewTrainer(1).Network;
        int integers = 0;
        foreach ((int layer, Parameter parameter) in network.Parameters)
        {
            ILayer owner = network.Layers[layer];
            switch (parameter)
            {
                case BooleanParameter: break;
                case IntegerParameter integer:
                    Assert.That(integer.Range, Is.EqualTo(IntegerRange.Int8), $"{owner.Kind}.{parameter.Name}");
                    Assert.That(integer.Value.All(v => v is >= -127 and <= 127));
                    integers++;
                    break;
                default:
                    Assert.That(owner, Is.InstanceOf<BatchNorm>(), $"{owner.Kind}.{parameter.Name} is {parameter.GetType().Name}");
                    break;
            }
        }
        Assert.That(integers, Is.EqualTo(2), "the first convolution's and the head's weights, no integer bias");
        Assert.That(network.Layers[0], Is.InstanceOf<IntegerConvolution>());
        Assert.That(network.Layers[^2], Is.InstanceOf<IntegerLinear>());
        Assert.That(network.Layers[^1], Is.InstanceOf<LayerNorm>());
        Assert.That(network.Layers.OfType<BooleanConvolution2D>().Count(), Is.EqualTo(2));
        Assert.That(network.Layers.OfType<BooleanLinear>().Count(), Is.EqualTo(1));
    }

    [Test]
    public void OneSmallEpochGivesTheSameWeightsOnOneAndTwoThreadsAndEveryLayerMoves()
    {
        Dataset data = TrainerTests.Synthetic(100, 50);
        Trainer one = NewTrainer(1), two = NewTrainer(2), other = NewTrainer(1, seed: 8);
        var first = (IntegerConvolution)one.Network.Layers[0];
        var head = (IntegerLinear)one.Network.Layers[^2];
        int[] firstBefore = (int[])first.Weight.Value.Clone(), headBefore = (int[])head.Weight.Value.Clone();
        one.Run(data);
        two.Run(data);
        other.Run(data);
        Assert.That(one.Step, Is.EqualTo(2), "two steps of 50 images");
        Assert.That(ParameterStorage.Hash(two.Network), Is.EqualTo(ParameterStorage.Hash(one.Network)));
        Assert.That(two.History[^1].TrainLoss, Is.EqualTo(one.History[^1].TrainLoss));
        Assert.That(ParameterStorage.Hash(other.Network), Is.Not.EqualTo(ParameterStorage.Hash(one.Network)), "the seed matters");
        Assert.That(first.Weight.Value, Is.Not.EqualTo(firstBefore), "step with reset moves the int8 first convolution");
        Assert.That(head.Weight.Value, Is.Not.EqualTo(headBefore), "step with reset moves the int8 head");
        Assert.That(one.History[^1].Parameters.Where(p => p.Optimizer == "flip-with-reset").All(p => p.FlipRatio > 0),
            "every Boolean layer flips");
    }
}
