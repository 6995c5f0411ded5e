using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BoolNet.Commands;
using BoolNet.Core.IO;
using BoolNet.Training;

namespace BoolNet.Cli;

/// <summary><c>boolnet show RUN</c>: a finished (or interrupted) run again, from its metrics.json.</summary>
internal static partial class TrainingCommands
{
    static partial void AddShow(RootCommand root)
    {
        var run = new Argument<string>("run") { Description = "Run folder written by train (or its metrics.json or checkpoint.bin)" };
        var command = new Command("show", "Show a training run again: how it was run, the per-epoch table, the final figures") { run };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            Console.Write(RunShow.Format(parse.GetValue(run)!));
            return 0;
        }));
        root.Subcommands.Add(command);
    }
}

/// <summary>The text of <c>boolnet show</c> (80 columns).</summary>
internal static class RunShow
{
    /// <summary>Largest metrics.json read (a run of many epochs stays far below).</summary>
    public const long MaximumBytes = 64 << 20;

    /// <summary>Reads the run's metrics.json and formats it.</summary>
    /// <exception cref="IOException">No metrics.json there.</exception>
    /// <exception cref="InvalidDataException">Not a metrics.json written by train.</exception>
    public static string Format(string run)
    {
        string folder = Directory.Exists(run) ? run : Path.GetDirectoryName(Path.GetFullPath(run)) ?? ".";
        string path = Path.Combine(folder, TrainRunner.MetricsFile);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{run}: no {TrainRunner.MetricsFile} there (give the folder train wrote with --out)", path);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(Encoding.UTF8.GetString(InputFile.ReadAllBytes(path, MaximumBytes)));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a metrics.json written by train ({e.Message})", e);
        }
        if (root is not JsonObject metrics || metrics["model"] is null || metrics["epochs"] is not JsonArray)
            throw new InvalidDataException($"{path}: not a metrics.json written by train (no model or epochs)");
        try
        {
            return Format(metrics, folder);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: a value has the wrong type ({e.Message})", e);
        }
    }

    /// <summary>Formats a parsed metrics.json of the run in <paramref name="folder"/>.</summary>
    public static string Format(JsonObject metrics, string folder)
    {
        var text = new StringBuilder();
        void Line(string line)
        {
            foreach (string piece in TrainReport.Wrap(line)) text.Append(piece).Append('\n');
        }
        string model = Text(metrics["model"]) ?? "?";
        Line($"{model} on {Text(metrics["dataset"]) ?? "?"}, run folder {folder}");
        if (Text(metrics["command_line"]) is { } command) Line($"command: {command}");
        if (Text(metrics["started_utc"]) is { } started)
            Line($"started {started}, last written {Text(metrics["written_utc"]) ?? "?"}, boolnet {Text(metrics["version"]) ?? "?"}");
        if (Text(metrics["layers"]) is { } layers) Line($"layers: {layers}");
        if (metrics["parameters_by_type"] is JsonObject types)
            Line($"parameters: {Count(types["boolean"])} Boolean, {Count(types["integer"])} integer, {Count(types["float"])} float");
        JsonObject? options = metrics["options"] as JsonObject;
        Line($"batch {Text(options?["batch_size"]) ?? "?"}, seed {Text(options?["seed"]) ?? "?"}, threads {Text(metrics["threads"]) ?? "?"}, " +
             $"ISA {Text(metrics["isa"]) ?? "?"}, epochs {Text(options?["epochs"]) ?? "?"} planned");
        text.Append('\n');

        var history = new List<EpochResult>();
        foreach (JsonNode? node in (JsonArray)metrics["epochs"]!)
        {
            if (node is not JsonObject e) continue;
            history.Add(new EpochResult
            {
                Epoch = Int(e["epoch"]), TrainLoss = Real(e["train_loss"]), TrainAccuracy = Real(e["train_accuracy"]),
                TestLoss = Real(e["test_loss"]), TestAccuracy = Real(e["test_accuracy"]), Seconds = Real(e["seconds"]),
            });
        }
        if (history.Count == 0) text.Append("no epoch finished yet\n");
        else text.Append(TrainReport.EpochTable(history, Int(metrics["steps_per_epoch"])));

        if (metrics["final"] is JsonObject final)
        {
            if (final["boolean_tensors"] is JsonObject tensors && tensors.Count > 0)
            {
                var table = new TextTable("Boolean tensor", ">flipped", ">stalled epochs");
                foreach ((string name, JsonNode? value) in tensors)
                    table.Add(name, Invariant($"{100 * Real(value?["flipped_fraction"]):F3} %"), Text(value?["stalled_epochs"]) ?? "?");
                text.Append('\n').Append(table).Append("flipped: flips of all epochs / weights\n");
            }
            text.Append('\n');
            if (final["test_accuracy"] is not null)
                Line($"final test accuracy {TrainReport.Percent2(Real(final["test_accuracy"]))} after {Text(final["epochs"]) ?? "?"} epochs, " +
                     Invariant($"test loss {Real(final["test_loss"]):F4}, mean epoch {TrainReport.Seconds(Real(final["mean_epoch_seconds"]))}"));
            if (Text(final["weights_sha256"]) is { } hash) Line($"weights sha256 {hash}");
        }
        if (metrics["memory"] is JsonObject memory && memory["peak_rss_bytes"] is not null)
            Line(Invariant($"peak RSS {Real(memory["peak_rss_bytes"]) / (1 << 20):F0} MiB") +
                 (memory["bytes_per_boolean_weight"] is { } bytes ? Invariant($", {Real(bytes):F3} bytes per Boolean weight in training") : ""));
        string curves = Path.Combine(folder, TrainRunner.PlotFile);
        Line(File.Exists(curves) ? $"curves: {curves}" : $"no {TrainRunner.PlotFile} in {folder}");
        return text.ToString();
    }

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        _ => node.ToJsonString(),
    };

    private static double Real(JsonNode? node) => node is JsonValue v && v.TryGetValue(out double d) ? d : double.NaN;

    private static int Int(JsonNode? node) => node is JsonValue v && v.TryGetValue(out int i) ? i : 0;

    private static string Count(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue(out long n) ? n.ToString("N0", CultureInfo.InvariantCulture) : "?";

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
