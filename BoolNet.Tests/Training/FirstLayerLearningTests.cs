using BoolNet.Layers;
using BoolNet.Training;
using BoolNet.Training.Data;
using BoolNet.Training.Models;
using BoolNet.Training.Optimizers;

namespace BoolNet.Tests.Training;

/// <summary>
/// Every Boolean tensor learns (issue 16): a bit-plane first layer on sparse 8-bit inputs stalls under
/// the hidden layers' raw eta, which the epoch report flags, and flips under the per-tensor signal
/// normalisation (<see cref="BooleanOptimizerOptions.NormalizeSignal"/>), reproducibly on any thread count.
/// </summary>
public class FirstLayerLearningTests
{
    private static readonly TensorShape Shape = new(28, 28, 1);

    /// <summary>
    /// 10 classes of sparse images, like Fashion-MNIST's dark background: each prototype lights about
    /// 20 % of the pixels (values 64..255), the rest are 0; a sample keeps each lit pixel with
    /// probability 0.8 and lights 2 % of the others.
    /// </summary>
    internal static Dataset Sparse(int train = 1000, int test = 300)
    {
        var random = new Random(321);
        var prototypes = new byte[10][];
        for (int c = 0; c < 10; c++)
        {
            prototypes[c] = new byte[Shape.Size];
            for (int i = 0; i < Shape.Size; i++) prototypes[c][i] = random.Next(5) == 0 ? (byte)random.Next(64, 256) : (byte)0;
        }
        LabeledImages Make(int count)
        {
            var pixels = new byte[count * Shape.Size];
            var labels = new byte[count];
            for (int k = 0; k < count; k++)
            {
                int c = random.Next(10);
                labels[k] = (byte)c;
                for (int i = 0; i < Shape.Size; i++)
                {
                    byte lit = prototypes[c][i];
                    pixels[k * Shape.Size + i] = lit != 0 ? (random.Next(5) == 0 ? (byte)0 : lit) : (random.Next(50) == 0 ? (byte)random.Next(256) : (byte)0);
                }
            }
            return new LabeledImages(pixels, labels, Shape);
        }
        return new Dataset("sparse", Make(train), Make(test), 10);
    }

    private static readonly ModelSettings Settings = new() { Hidden = [64, 64], InputBits = 8, FirstLayerSignalPlanes = 0, SignalPlanes = 4 };

    private static Trainer Train(BooleanOptimizerOptions boolean, int threads)
    {
        var trainer = new Trainer(ModelCatalog.BuildMlp(new ModelRequest(Shape, 10, 5, Settings)),
            new TrainingOptions { Epochs = 2, BatchSize = 50, Seed = 5, Threads = threads, Boolean = boolean });
        trainer.Run(Sparse());
        return trainer;
    }

    private static ParameterDiagnostics[] BooleanTensors(EpochResult r) =>
        r.Parameters.Where(p => p.Optimizer == BooleanOptimizer.OptimizerName).ToArray();

    [Test]
    public void ABitPlaneFirstLayerOnSparseBytesStallsUnderRawEtaAndFlipsWhenNormalised()
    {
        // Raw eta 30: the hidden layer flips a few % of its weights per epoch, the first layer none.
        Trainer raw = Train(new BooleanOptimizerOptions { LearningRate = 30 }, 2);
        foreach (EpochResult r in raw.History)
        {
            ParameterDiagnostics[] tensors = BooleanTensors(r);
            Assert.That(tensors.Select(p => p.Parameter), Is.EqualTo(new[] { "0.bitplane-linear.weight", "3.boolean-linear.weight" }));
            Assert.That(tensors[0].Steps, Is.EqualTo(20));
            Assert.That(tensors[0].FlipRatio, Is.Zero);
            Assert.That(tensors[0].Stalled, $"epoch {r.Epoch}: the first layer must be flagged");
            Assert.That(tensors[0].StepsWithoutFlip, Is.EqualTo(20));
            Assert.That(tensors[1].FlippedFraction, Is.GreaterThan(1e-2));
            Assert.That(tensors[1].Stalled, Is.False);
        }

        // Normalised, eta 0.1 (the RMS push of every tensor): both flip over 1 % of their weights per epoch.
        Trainer one = Train(new BooleanOptimizerOptions { LearningRate = 0.1, NormalizeSignal = true }, 1);
        Trainer two = Train(new BooleanOptimizerOptions { LearningRate = 0.1, NormalizeSignal = true }, 2);
        foreach (EpochResult r in two.History)
            foreach (ParameterDiagnostics p in BooleanTensors(r))
            {
                Assert.That(p.FlippedFraction, Is.GreaterThan(1e-2), $"{p.Parameter}, epoch {r.Epoch}");
                Assert.That(p.Stalled, Is.False);
            }
        Assert.That(two.History[^1].TestAccuracy, Is.GreaterThan(raw.History[^1].TestAccuracy + 0.05), "a first layer that learns does better");
        Assert.That(ParameterStorage.Hash(two.Network), Is.EqualTo(ParameterStorage.Hash(one.Network)), "the same weights on 1 and 2 threads");
        Assert.That(two.History.Select(r => r.TrainLoss), Is.EqualTo(one.History.Select(r => r.TrainLoss)));
    }

    [Test]
    public void TheStallFlagComparesTheEpochsFlipsWithATenThousandthOfTheWeights()
    {
        var flipping = new ParameterDiagnostics("0.bitplane-linear.weight", BooleanOptimizer.OptimizerName, 2e-7, 1) { Steps = 600 };
        var stalled = flipping with { FlipRatio = 1e-7 };
        Assert.That(flipping.FlippedFraction, Is.EqualTo(1.2e-4).Within(1e-12));
        Assert.That(flipping.Stalled, Is.False);
        Assert.That(stalled.Stalled, "6e-5 of the weights over the epoch");
        Assert.That((stalled with { Optimizer = "adam" }).Stalled, Is.False, "only Boolean tensors flip");
        Assert.That((stalled with { Steps = 0 }).Stalled, Is.False, "a history without step counts flags nothing");
    }
}
