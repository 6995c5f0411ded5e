using BoolNet.Layers;
using BoolNet.Training;
using BoolNet.Training.Data;
using BoolNet.Training.Models;

namespace BoolNet.Tests.Training;

/// <summary>The fully discrete MLP (bold-mlp-int8): what its weights are, and that it trains reproducibly.</summary>
public class DiscreteModelTests
{
    private static Trainer NewTrainer(int threads)
    {
        ModelEntry entry = ModelCatalog.Get(ModelCatalog.DiscreteMlpModel);
        Network network = entry.Build(new TensorShape(28, 28, 1), 10, seed: 5, entry.Settings with { Hidden = [48, 32] });
        return new Trainer(network, entry.Defaults with { Epochs = 2, Seed = 5, Threads = threads });
    }

    [Test]
    public void EveryWeightIsABitOrAnInt8IntegerAndOnlyBatchNormIsReal()
    {
        Network network = NewTrainer(1).Network;
        foreach ((int layer, Parameter parameter) in network.Parameters)
        {
            ILayer owner = network.Layers[layer];
            switch (parameter)
            {
                case BooleanParameter: break;
                case IntegerParameter integer:
                    Assert.That(integer.Range, Is.EqualTo(IntegerRange.Int8), $"{owner.Kind}.{parameter.Name}");
                    Assert.That(integer.Value.All(v => v is >= -127 and <= 127));
                    break;
                default:
                    Assert.That(owner, Is.InstanceOf<BatchNorm>(), $"{owner.Kind}.{parameter.Name} is {parameter.GetType().Name}");
                    break;
            }
        }
        Assert.That(network.Layers[0], Is.InstanceOf<IntegerLinear>());
        Assert.That(network.Layers[^2], Is.InstanceOf<IntegerLinear>());
        Assert.That(network.Layers.OfType<BooleanLinear>().Count(), Is.EqualTo(1));
    }

    [Test]
    public void TrainsTheSameWeightsOnOneAndTwoThreadsAndTheIntegerLayersMove()
    {
        Dataset data = TrainerTests.Synthetic(600, 100);
        Trainer one = NewTrainer(1), two = NewTrainer(2);
        int[] initial = (int[])((IntegerLinear)one.Network.Layers[0]).Weight.Value.Clone();
        one.Run(data);
        two.Run(data);
        Assert.That(ParameterStorage.Hash(two.Network), Is.EqualTo(ParameterStorage.Hash(one.Network)));
        Assert.That(two.History[^1].TrainLoss, Is.EqualTo(one.History[^1].TrainLoss));
        int[] trained = ((IntegerLinear)one.Network.Layers[0]).Weight.Value;
        Assert.That(trained.Zip(initial).Count(p => p.First != p.Second), Is.GreaterThan(trained.Length / 100),
            "step with reset moves the int8 first layer");
        Assert.That(one.History[^1].Parameters.Where(p => p.Optimizer == "step-with-reset").All(p => p.FlipRatio > 0));
    }
}
