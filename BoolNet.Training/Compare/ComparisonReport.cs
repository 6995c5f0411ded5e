using System.Globalization;
using System.Text;
using BoolNet.Core.IO;
using BoolNet.Training.IO;

namespace BoolNet.Training.Compare;

/// <summary>Writes a comparison's CSV files, its PNG and a text summary (all atomically).</summary>
public static class ComparisonReport
{
    /// <summary>The header of <see cref="PointsCsv"/>.</summary>
    public const string PointsHeader = "optimizer,seed,epoch,step,test_accuracy,test_loss,train_loss,boolean_params,integer_params,float_params";

    /// <summary>
    /// The evaluation points, one row each: optimizer,seed,epoch,step,test_accuracy,test_loss,train_loss and the
    /// run's parameter counts boolean_params,integer_params,float_params.
    /// </summary>
    public static string PointsCsv(IEnumerable<ComparisonPoint> points)
    {
        var text = new StringBuilder(PointsHeader).Append('\n');
        foreach (ComparisonPoint p in points)
            text.Append(CultureInfo.InvariantCulture, $"{p.Optimizer},{p.Seed},{p.Epoch},{p.Step},{p.TestAccuracy:F6},{p.TestLoss:F6},{(double.IsNaN(p.TrainLoss) ? "" : p.TrainLoss.ToString("F6", CultureInfo.InvariantCulture))}," +
                $"{p.Parameters.Boolean},{p.Parameters.Integer},{p.Parameters.Float}\n");
        return text.ToString();
    }

    /// <summary>Per run: optimizer,seed,epochs,seconds_per_epoch,forward,backward,update,sampling (seconds, totals).</summary>
    public static string TimingCsv(IEnumerable<RunTiming> timings)
    {
        var text = new StringBuilder("optimizer,seed,epochs,seconds_per_epoch,forward_seconds,backward_seconds,update_seconds,sampling_seconds\n");
        foreach (RunTiming t in timings)
            text.Append(CultureInfo.InvariantCulture, $"{t.Optimizer},{t.Seed},{t.Epochs},{t.SecondsPerEpoch:F2},{t.Forward:F2},{t.Backward:F2},{t.Update:F2},{t.Sampling:F2}\n");
        return text.ToString();
    }

    /// <summary>
    /// Mean +- standard deviation over seeds of the final test accuracy and loss with the parameters by kind,
    /// then the time per epoch split into forward, backward, update (and sampling), per optimizer; two
    /// tables of aligned columns under 80 characters wide (their rows paste into Markdown).
    /// </summary>
    public static string Summary(ComparisonResult result)
    {
        var text = new StringBuilder();
        ComparisonOptions o = result.Options;
        if (result.Combined) text.AppendLine("combined from the runs noted below");
        else AppendWrapped(text, Invariant($"model {o.Model}, {o.Epochs} epoch(s), batch {o.BatchSize}, seeds {string.Join(",", o.Seeds)}; SGD lr {o.SgdLearningRate}; ") +
            Invariant($"flip-with-reset eta {o.BooleanLearningRate ?? Models.ModelCatalog.BooleanComparisonOptimizer.LearningRate}; ") +
            Invariant($"ZIM eta {o.Zim.Eta} ({o.Zim.Schedule}), c {o.Zim.Smoothing}, trials {o.Zim.Trials} x{o.Zim.TrialFactor}, integer init A = {o.IntegerInitialScale}"));
        var results = new List<string[]> { new[] { "optimizer", "final test accuracy", "final test loss", "Boolean", "integer", "float" } };
        var times = new List<string[]> { new[] { "optimizer", "s/epoch", "forward", "backward", "update", "sampling" } };
        foreach (var group in result.Points.GroupBy(p => p.Optimizer))
        {
            var finals = group.GroupBy(p => p.Seed).Select(run => run.MaxBy(p => p.Step)!).ToArray();
            (double accuracy, double accuracySpread) = MeanAndDeviation(finals.Select(p => p.TestAccuracy * 100));
            (double loss, double lossSpread) = MeanAndDeviation(finals.Select(p => p.TestLoss));
            ParameterCounts counts = finals[0].Parameters;
            results.Add([group.Key, Invariant($"{accuracy:F2} +- {accuracySpread:F2} %"), Invariant($"{loss:F4} +- {lossSpread:F4}"),
                Invariant($"{counts.Boolean:N0}"), Invariant($"{counts.Integer:N0}"), Invariant($"{counts.Float:N0}")]);
            RunTiming[] runs = result.Timings.Where(t => t.Optimizer == group.Key).ToArray();
            double epochs = Math.Max(1, runs.Sum(t => t.Epochs));
            times.Add([group.Key, Invariant($"{runs.Sum(t => t.SecondsPerEpoch * t.Epochs) / epochs:F1}"), Invariant($"{runs.Sum(t => t.Forward) / epochs:F1}"),
                Invariant($"{runs.Sum(t => t.Backward) / epochs:F1}"), Invariant($"{runs.Sum(t => t.Update) / epochs:F2}"), Invariant($"{runs.Sum(t => t.Sampling) / epochs:F2}")]);
        }
        AppendTable(text, results);
        text.AppendLine("seconds per epoch of training (evaluation excluded), mean over seeds:");
        AppendTable(text, times);
        foreach (string note in result.Notes) AppendWrapped(text, note);
        return text.ToString();
    }

    /// <summary>Widest line of <see cref="Summary"/>.</summary>
    public const int Width = 80;

    /// <summary>Appends <paramref name="line"/> wrapped at spaces to <see cref="Width"/>, continuation lines indented by two.</summary>
    private static void AppendWrapped(StringBuilder text, string line)
    {
        var current = new StringBuilder();
        foreach (string word in line.Split(' '))
        {
            if (current.Length > 2 && current.Length + 1 + word.Length > Width)
            {
                text.AppendLine(current.ToString());
                current.Clear().Append("  ");
            }
            else if (current.Length > 0 && current.ToString() != "  ") current.Append(' ');
            current.Append(word);
        }
        text.AppendLine(current.ToString());
    }

    /// <summary>Rows as "a | b | c" with every column padded to its widest cell (the first left-aligned, the rest right).</summary>
    private static void AppendTable(StringBuilder text, List<string[]> rows)
    {
        int[] widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (string[] row in rows)
            text.AppendLine(string.Join(" | ", row.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))));
    }

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Test loss against step, mean +- standard deviation over seeds, one band per optimizer.</summary>
    public static IReadOnlyList<CurveSeries> LossSeries(IEnumerable<ComparisonPoint> points) => Series(points, p => p.TestLoss);

    /// <summary>Test accuracy (%) against step, mean +- standard deviation over seeds, one band per optimizer.</summary>
    public static IReadOnlyList<CurveSeries> AccuracySeries(IEnumerable<ComparisonPoint> points) => Series(points, p => p.TestAccuracy * 100);

    private static List<CurveSeries> Series(IEnumerable<ComparisonPoint> points, Func<ComparisonPoint, double> value)
    {
        var series = new List<CurveSeries>();
        foreach (var group in points.GroupBy(p => p.Optimizer))
        {
            var runs = group.GroupBy(p => p.Seed).Select(run => run.OrderBy(p => p.Step).ToArray()).ToArray();
            // Runs of one optimizer share their evaluation steps; keep the steps every run has.
            long[] steps = runs.Select(r => r.Select(p => p.Step)).Aggregate((a, b) => a.Intersect(b)).Order().ToArray();
            double[] x = steps.Select(s => (double)s).ToArray();
            var values = runs.Select(r => steps.Select(s => value(r.First(p => p.Step == s))).ToArray()).ToList();
            series.Add(CurveSeries.MeanAndSpread($"{group.Key} ({runs.Length} seed{(runs.Length == 1 ? "" : "s")})", x, values));
        }
        return series;
    }

    /// <summary>Writes comparison.csv, timing.csv, summary.txt and comparison.png into <paramref name="directory"/>.</summary>
    public static void Write(string directory, ComparisonResult result, string title)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllText(Path.Combine(directory, "comparison.csv"), PointsCsv(result.Points));
        AtomicFile.WriteAllText(Path.Combine(directory, "timing.csv"), TimingCsv(result.Timings));
        AtomicFile.WriteAllText(Path.Combine(directory, "summary.txt"), Summary(result));
        CurvePlot.SavePanelsPng(Path.Combine(directory, "comparison.png"),
        [
            new CurvePanel(AccuracySeries(result.Points), $"{title}: test accuracy", "step (batches)", "test accuracy (%)"),
            // From the first evaluation after step 0: the untrained loss (up to ~6.5 for the Boolean head's
            // scaled counts) would otherwise flatten the curves that matter.
            new CurvePanel(LossSeries(result.Points.Where(p => p.Step > 0)), "test loss (after step 0)", "step (batches)", "test cross-entropy", LegendAbove: true),
        ], 2 * CurvePlot.DefaultWidth, CurvePlot.DefaultHeight);
    }

    /// <summary>
    /// Merges the reports written by several runs of <c>boolnet compare</c> (e.g. one process per
    /// optimizer): their points and timings, with each source's settings line as a note.
    /// </summary>
    public static ComparisonResult Combine(IReadOnlyList<string> directories, ComparisonOptions options)
    {
        var points = new List<ComparisonPoint>();
        var timings = new List<RunTiming>();
        var notes = new List<string>();
        foreach (string directory in directories)
        {
            points.AddRange(ReadPoints(Path.Combine(directory, "comparison.csv")));
            timings.AddRange(ReadTimings(Path.Combine(directory, "timing.csv")));
            string summary = Path.Combine(directory, "summary.txt");
            // The settings are the lines above the results table.
            if (File.Exists(summary))
                notes.Add($"{directory}: {string.Join(" ", File.ReadLines(summary).TakeWhile(l => !l.StartsWith("optimizer ", StringComparison.Ordinal)).Select(l => l.Trim()))}");
        }
        return new ComparisonResult(options, points, timings, notes, Combined: true);
    }

    /// <summary>Reads a comparison.csv written by <see cref="PointsCsv"/>.</summary>
    public static List<ComparisonPoint> ReadPoints(string path) => ReadCsv(path, 10, PointsHeader, f =>
        new ComparisonPoint(f[0], int.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[2], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture),
            double.Parse(f[4], CultureInfo.InvariantCulture), double.Parse(f[5], CultureInfo.InvariantCulture),
            f[6].Length == 0 ? double.NaN : double.Parse(f[6], CultureInfo.InvariantCulture),
            new ParameterCounts(long.Parse(f[7], CultureInfo.InvariantCulture), long.Parse(f[8], CultureInfo.InvariantCulture), long.Parse(f[9], CultureInfo.InvariantCulture))));

    /// <summary>Reads a timing.csv written by <see cref="TimingCsv"/>.</summary>
    public static List<RunTiming> ReadTimings(string path) => ReadCsv(path, 8, "optimizer,seed,epochs,seconds_per_epoch,forward_seconds,backward_seconds,update_seconds,sampling_seconds", f =>
        new RunTiming(f[0], int.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[2], CultureInfo.InvariantCulture),
            double.Parse(f[4], CultureInfo.InvariantCulture), double.Parse(f[5], CultureInfo.InvariantCulture),
            double.Parse(f[6], CultureInfo.InvariantCulture), double.Parse(f[7], CultureInfo.InvariantCulture)));

    private static List<T> ReadCsv<T>(string path, int fields, string header, Func<string[], T> parse)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: comparison file not found", path);
        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0].Trim() != header) throw new InvalidDataException($"{path}: expected the header '{header}'");
        var rows = new List<T>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            string[] parts = lines[i].Split(',');
            if (parts.Length != fields) throw new InvalidDataException($"{path}: line {i + 1} has {parts.Length} fields, expected {fields}");
            try
            {
                rows.Add(parse(parts));
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new InvalidDataException($"{path}: line {i + 1} has a malformed number");
            }
        }
        return rows;
    }

    private static (double Mean, double Deviation) MeanAndDeviation(IEnumerable<double> values)
    {
        double[] array = values.ToArray();
        if (array.Length == 0) return (double.NaN, double.NaN);
        double mean = array.Average();
        double deviation = array.Length < 2 ? 0 : Math.Sqrt(array.Sum(v => (v - mean) * (v - mean)) / (array.Length - 1));
        return (mean, deviation);
    }
}
