using System.Globalization;
using System.Text.Json.Nodes;
using BoolNet.Training;
using BoolNet.Training.Optimizers;
using Spectre.Console;

namespace BoolNet.Cli;

/// <summary>
/// The text of <c>boolnet train</c> at 80 columns: the lines of each finished epoch (results, times,
/// one line per Boolean tensor, a warning for each tensor that has (almost) stopped flipping) and the
/// final tables (per epoch; per Boolean tensor over the run).
/// </summary>
internal static class TrainReport
{
    /// <summary>The Boolean (flip-with-reset) tensors of an epoch.</summary>
    public static ParameterDiagnostics[] BooleanTensors(EpochResult r) =>
        r.Parameters.Where(p => p.Optimizer == BooleanOptimizer.OptimizerName).ToArray();

    /// <summary>
    /// The lines printed after an epoch, e.g.
    /// <code>
    /// epoch 1: train loss 0.5496 acc 80.75 %, test loss 0.5353 acc 81.02 %
    ///   23.03 s (forward 4.59, backward 12.12, update 5.74)
    ///   0.bitplane-linear.weight  flipped  6.012 %, max|m|  2.20, |eta q| 6.7E-2
    ///   3.boolean-linear.weight   flipped  0.000 %, max|m|  0.80, |eta q| 1.2E-5
    ///   ! 3.boolean-linear.weight: stalled, 0.000 % of its weights flipped
    /// </code>
    /// "flipped": flips over the epoch as a fraction of the tensor's weights (a weight flipped twice
    /// counts twice); "|eta q|": the mean accumulator push per weight and step.
    /// </summary>
    public static IEnumerable<string> EpochLines(EpochResult r)
    {
        yield return $"epoch {r.Epoch}: train loss {r.TrainLoss:F4} acc {r.TrainAccuracy:P2}, test loss {r.TestLoss:F4} acc {r.TestAccuracy:P2}";
        yield return $"  {r.Seconds:F2} s (forward {r.ForwardSeconds:F2}, backward {r.BackwardSeconds:F2}, update {r.UpdateSeconds:F2})";
        ParameterDiagnostics[] tensors = BooleanTensors(r);
        int width = tensors.Length == 0 ? 0 : tensors.Max(p => p.Parameter.Length);
        foreach (ParameterDiagnostics p in tensors)
            yield return $"  {p.Parameter.PadRight(width)}  flipped {Percent(p.FlippedFraction)}, max|m| {p.MaxAccumulator,5:F2}, |eta q| {Scientific(p.MeanStep)}";
        foreach (ParameterDiagnostics p in tensors.Where(p => p.Stalled))
            yield return StallWarning(p);
    }

    /// <summary>
    /// One line for a tensor that has (almost) stopped flipping: its flips over the epoch add up to
    /// less than <see cref="ParameterDiagnostics.StallFraction"/> (0.01 %) of its weights.
    /// </summary>
    public static string StallWarning(ParameterDiagnostics p) =>
        $"  ! {p.Parameter}: stalled, {Percent(p.FlippedFraction).TrimStart()} of its weights flipped";

    /// <summary>A short epoch summary for the progress bar's description.</summary>
    public static string EpochSummary(EpochResult r, int epochs)
    {
        int stalled = BooleanTensors(r).Count(p => p.Stalled);
        return $"epoch {r.Epoch}/{epochs} loss {r.TrainLoss:F4} test {r.TestAccuracy:P2}" + (stalled > 0 ? $", {stalled} stalled" : "");
    }

    /// <summary>Per epoch: losses, accuracies and seconds.</summary>
    public static Table EpochTable(IReadOnlyList<EpochResult> history)
    {
        var table = new Table().AddColumns("epoch", "train loss", "train acc", "test loss", "test acc", "seconds");
        foreach (EpochResult r in history)
            table.AddRow($"{r.Epoch}", $"{r.TrainLoss:F4}", $"{r.TrainAccuracy:P2}", $"{r.TestLoss:F4}", $"{r.TestAccuracy:P2}", $"{r.Seconds:F2}");
        return table;
    }

    /// <summary>
    /// Per Boolean tensor over the run: its weights, the flips of all epochs as a fraction of them
    /// (the sum of each epoch's flip ratio x steps), the last epoch's share and the stalled epochs.
    /// Null when the network has no Boolean tensor.
    /// </summary>
    public static Table? TensorTable(IReadOnlyList<EpochResult> history, IReadOnlyDictionary<string, long> weights)
    {
        string[] names = history.SelectMany(BooleanTensors).Select(p => p.Parameter).Distinct().ToArray();
        if (names.Length == 0) return null;
        var table = new Table().AddColumns("Boolean tensor", "weights", "flipped", "last epoch", "stalled")
            .Caption("flipped: flips of all epochs / weights; stalled: epochs under 0.01 %");
        foreach (string name in names)
        {
            ParameterDiagnostics[] epochs = history.SelectMany(BooleanTensors).Where(p => p.Parameter == name).ToArray();
            int stalled = epochs.Count(p => p.Stalled);
            table.AddRow(Markup.Escape(name), weights.TryGetValue(name, out long count) ? count.ToString("N0", CultureInfo.InvariantCulture) : "?",
                Percent(epochs.Sum(p => p.FlippedFraction)).TrimStart(), Percent(epochs[^1].FlippedFraction).TrimStart(),
                stalled == 0 ? "none" : $"[yellow]{stalled} of {epochs.Length}[/]");
        }
        return table;
    }

    /// <summary>Per Boolean tensor of an epoch, for metrics.json: name to value.</summary>
    public static JsonObject PerTensor(EpochResult r, Func<ParameterDiagnostics, JsonNode?> value)
    {
        var json = new JsonObject();
        foreach (ParameterDiagnostics p in BooleanTensors(r)) json[p.Parameter] = value(p);
        return json;
    }

    private static string Percent(double fraction) => string.Create(CultureInfo.InvariantCulture, $"{100 * fraction,7:F3} %");

    private static string Scientific(double value) => value.ToString("0.0E+0", CultureInfo.InvariantCulture);
}
