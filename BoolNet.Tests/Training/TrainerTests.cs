using BoolNet.Layers;
using BoolNet.Training;
using BoolNet.Training.Data;
using BoolNet.Training.Models;
using BoolNet.Training.Optimizers;

namespace BoolNet.Tests.Training;

/// <summary>Reproducibility, resume and learning of the trainer on a small synthetic image task.</summary>
[Category("Isa")]
public class TrainerTests
{
    private static readonly TensorShape Shape = new(28, 28, 1);

    /// <summary>10 random prototype images; each sample is its class prototype with 25% of pixels redrawn.</summary>
    internal static Dataset Synthetic(int train = 2000, int test = 500)
    {
        var random = new Random(123);
        var prototypes = new byte[10][];
        for (int c = 0; c < 10; c++)
        {
            prototypes[c] = new byte[Shape.Size];
            for (int i = 0; i < Shape.Size; i++) prototypes[c][i] = random.Next(3) == 0 ? (byte)0 : (byte)random.Next(256);
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
                    pixels[k * Shape.Size + i] = random.Next(4) == 0 ? (byte)random.Next(256) : prototypes[c][i];
            }
            return new LabeledImages(pixels, labels, Shape);
        }
        return new Dataset("synthetic", Make(train), Make(test), 10);
    }

    private static readonly ModelSettings Small = new() { Hidden = [96, 64], SignalPlanes = 4, Rounding = BoolNet.Core.Operators.SignalRounding.Stochastic };

    private static TrainingOptions Options(int threads, int epochs = 2) => new()
    {
        Epochs = epochs, BatchSize = 100, Seed = 9, Threads = threads,
        Boolean = new BooleanOptimizerOptions { LearningRate = 0.2, NormalizeSignal = true },
    };

    private static Trainer NewTrainer(int threads, int epochs = 2) =>
        new(ModelCatalog.BuildMlp(new ModelRequest(Shape, 10, 9, Small)), Options(threads, epochs));

    private static void AssertSameWeights(Network a, Network b)
    {
        var pa = a.Parameters.Select(p => p.Parameter).ToArray();
        var pb = b.Parameters.Select(p => p.Parameter).ToArray();
        Assert.That(pa.Length, Is.EqualTo(pb.Length));
        for (int i = 0; i < pa.Length; i++)
        {
            switch (pa[i])
            {
                case BooleanParameter x: Assert.That(x.Weights.ContentEquals(((BooleanParameter)pb[i]).Weights), $"parameter {i}"); break;
                case RealParameter x: Assert.That(x.Value, Is.EqualTo(((RealParameter)pb[i]).Value), $"parameter {i}"); break;
            }
        }
        for (int l = 0; l < a.Layers.Count; l++)
            if (a.Layers[l] is IHasBuffers ba)
                for (int j = 0; j < ba.Buffers.Count; j++)
                    Assert.That(ba.Buffers[j].Values, Is.EqualTo(((IHasBuffers)b.Layers[l]).Buffers[j].Values));
    }

    [Test]
    public void SameSeedGivesTheSameMetricsAndWeightsForOneAndTwoThreads()
    {
        Dataset data = Synthetic();
        Trainer one = NewTrainer(1), two = NewTrainer(2);
        one.Run(data);
        two.Run(data);
        for (int e = 0; e < 2; e++)
        {
            Assert.That(two.History[e].TrainLoss, Is.EqualTo(one.History[e].TrainLoss));
            Assert.That(two.History[e].TestAccuracy, Is.EqualTo(one.History[e].TestAccuracy));
            Assert.That(two.History[e].Parameters.Select(p => p.FlipRatio), Is.EqualTo(one.History[e].Parameters.Select(p => p.FlipRatio)));
        }
        Assert.That(one.History[^1].Parameters.Where(p => p.Optimizer == "flip-with-reset").All(p => p.FlipRatio > 0), "Boolean weights must flip");
        AssertSameWeights(one.Network, two.Network);
    }

    /// <summary>
    /// The Boolean step fused into the backward (<see cref="TrainingOptions.FuseBooleanStep"/>, the
    /// default) gives the weights, accumulators, flips and metrics of the separate step, on 1 and 2
    /// threads, with and without accumulator clipping, for every layer that fuses it: the bit-plane
    /// first layer and the dense layers (quantised, and exact with a Boolean bias, which is left to the
    /// optimizer's own pass), and the convolutions (a thermometer first conv and a padded hidden one);
    /// also with the signal normalised by the previous step's RMS (the first step unfused, then fused).
    /// </summary>
    [TestCase(1, 0.0, "mlp")]
    [TestCase(2, 0.0, "mlp")]
    [TestCase(2, 1.5, "mlp")]
    [TestCase(2, 0.0, "mlp-exact-bias")]
    [TestCase(1, 0.0, "cnn")]
    [TestCase(2, 1.5, "cnn")]
    [TestCase(2, 0.0, "mlp", true)]
    [TestCase(1, 1.5, "mlp-8-bits", true)]
    [TestCase(2, 0.0, "cnn", true)]
    public void FusedBooleanStepEqualsTheSeparateStep(int threads, double clip, string network, bool normalize = false)
    {
        Dataset data = network == "cnn" ? Synthetic(train: 400, test: 100) : Synthetic();
        Network Build() => network switch
        {
            "mlp" => ModelCatalog.BuildMlp(new ModelRequest(Shape, 10, 9, Small)),
            "mlp-8-bits" => ModelCatalog.BuildMlp(new ModelRequest(Shape, 10, 9, Small with { InputBits = 8, FirstLayerSignalPlanes = 0 })),
            "mlp-exact-bias" => ModelCatalog.BuildMlp(new ModelRequest(Shape, 10, 9, Small with { First = FirstLayerKind.Thermometer, SignalPlanes = 0, BooleanBias = true })),
            _ => ModelCatalog.BuildConvolutional(new ModelRequest(Shape, 10, 9, Small with { Hidden = [32], First = FirstLayerKind.Thermometer }),
                [new ModelCatalog.ConvolutionStage(8, true), new ModelCatalog.ConvolutionStage(16, false)]),
        };
        Trainer Make(bool fuse) => new(Build(), Options(threads) with
        {
            FuseBooleanStep = fuse,
            Boolean = new BooleanOptimizerOptions { LearningRate = normalize ? 0.1 : network == "cnn" ? 3000 : 30, Clip = clip, NormalizeSignal = normalize },
        });
        Trainer separate = Make(false), fused = Make(true);
        separate.Run(data);
        fused.Run(data);
        for (int e = 0; e < 2; e++)
        {
            Assert.That(fused.History[e].TrainLoss, Is.EqualTo(separate.History[e].TrainLoss));
            Assert.That(fused.History[e].Parameters.Select(p => p.FlipRatio), Is.EqualTo(separate.History[e].Parameters.Select(p => p.FlipRatio)));
            Assert.That(fused.History[e].Parameters.Select(p => p.MaxAccumulator), Is.EqualTo(separate.History[e].Parameters.Select(p => p.MaxAccumulator)));
        }
        Assert.That(fused.History[^1].Parameters.Where(p => p.Optimizer == "flip-with-reset").Sum(p => p.FlipRatio), Is.GreaterThan(0), "Boolean weights must flip");
        AssertSameWeights(separate.Network, fused.Network);
        var separateOptimizer = (BooleanOptimizer)separate.Groups[0].Optimizer;
        var fusedOptimizer = (BooleanOptimizer)fused.Groups[0].Optimizer;
        foreach ((BooleanParameter a, BooleanParameter b) in separate.Groups[0].Parameters.OfType<BooleanParameter>()
                     .Zip(fused.Groups[0].Parameters.OfType<BooleanParameter>()))
        {
            Assert.That(fusedOptimizer.Accumulator(b), Is.EqualTo(separateOptimizer.Accumulator(a)));
            Assert.That(fusedOptimizer.Beta(b), Is.EqualTo(separateOptimizer.Beta(a)));
        }
    }

    [Test]
    public void ResumedRunReachesTheSameFinalWeightsAsAnUninterruptedOne()
    {
        Dataset data = Synthetic();
        Trainer straight = NewTrainer(2, epochs: 3);
        straight.Run(data);

        string folder = Path.Combine(Path.GetTempPath(), $"boolnet-resume-{Guid.NewGuid():N}");
        try
        {
            string path = Path.Combine(folder, "checkpoint.bin");
            var header = new CheckpointHeader { Model = "bold-mlp", Settings = Small, Options = Options(2, 3), Dataset = "synthetic", InputShape = [28, 28, 1], Classes = 10 };
            Trainer first = NewTrainer(2, epochs: 3);
            first.TrainEpoch(data); // "interrupted" after epoch 1
            Checkpoint.Save(path, header, first);

            CheckpointHeader read = Checkpoint.ReadHeader(path);
            Assert.That(read.Settings.Hidden, Is.EqualTo(Small.Hidden));
            Assert.That(read.History.Count, Is.EqualTo(1));
            Trainer resumed = new(ModelCatalog.BuildMlp(new ModelRequest(Shape, 10, 9, read.Settings)), read.Options);
            Checkpoint.Load(path, resumed);
            Assert.That(resumed.CompletedEpochs, Is.EqualTo(1));
            resumed.Run(data);
            Assert.That(resumed.History.Select(r => r.TestAccuracy), Is.EqualTo(straight.History.Select(r => r.TestAccuracy)));
            Assert.That(resumed.History[^1].TrainLoss, Is.EqualTo(straight.History[^1].TrainLoss));
            AssertSameWeights(straight.Network, resumed.Network);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void TrainingLearnsTheSyntheticTask()
    {
        Trainer trainer = NewTrainer(2);
        trainer.Run(Synthetic());
        Assert.That(trainer.History[^1].TestAccuracy, Is.GreaterThan(0.8), "far above the 10% of chance");
        Assert.That(trainer.History[^1].TrainLoss, Is.LessThan(trainer.History[0].TrainLoss));
    }

    [Test]
    public void CorruptOrMismatchedCheckpointsFailWithTheFileName()
    {
        string path = Path.Combine(Path.GetTempPath(), $"boolnet-bad-{Guid.NewGuid():N}.bin");
        try
        {
            File.WriteAllBytes(path, [1, 2, 3]);
            var error = Assert.Throws<CheckpointFormatException>(() => Checkpoint.ReadHeader(path));
            Assert.That(error!.Message, Does.Contain(path));
            Trainer trainer = NewTrainer(1, epochs: 1);
            Checkpoint.Save(path, new CheckpointHeader { Model = "bold-mlp", Settings = Small, Options = Options(1), Dataset = "synthetic", InputShape = [28, 28, 1], Classes = 10 }, trainer);
            var other = new Trainer(ModelCatalog.BuildMlp(new ModelRequest(Shape, 10, 9, Small with { Hidden = [32] })), Options(1));
            Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path, other));
            byte[] bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
            Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path, NewTrainer(1, epochs: 1)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void IntegerParametersNeedASuppliedOptimizer()
    {
        var network = new Network([new IntegerProbe()]);
        Assert.Throws<InvalidOperationException>(() => new Trainer(network, new TrainingOptions()));
        var trainer = new Trainer(network, new TrainingOptions { IntegerOptimizerFactory = ps => new SgdOptimizer(new RealOptimizerOptions()) });
        Assert.That(trainer.Groups.Single().Parameters.Single(), Is.InstanceOf<IntegerParameter>());
    }

    private sealed class IntegerProbe : ILayer
    {
        public string Kind => "probe";
        public TensorShape InputShape => TensorShape.Vector(1);
        public TensorShape OutputShape => TensorShape.Vector(1);
        public bool OutputIsBits => false;
        public IReadOnlyList<Parameter> Parameters { get; } = [new IntegerParameter("w", 1)];
        public Batch Forward(Batch input, LayerContext context) => input;
        public float[]? Backward(float[] outputGradient, LayerContext context) => outputGradient;
    }
}
