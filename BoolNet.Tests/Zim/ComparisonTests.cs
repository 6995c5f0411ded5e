using BoolNet.Cli;
using BoolNet.Layers;
using BoolNet.Training;
using BoolNet.Training.Compare;
using BoolNet.Training.Data;
using BoolNet.Training.Models;
using BoolNet.Training.Optimizers.Zim;

namespace BoolNet.Tests.Zim;

/// <summary>The comparison runner and report on a tiny synthetic dataset, and ZIM inside the trainer.</summary>
public class ComparisonTests
{
    /// <summary>28x28 images whose class (0..3) is the bright quadrant, with noise.</summary>
    private static Dataset Quadrants(int train, int test, int seed)
    {
        var random = new Random(seed);
        LabeledImages Make(int count)
        {
            var pixels = new byte[count * 784];
            var labels = new byte[count];
            for (int n = 0; n < count; n++)
            {
                int label = random.Next(4);
                labels[n] = (byte)label;
                for (int y = 0; y < 28; y++)
                    for (int x = 0; x < 28; x++)
                    {
                        bool bright = (y < 14 ? 0 : 2) + (x < 14 ? 0 : 1) == label;
                        pixels[n * 784 + y * 28 + x] = (byte)Math.Clamp((bright ? 150 : 40) + random.Next(-40, 41), 0, 255);
                    }
            }
            return new LabeledImages(pixels, labels, new TensorShape(28, 28, 1));
        }
        return new Dataset("quadrants", Make(train), Make(test), 4);
    }

    [Test]
    public void ZimTrainsTheIntegerMlpInsideTheTrainer()
    {
        Dataset data = Quadrants(512, 200, 1);
        Network network = ModelCatalog.BuildComparisonMlp(new ModelRequest(data.Train.Shape, 4, 1, new ModelSettings()), WeightKind.Integer);
        int[] before = network.Parameters.Select(p => p.Parameter).OfType<IntegerParameter>().First().Value.ToArray();
        var trainer = new Trainer(network, new TrainingOptions
        {
            Epochs = 2,
            BatchSize = 32,
            IntegerOptimizerFactory = ZimOptimizer.Factory(new ZimOptions { Eta = 1 }),
        });
        IReadOnlyList<EpochResult> history = trainer.Run(data);
        Assert.That(history[^1].TestAccuracy, Is.GreaterThan(0.9), "an easy 4-class problem is learnt");
        int[] after = network.Parameters.Select(p => p.Parameter).OfType<IntegerParameter>().First().Value;
        Assert.That(after, Is.Not.EqualTo(before), "integer weights moved");
    }

    [Test]
    public void RunnerEvaluatesEveryOptimizerAndSeedAndTheReportRoundTrips()
    {
        Dataset data = Quadrants(128, 64, 2);
        var options = new ComparisonOptions
        {
            Model = "mlp",
            Optimizers = ["sgd", "zim", "bold"],
            Seeds = [1, 2],
            Epochs = 1,
            BatchSize = 32,
            EvaluateEvery = 2,
            Zim = new ZimOptions { Eta = 1 },
        };
        ComparisonResult result = ComparisonRunner.Run(options, data);
        foreach (string optimizer in options.Optimizers)
            foreach (int seed in options.Seeds)
            {
                long[] steps = result.Points.Where(p => p.Optimizer == optimizer && p.Seed == seed).Select(p => p.Step).ToArray();
                Assert.That(steps, Is.EqualTo(new long[] { 0, 2, 4 }), $"{optimizer} seed {seed}: step 0, every 2 batches, end");
            }
        Assert.That(result.Timings.Count, Is.EqualTo(6));
        Assert.That(result.Timings.Single(t => t.Optimizer == "zim" && t.Seed == 1).Sampling, Is.GreaterThan(0));
        Assert.That(result.Points.Where(p => p.Optimizer == "bold").Select(p => p.Parameters.Boolean), Is.All.GreaterThan(0));
        Assert.That(result.Points.Where(p => p.Optimizer == "zim").Select(p => p.Parameters.Integer), Is.All.GreaterThan(0));
        Assert.That(result.Points.Where(p => p.Optimizer == "sgd").Select(p => p.Parameters), Is.All.EqualTo(new ParameterCounts(0, 0, 784 * 128 + 128 + 128 * 4 + 4)));

        string directory = Path.Combine(Path.GetTempPath(), $"boolnet-compare-{Guid.NewGuid():N}");
        try
        {
            ComparisonReport.Write(directory, result, "test");
            Assert.That(new FileInfo(Path.Combine(directory, "comparison.png")).Length, Is.GreaterThan(1000));
            List<ComparisonPoint> read = ComparisonReport.ReadPoints(Path.Combine(directory, "comparison.csv"));
            Assert.That(read.Count, Is.EqualTo(result.Points.Count));
            Assert.That(read[1].TestAccuracy, Is.EqualTo(result.Points[1].TestAccuracy).Within(1e-6));
            ComparisonResult merged = ComparisonReport.Combine([directory, directory], options);
            Assert.That(merged.Timings.Count, Is.EqualTo(12));
            string summary = ComparisonReport.Summary(merged);
            Assert.That(summary, Does.Contain("zim "));
            Assert.That(summary.Split('\n').Max(line => line.Length), Is.LessThanOrEqualTo(80), summary);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void BoldMlpTrainsBooleanWeightsOfTheComparisonShapesByFlipWithReset()
    {
        // A larger eta than the default 0.1: this easy problem gives the small head few strong signals in 40 steps.
        Dataset data = Quadrants(640, 200, 4);
        var options = new ComparisonOptions { Model = "mlp", Optimizers = ["bold"], Seeds = [1], Epochs = 2, BatchSize = 32, BooleanLearningRate = 0.5 };
        (Network network, TrainingOptions training, _) = ComparisonRunner.Prepare(options, data, "bold", 1);
        BooleanParameter[] boolean = network.Parameters.Select(p => p.Parameter).OfType<BooleanParameter>().ToArray();
        Assert.That(boolean.Select(p => (p.Weights.Rows, p.Weights.Columns)), Is.EqualTo(new[] { (128, 784), (4, 128) }),
            "the 784-128-10 shapes of the sgd and zim MLPs (4 classes here), every weight Boolean");
        Assert.That(ParameterCounts.Of(network), Is.EqualTo(new ParameterCounts(128 * 784 + 4 * 128, 0, 2 * 128)),
            "only the batch-norm scales and shifts are float");
        ulong[][] before = boolean.Select(p => p.Weights.Words.ToArray()).ToArray();

        var trainer = new Trainer(network, training);
        IReadOnlyList<EpochResult> history = trainer.Run(data);
        foreach (ParameterDiagnostics diagnostics in history.SelectMany(r => r.Parameters).Where(p => p.Parameter.EndsWith(".weight", StringComparison.Ordinal)))
            Assert.That(diagnostics.Optimizer, Is.EqualTo("flip-with-reset"), diagnostics.Parameter);
        for (int i = 0; i < boolean.Length; i++)
            Assert.That(boolean[i].Weights.Words, Is.Not.EqualTo(before[i]), $"Boolean tensor {i} flipped");
        Assert.That(history.SelectMany(r => r.Parameters).Where(p => p.Optimizer == "flip-with-reset").Sum(p => p.FlipRatio), Is.GreaterThan(0));
        Assert.That(history[^1].TestAccuracy, Is.GreaterThan(0.9), "an easy 4-class problem is learnt");
    }

    [Test]
    public void BoldCnnHasBooleanConvolutions()
    {
        Dataset data = Quadrants(32, 16, 3);
        var options = new ComparisonOptions { Model = "cnn", Optimizers = ["bold"], Seeds = [1], Epochs = 1 };
        (Network network, _, _) = ComparisonRunner.Prepare(options, data, "bold", 1);
        Assert.That(network.Layers.OfType<BooleanConvolution2D>().Select(c => c.OutputShape.Channels), Is.EqualTo(new[] { 32, 64 }));
        ParameterCounts counts = ParameterCounts.Of(network);
        Assert.That(counts.Integer, Is.Zero);
        Assert.That(counts.Boolean, Is.EqualTo(9 * 3 * 32 + 9 * 32 * 64 + 3136 * 128 + 128 * 4));
        ComparisonResult result = ComparisonRunner.Run(options, data);
        Assert.That(result.Points.Where(p => p.Optimizer == "bold"), Is.Not.Empty, "bold runs on the CNN too");
        Assert.That(result.Points.All(p => p.Parameters == counts));
    }

    [Test]
    public void CsvCarriesTheParameterCountsOfEveryRow()
    {
        var points = new[]
        {
            new ComparisonPoint("sgd", 1, 0, 0, 0.1, 2.3, double.NaN, new ParameterCounts(0, 0, 101770)),
            new ComparisonPoint("bold", 1, 1, 938, 0.8, 0.6, 0.55, new ParameterCounts(101632, 0, 256)),
        };
        string csv = ComparisonReport.PointsCsv(points);
        string[] lines = csv.TrimEnd('\n').Split('\n');
        Assert.That(lines[0].Split(','), Is.SupersetOf(new[] { "boolean_params", "integer_params", "float_params" }));
        Assert.That(lines[2], Does.EndWith(",101632,0,256"));
        string path = Path.Combine(Path.GetTempPath(), $"boolnet-points-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, csv);
        try
        {
            Assert.That(ComparisonReport.ReadPoints(path).Select(p => p.Parameters), Is.EqualTo(points.Select(p => p.Parameters)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void SeedsParseAsACountOrAList()
    {
        Assert.That(TrainingCommands.ParseSeeds("3"), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(TrainingCommands.ParseSeeds("4,7"), Is.EqualTo(new[] { 4, 7 }));
        Assert.That(TrainingCommands.ParseSeeds("5,"), Is.EqualTo(new[] { 5 }));
        Assert.Throws<ArgumentException>(() => TrainingCommands.ParseSeeds("0"));
        Assert.Throws<ArgumentException>(() => TrainingCommands.ParseSeeds("1,1"));
        Assert.Throws<ArgumentException>(() => TrainingCommands.ParseSeeds("x"));
    }

    [Test]
    public void InvalidOptionsAndFilesAreRejectedClearly()
    {
        Assert.Throws<ArgumentException>(() => new ComparisonOptions { Model = "resnet" }.Validate());
        Assert.Throws<ArgumentException>(() => new ComparisonOptions { Optimizers = ["adam"] }.Validate());
        string path = Path.Combine(Path.GetTempPath(), $"boolnet-bad-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, ComparisonReport.PointsHeader + "\nsgd,1,0,0,abc,1,,0,0,10\n");
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => ComparisonReport.ReadPoints(path));
            Assert.That(error!.Message, Does.Contain(path).And.Contain("line 2"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
