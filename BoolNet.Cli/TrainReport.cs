using System.Globalization;
using System.Text.Json.Nodes;
using BoolNet.Commands;
using BoolNet.Training;
using BoolNet.Training.Optimizers;

namespace BoolNet.Cli;

/// <summary>
/// The text of <c>boolnet train</c> at 80 columns: the live progress line, the lines of each finished
/// epoch (a Keras-like result line, times, one line per Boolean tensor, a warning for each tensor that
/// has (almost) stopped flipping) and the final tables (per epoch; per Boolean tensor over the run).
/// Plain text: the same in a terminal and in a piped log.
/// </summary>
internal static class TrainReport
{
    /// <summary>Widest line of the report.</summary>
    public const int Width = 80;

    /// <summary>The Boolean (flip-with-reset) tensors of an epoch.</summary>
    public static ParameterDiagnostics[] BooleanTensors(EpochResult r) =>
        r.Parameters.Where(p => p.Optimizer == BooleanOptimizer.OptimizerName).ToArray();

    /// <summary>
    /// The lines printed after an epoch of <paramref name="batches"/> steps, e.g.
    /// <code>
    /// epoch 1/10  600/600  23.0 s  38 ms/step  loss 0.5496  acc 80.75 %  test 81.02 %
    ///   test loss 0.5353; seconds: forward 4.6, backward 12.1, update 5.7, test 0.9
    ///   0.bitplane-linear.weight  flipped  6.012 %, max|m|  2.20, |eta q| 6.7E-2
    ///   3.boolean-linear.weight   flipped  0.000 %, max|m|  0.80, |eta q| 1.2E-5
    ///   ! 3.boolean-linear.weight: stalled, 0.000 % of its weights flipped
    /// </code>
    /// "loss" and "acc": training loss and accuracy over the epoch; "test": test accuracy after it.
    /// "flipped": flips over the epoch as a fraction of the tensor's weights (a weight flipped twice
    /// counts twice); "|eta q|": the mean accumulator push per weight and step.
    /// </summary>
    public static IEnumerable<string> EpochLines(EpochResult r, int epochs, int batches)
    {
        yield return EpochLine(r, epochs, batches);
        yield return Invariant($"  test loss {r.TestLoss:F4}; seconds: forward {Number(r.ForwardSeconds)}, backward {Number(r.BackwardSeconds)}, ") +
                     Invariant($"update {Number(r.UpdateSeconds)}, test {Number(r.EvaluationSeconds)}");
        ParameterDiagnostics[] tensors = BooleanTensors(r);
        int width = tensors.Length == 0 ? 0 : tensors.Max(p => p.Parameter.Length);
        foreach (ParameterDiagnostics p in tensors)
            yield return Invariant($"  {p.Parameter.PadRight(width)}  flipped {Percent(p.FlippedFraction)}, max|m| {p.MaxAccumulator,5:F2}, |eta q| {Scientific(p.MeanStep)}");
        foreach (ParameterDiagnostics p in tensors.Where(p => p.Stalled))
            yield return StallWarning(p);
    }

    /// <summary>
    /// The first line of an epoch: <c>epoch 3/10  469/469  5.1 s  10 ms/step  loss 0.4123  acc 85.21 %  test 84.10 %</c>
    /// (one space apart instead of two where two would pass <see cref="Width"/>).
    /// </summary>
    public static string EpochLine(EpochResult r, int epochs, int batches) => Join(Width,
        $"epoch {r.Epoch}/{epochs}", $"{batches}/{batches}", Seconds(r.Seconds), StepTime(r.Seconds, batches),
        Invariant($"loss {r.TrainLoss:F4}"), $"acc {Percent2(r.TrainAccuracy)}", $"test {Percent2(r.TestAccuracy)}");

    /// <summary>
    /// The live line of a terminal while an epoch runs, at most <paramref name="columns"/> - 1 characters:
    /// <c>epoch 3/10  234/469 [=====&gt;     ]  eta 2.6 s  10 ms/step  loss 0.4123  acc 85.21 %</c>. The bar
    /// takes what room is left (none under 80 columns' worth); after the last batch it says "testing".
    /// </summary>
    public static string ProgressLine(BatchProgress p, int epochs, int columns)
    {
        int limit = Math.Max(20, columns - 1);
        string steps = $"{p.Batch.ToString(CultureInfo.InvariantCulture).PadLeft(Digits(p.Batches))}/{p.Batches}";
        double perStep = p.Batch > 0 ? p.Seconds / p.Batch : 0;
        string time = p.Batch < p.Batches ? $"eta {Seconds(perStep * (p.Batches - p.Batch))}" : Seconds(p.Seconds);
        var parts = new List<string> { $"epoch {p.Epoch}/{epochs}", steps, time, StepTime(p.Seconds, p.Batch), Invariant($"loss {p.RunningLoss:F4}") };
        if (!double.IsNaN(p.RunningAccuracy)) parts.Add($"acc {Percent2(p.RunningAccuracy)}");
        if (p.Batch == p.Batches) parts.Add("testing");
        string line = string.Join("  ", parts);
        int room = limit - line.Length - 3; // "[" + bar + "]" and the space before it
        if (room >= 6)
        {
            int width = Math.Min(30, room);
            int done = p.Batches == 0 ? width : (int)((long)width * p.Batch / p.Batches);
            string bar = new string('=', Math.Max(0, done - 1)) + (done == width ? "=" : done > 0 ? ">" : "") + new string(' ', width - done);
            parts[1] = $"{steps} [{bar}]";
            line = string.Join("  ", parts);
        }
        return line.Length <= limit ? line : line[..limit];
    }

    /// <summary>
    /// One line for a tensor that has (almost) stopped flipping: its flips over the epoch add up to
    /// less than <see cref="ParameterDiagnostics.StallFraction"/> (0.01 %) of its weights.
    /// </summary>
    public static string StallWarning(ParameterDiagnostics p) =>
        $"  ! {p.Parameter}: stalled, {Percent(p.FlippedFraction).TrimStart()} of its weights flipped";

    /// <summary>Per epoch: losses, accuracies, seconds and time per step (plain text, under 80 columns).</summary>
    public static string EpochTable(IReadOnlyList<EpochResult> history, int batches)
    {
        var table = new TextTable(">epoch", ">train loss", ">train acc", ">test loss", ">test acc", ">seconds", ">ms/step");
        foreach (EpochResult r in history)
            table.Add($"{r.Epoch}", Invariant($"{r.TrainLoss:F4}"), Percent2(r.TrainAccuracy), Invariant($"{r.TestLoss:F4}"),
                Percent2(r.TestAccuracy), Invariant($"{r.Seconds:F2}"), batches > 0 ? Invariant($"{1000 * r.Seconds / batches:F1}") : "");
        return table.ToString();
    }

    /// <summary>
    /// Per Boolean tensor over the run: its weights, the flips of all epochs as a fraction of them
    /// (the sum of each epoch's flip ratio x steps), the last epoch's share and the stalled epochs.
    /// Null when the network has no Boolean tensor.
    /// </summary>
    public static string? TensorTable(IReadOnlyList<EpochResult> history, IReadOnlyDictionary<string, long> weights)
    {
        string[] names = history.SelectMany(BooleanTensors).Select(p => p.Parameter).Distinct().ToArray();
        if (names.Length == 0) return null;
        var table = new TextTable("Boolean tensor", ">weights", ">flipped", ">last epoch", ">stalled");
        foreach (string name in names)
        {
            ParameterDiagnostics[] epochs = history.SelectMany(BooleanTensors).Where(p => p.Parameter == name).ToArray();
            int stalled = epochs.Count(p => p.Stalled);
            table.Add(name, weights.TryGetValue(name, out long count) ? count.ToString("N0", CultureInfo.InvariantCulture) : "?",
                Percent(epochs.Sum(p => p.FlippedFraction)).TrimStart(), Percent(epochs[^1].FlippedFraction).TrimStart(),
                stalled == 0 ? "none" : $"{stalled} of {epochs.Length}");
        }
        return table + "flipped: flips of all epochs / weights; stalled: epochs under 0.01 %\n";
    }

    /// <summary>Per Boolean tensor of an epoch, for metrics.json: name to value.</summary>
    public static JsonObject PerTensor(EpochResult r, Func<ParameterDiagnostics, JsonNode?> value)
    {
        var json = new JsonObject();
        foreach (ParameterDiagnostics p in BooleanTensors(r)) json[p.Parameter] = value(p);
        return json;
    }

    /// <summary>
    /// Words joined by spaces into lines of at most <paramref name="width"/> (a longer word stays whole),
    /// continuation lines indented by <paramref name="indent"/> spaces.
    /// </summary>
    public static IEnumerable<string> Wrap(string text, int width = Width, int indent = 2)
    {
        var line = new System.Text.StringBuilder();
        bool empty = true; // no word on the current line yet
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!empty && line.Length + 1 + word.Length > width)
            {
                yield return line.ToString();
                line.Clear().Append(' ', indent);
                empty = true;
            }
            if (!empty) line.Append(' ');
            line.Append(word);
            empty = false;
        }
        if (!empty) yield return line.ToString();
    }

    /// <summary>Seconds as "5.1 s" (one decimal under 100 s, none from there).</summary>
    public static string Seconds(double seconds) =>
        seconds < 99.95 ? Invariant($"{seconds:F1} s") : Invariant($"{seconds:F0} s");

    /// <summary>Time per step, "10 ms/step" (one decimal under 10 ms).</summary>
    public static string StepTime(double seconds, int steps)
    {
        double ms = steps > 0 ? 1000 * seconds / steps : 0;
        return ms < 9.95 ? Invariant($"{ms:F1} ms/step") : Invariant($"{ms:F0} ms/step");
    }

    /// <summary>A fraction as "85.21 %".</summary>
    public static string Percent2(double fraction) => Invariant($"{100 * fraction:F2} %");

    private static string Join(int width, params string[] parts)
    {
        string wide = string.Join("  ", parts);
        return wide.Length <= width ? wide : string.Join(" ", parts);
    }

    private static string Number(double seconds) => seconds < 99.95 ? Invariant($"{seconds:F1}") : Invariant($"{seconds:F0}");

    private static int Digits(int value) => value.ToString(CultureInfo.InvariantCulture).Length;

    private static string Percent(double fraction) => Invariant($"{100 * fraction,7:F3} %");

    private static string Scientific(double value) => value.ToString("0.0E+0", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
