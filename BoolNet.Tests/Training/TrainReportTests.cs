using BoolNet.Cli;
using BoolNet.Training;
using BoolNet.Training.Optimizers;
using Spectre.Console;

namespace BoolNet.Tests.Training;

/// <summary>The text of <c>boolnet train</c> (<see cref="TrainReport"/>): at most 80 columns, stalled tensors flagged.</summary>
public class TrainReportTests
{
    private static EpochResult Epoch(int epoch, double firstRatio) => new()
    {
        Epoch = epoch, TrainLoss = 0.7262, TrainAccuracy = 0.7446, TestLoss = 0.5406, TestAccuracy = 0.8155,
        Seconds = 123.45, ForwardSeconds = 40.1, BackwardSeconds = 70.2, UpdateSeconds = 13.1,
        Parameters =
        [
            new ParameterDiagnostics("10.bitplane-linear.weight", BooleanOptimizer.OptimizerName, firstRatio, 123.45) { Steps = 600, MeanStep = 8.5e-4 },
            new ParameterDiagnostics("13.boolean-linear.weight", BooleanOptimizer.OptimizerName, 1.5e-3, 2.23) { Steps = 600, MeanStep = 1.8e-2 },
            new ParameterDiagnostics("16.real-linear.weight", "adam", 0, 0.01),
        ],
    };

    [Test]
    public void EpochLinesFitEightyColumnsAndFlagOnlyTheStalledTensor()
    {
        string[] lines = TrainReport.EpochLines(Epoch(10, 1e-8)).ToArray();
        foreach (string line in lines) Assert.That(line.Length, Is.LessThanOrEqualTo(80), line);
        Assert.That(lines[2], Does.StartWith("  10.bitplane-linear.weight  flipped   0.001 %, max|m| 123.45, |eta q| 8.5E-4"));
        Assert.That(lines[3], Does.StartWith("  13.boolean-linear.weight   flipped  90.000 %"));
        Assert.That(lines.Count(l => l.Contains("stalled")), Is.EqualTo(1));
        Assert.That(lines[^1], Is.EqualTo("  ! 10.bitplane-linear.weight: stalled, 0.001 % of its weights flipped"));
        Assert.That(TrainReport.EpochLines(Epoch(10, 1e-3)).Any(l => l.Contains("stalled")), Is.False);
        Assert.That(TrainReport.EpochSummary(Epoch(3, 0), 10), Is.EqualTo("epoch 3/10 loss 0.7262 test 81.55 %, 1 stalled"));
    }

    [Test]
    public void FinalTablesFitEightyColumnsAndSumTheFlipsOverTheRun()
    {
        EpochResult[] history = [Epoch(1, 1e-4), Epoch(2, 1e-8)];
        var weights = new Dictionary<string, long> { ["10.bitplane-linear.weight"] = 802_816, ["13.boolean-linear.weight"] = 1_048_576 };
        var writer = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 80;
        console.Write(TrainReport.EpochTable(history));
        console.Write(TrainReport.TensorTable(history, weights)!);
        string[] lines = writer.ToString().Split('\n');
        foreach (string line in lines) Assert.That(line.TrimEnd().Length, Is.LessThanOrEqualTo(80), line);
        string bitPlane = lines.Single(l => l.Contains("10.bitplane-linear.weight"));
        Assert.That(bitPlane, Does.Contain("802,816").And.Contain("6.001 %").And.Contain("1 of 2"));
        string hidden = lines.Single(l => l.Contains("13.boolean-linear.weight"));
        Assert.That(hidden, Does.Contain("180.000 %").And.Contain("90.000 %").And.Contain("none"));
        Assert.That(TrainReport.TensorTable([new EpochResult { Epoch = 1 }], weights), Is.Null);
    }
}
