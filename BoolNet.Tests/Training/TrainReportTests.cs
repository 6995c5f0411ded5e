using BoolNet.Cli;
using BoolNet.Training;
using BoolNet.Training.Optimizers;
using BoolNet.Training.IO;

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
        string[] lines = TrainReport.EpochLines(Epoch(10, 1e-8), 10, 600).ToArray();
        foreach (string line in lines) Assert.That(line.Length, Is.LessThanOrEqualTo(80), line);
        Assert.That(lines[0], Is.EqualTo("epoch 10/10  600/600  123 s  206 ms/step  loss 0.7262  acc 74.46 %  test 81.55 %"));
        Assert.That(lines[1], Does.StartWith("  test loss 0.5406; seconds: forward 40.1, backward 70.2, update 13.1"));
        Assert.That(lines[2], Does.StartWith("  10.bitplane-linear.weight  flipped   0.001 %, max|m| 123.45, |eta q| 8.5E-4"));
        Assert.That(lines[3], Does.StartWith("  13.boolean-linear.weight   flipped  90.000 %"));
        Assert.That(lines.Count(l => l.Contains("stalled")), Is.EqualTo(1));
        Assert.That(lines[^1], Is.EqualTo("  ! 10.bitplane-linear.weight: stalled, 0.001 % of its weights flipped"));
        Assert.That(TrainReport.EpochLines(Epoch(10, 1e-3), 10, 600).Any(l => l.Contains("stalled")), Is.False);
    }

    [Test]
    public void EpochLineOfALongRunStillFitsEightyColumns()
    {
        var slow = new EpochResult { Epoch = 100, TrainLoss = 0.3456, TrainAccuracy = 0.9999, TestLoss = 1, TestAccuracy = 0.9999, Seconds = 999.4 };
        string line = TrainReport.EpochLine(slow, 100, 6000);
        Assert.That(line.Length, Is.LessThanOrEqualTo(80), line);
        Assert.That(line, Does.StartWith("epoch 100/100 6000/6000 999 s 167 ms/step"));
    }

    [Test]
    public void ProgressLineNeverReachesTheLastColumnAndGrowsItsBarWithTheWindow()
    {
        var middle = new BatchProgress(3, 234, 469, 0.41234, 0.8521, 2.5);
        foreach (int columns in new[] { 40, 60, 80, 120, 160, 300 })
        {
            string line = TrainReport.ProgressLine(middle, 10, columns);
            Assert.That(line.Length, Is.LessThan(columns), $"{columns}: {line}");
            Assert.That(line, Does.StartWith("epoch 3/10  234/469"));
        }
        string at80 = TrainReport.ProgressLine(middle, 10, 80), at160 = TrainReport.ProgressLine(middle, 10, 160);
        Assert.That(at80, Does.Contain("[").And.Contain("eta 2.5 s").And.Contain("11 ms/step").And.Contain("loss 0.4123").And.Contain("acc 85.21 %"));
        Assert.That(at160, Does.Contain("[" + new string('=', 13) + ">" + new string(' ', 16) + "]"));
        string last = TrainReport.ProgressLine(middle with { Batch = 469, Seconds = 5.1 }, 10, 80);
        Assert.That(last, Does.Contain("469/469").And.Contain("5.1 s").And.EndWith("testing"));
        Assert.That(last, Does.Not.Contain("eta"));
    }

    [Test]
    public void FinalTablesFitEightyColumnsAndSumTheFlipsOverTheRun()
    {
        EpochResult[] history = [Epoch(1, 1e-4), Epoch(2, 1e-8)];
        var weights = new Dictionary<string, long> { ["10.bitplane-linear.weight"] = 802_816, ["13.boolean-linear.weight"] = 1_048_576 };
        string text = TrainReport.EpochTable(history, 600) + TrainReport.TensorTable(history, weights);
        string[] lines = text.Split('\n');
        foreach (string line in lines) Assert.That(line.Length, Is.LessThanOrEqualTo(80), line);
        Assert.That(lines.Single(l => l.TrimStart().StartsWith("2 ")), Does.Contain("74.46 %").And.Contain("81.55 %").And.Contain("123.45").And.Contain("205.8"));
        string bitPlane = lines.Single(l => l.Contains("10.bitplane-linear.weight"));
        Assert.That(bitPlane, Does.Contain("802,816").And.Contain("6.001 %").And.Contain("1 of 2"));
        string hidden = lines.Single(l => l.Contains("13.boolean-linear.weight"));
        Assert.That(hidden, Does.Contain("180.000 %").And.Contain("90.000 %").And.Contain("none"));
        Assert.That(TrainReport.TensorTable([new EpochResult { Epoch = 1 }], weights), Is.Null);
    }

    [Test]
    public void LossAxisIsCutOnlyForSpikes()
    {
        Assert.That(TrainPlots.LossAxisLimit([2.3, 0.6, 0.45, 0.4, 0.38, 1.9, 0.5, 0.45, 0.42, 0.41]), Is.Null, "a normal falling curve stays whole");
        Assert.That(TrainPlots.LossAxisLimit([0.79, 0.45, 0.36, 0.61, 0.5, 0.5]), Is.Null);
        double? limit = TrainPlots.LossAxisLimit([27, 0.45, 0.36, 0.6, 0.5, 0.5]);
        Assert.That(limit, Is.Not.Null.And.GreaterThan(0.6).And.LessThan(3));
        Assert.That(TrainPlots.LossAxisLimit([double.NaN, 0.5, 0.4]), Is.Not.Null, "a NaN loss is left out of view too");
        Assert.That(TrainPlots.LossAxisLimit([]), Is.Null);
    }

    [Test]
    public void CurvesHaveAnAccuracyAndALossPanelThatSaysWhereItIsCut()
    {
        EpochResult[] history = [Epoch(1, 1e-4) with { TrainLoss = 27 }, Epoch(2, 1e-4), Epoch(3, 1e-4)];
        CurvePanel[] panels = TrainPlots.Panels(history, "m");
        Assert.That(panels.Select(p => p.YLabel), Is.EqualTo(new[] { "accuracy (%)", "cross-entropy" }));
        Assert.That(panels.All(p => p.IntegerX && p.LegendOutside), Is.True);
        Assert.That(panels[1].YMaximum, Is.Not.Null.And.LessThan(27));
        Assert.That(panels[1].Title, Does.Contain("1 point above"));
        byte[] png = CurvePlot.RenderPanelsPng(panels, TrainPlots.Width, TrainPlots.Height);
        Assert.That(png[..4], Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }));
        Assert.That(TrainPlots.Panels([Epoch(1, 1e-4)], "m")[1].YMaximum, Is.Null);
    }

    [Test]
    public void TheLiveLineIsDrawnOnlyInATerminalAndGivesWayToTheEpochLines()
    {
        var terminal = new StringWriter();
        var live = new TrainProgress(terminal, live: true, epochs: 10, batches: 600);
        live.OnBatch(new BatchProgress(1, 1, 600, 0.9, 0.5, 0.1));
        live.OnEpoch(Epoch(1, 1e-3));
        string text = terminal.ToString();
        Assert.That(text, Does.StartWith("\repoch 1/10    1/600"));
        Assert.That(text, Does.Contain("\u001b[K\r\u001b[Kepoch 1/10  600/600"));

        var log = new StringWriter();
        var piped = new TrainProgress(log, live: false, epochs: 10, batches: 600);
        piped.OnBatch(new BatchProgress(1, 600, 600, 0.8, 0.5, 1));
        piped.OnEpoch(Epoch(1, 1e-3), ["  extra"]);
        Assert.That(log.ToString(), Does.StartWith("epoch 1/10  600/600").And.Not.Contain("\r").And.Not.Contain("\u001b"));
        Assert.That(log.ToString().TrimEnd().Split('\n')[^1], Is.EqualTo("  extra"));
    }
}
