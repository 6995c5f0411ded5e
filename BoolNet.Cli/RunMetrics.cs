using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using BoolNet.Core.Execution;
using BoolNet.Core.IO;
using BoolNet.Training;

namespace BoolNet.Cli;

/// <summary>How a run was started: recorded in metrics.json.</summary>
/// <param name="CommandLine">the command as typed, e.g. "boolnet train --model bold-mlp --epochs 3"</param>
/// <param name="Started">when this invocation started (UTC)</param>
internal sealed record RunInvocation(string CommandLine, DateTime Started)
{
    /// <summary>The command line rebuilt from the parsed tokens (quoted where needed), started now.</summary>
    public static RunInvocation Now(IEnumerable<string> tokens) =>
        new("boolnet " + string.Join(" ", tokens.Select(Quote)), DateTime.UtcNow);

    /// <summary>The version of <c>boolnet</c> (informational version, with the commit where the build recorded it).</summary>
    public static string Version =>
        typeof(RunMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(RunMetrics).Assembly.GetName().Version?.ToString() ?? "unknown";

    private static string Quote(string token) =>
        token.Length > 0 && token.All(c => char.IsLetterOrDigit(c) || "-_./,=:+@%".Contains(c)) ? token : "'" + token.Replace("'", "'\\''") + "'";
}

/// <summary>metrics.json of a run folder: settings, per-epoch results, final figures, memory, how it was run.</summary>
internal static class RunMetrics
{
    /// <summary>Writes metrics.json (atomically). Boolean-only fields are left out for networks without Boolean weights.</summary>
    public static void Write(string path, CheckpointHeader header, Trainer trainer, RunInvocation invocation, int stepsPerEpoch)
    {
        bool hasBoolean = trainer.BooleanWeights > 0;
        var epochs = new JsonArray();
        foreach (EpochResult r in trainer.History)
        {
            var epoch = new JsonObject
            {
                ["epoch"] = r.Epoch, ["train_loss"] = r.TrainLoss, ["train_accuracy"] = r.TrainAccuracy,
                ["test_loss"] = r.TestLoss, ["test_accuracy"] = r.TestAccuracy, ["seconds"] = r.Seconds,
                ["forward_seconds"] = r.ForwardSeconds, ["backward_seconds"] = r.BackwardSeconds, ["update_seconds"] = r.UpdateSeconds,
                ["evaluation_seconds"] = r.EvaluationSeconds,
            };
            if (hasBoolean)
            {
                epoch["flip_ratio"] = TrainReport.PerTensor(r, p => p.FlipRatio);
                epoch["flipped_fraction"] = TrainReport.PerTensor(r, p => p.FlippedFraction);
                epoch["steps_without_flip"] = TrainReport.PerTensor(r, p => p.StepsWithoutFlip);
                epoch["max_abs_m"] = TrainReport.PerTensor(r, p => p.MaxAccumulator);
                epoch["mean_abs_eta_q"] = TrainReport.PerTensor(r, p => p.MeanStep);
                epoch["stalled"] = new JsonArray([.. TrainReport.BooleanTensors(r).Where(p => p.Stalled).Select(p => (JsonNode)p.Parameter)]);
            }
            epochs.Add(epoch);
        }
        EpochResult? last = trainer.History.LastOrDefault();
        var final = new JsonObject
        {
            ["epochs"] = trainer.CompletedEpochs,
            ["test_accuracy"] = last?.TestAccuracy,
            ["test_loss"] = last?.TestLoss,
            ["train_loss"] = last?.TrainLoss,
            ["mean_epoch_seconds"] = trainer.History.Count == 0 ? null : trainer.History.Average(r => r.Seconds),
            ["weights_sha256"] = ParameterStorage.Hash(trainer.Network),
        };
        var memory = new JsonObject { ["peak_rss_bytes"] = TrainRunner.PeakResidentBytes() };
        if (hasBoolean)
        {
            // Per Boolean tensor over the run: flips of all epochs as a fraction of its weights, stalled epochs.
            var tensors = new JsonObject();
            foreach (string name in trainer.History.SelectMany(TrainReport.BooleanTensors).Select(p => p.Parameter).Distinct())
            {
                ParameterDiagnostics[] all = trainer.History.SelectMany(TrainReport.BooleanTensors).Where(p => p.Parameter == name).ToArray();
                tensors[name] = new JsonObject { ["flipped_fraction"] = all.Sum(p => p.FlippedFraction), ["stalled_epochs"] = all.Count(p => p.Stalled) };
            }
            final["boolean_tensors"] = tensors;
            memory["boolean_weights"] = trainer.BooleanWeights;
            memory["bytes_per_boolean_weight"] = trainer.BytesPerBooleanWeight();
        }
        (long boolean, long integer, long real) = TrainHeader.CountParameters(trainer.Network);
        var root = new JsonObject
        {
            ["model"] = header.Model,
            ["dataset"] = header.Dataset,
            ["command_line"] = invocation.CommandLine,
            ["version"] = RunInvocation.Version,
            ["started_utc"] = invocation.Started.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["written_utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["layers"] = TrainHeader.DescribeLayers(trainer.Network),
            ["parameters_by_type"] = new JsonObject { ["boolean"] = boolean, ["integer"] = integer, ["float"] = real },
            ["settings"] = JsonSerializer.SerializeToNode(header.Settings, Checkpoint.Json),
            ["options"] = JsonSerializer.SerializeToNode(header.Options, Checkpoint.Json),
            ["steps_per_epoch"] = stepsPerEpoch,
            ["threads"] = Threading.Resolve(header.Options.Threads),
            ["isa"] = IsaSelection.Name(IsaSelection.Current),
            ["final"] = final,
            ["memory"] = memory,
            ["epochs"] = epochs,
        };
        AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
