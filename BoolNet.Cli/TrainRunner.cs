using System.Text.Json;
using System.Text.Json.Nodes;
using BoolNet.Core.Execution;
using BoolNet.Core.IO;
using BoolNet.Layers;
using BoolNet.Training;
using BoolNet.Training.Data;
using BoolNet.Training.Models;
using Spectre.Console;

namespace BoolNet.Cli;

/// <summary>What <c>boolnet train</c> was asked to do.</summary>
internal sealed record TrainRequest
{
    public string Model { get; init; } = ModelCatalog.DefaultModel;
    public string Dataset { get; init; } = DatasetLoader.DefaultDataset;
    public string? DataDirectory { get; init; }
    public string? OutputDirectory { get; init; }
    public string? ResumeFrom { get; init; }
    public int? Threads { get; init; }
    public bool Force { get; init; }
    public Func<ModelSettings, ModelSettings> EditSettings { get; init; } = s => s;
    public Func<TrainingOptions, TrainingOptions> EditOptions { get; init; } = o => o;
}

/// <summary>The body of <c>boolnet train</c>: build or resume, train with progress, write the run folder.</summary>
internal static class TrainRunner
{
    public const string CheckpointFile = "checkpoint.bin", MetricsFile = "metrics.json", PlotFile = "curves.png";

    public static int Run(TrainRequest request)
    {
        CheckpointHeader? resumed = null;
        string? resumePath = null;
        byte[]? resumeBytes = null; // read and checked once, before the data loads; restored from after the network is built
        if (request.ResumeFrom is { } from)
        {
            resumePath = Directory.Exists(from) ? Path.Combine(from, CheckpointFile) : from;
            resumeBytes = Checkpoint.ReadBytes(resumePath);
            resumed = Checkpoint.ReadHeader(resumeBytes, resumePath);
        }
        ModelEntry entry = ModelCatalog.Get(resumed?.Model ?? request.Model);
        ModelSettings settings = resumed?.Settings ?? request.EditSettings(entry.Settings);
        TrainingOptions options = resumed?.Options ?? request.EditOptions(entry.Defaults);
        if (request.Threads is { } t) options = options with { Threads = t };
        string datasetName = resumed?.Dataset ?? request.Dataset;
        string output = request.OutputDirectory
            ?? (resumePath is not null ? Path.GetDirectoryName(Path.GetFullPath(resumePath))! : Path.Combine("runs", entry.Name));

        using RunFolder folder = RunFolder.Claim(output, resumePath, request.Force);
        Dataset data = DatasetLoader.Load(datasetName, request.DataDirectory);
        if (resumed is null && entry.InputShape is { } expected && expected != data.Train.Shape)
            throw new ArgumentException($"{entry.Name} is built for {expected} images; {data.Name} has {data.Train.Shape} " +
                                        $"(use --dataset {entry.Dataset ?? "with that shape"}, or another model)");
        Network network = resumed is not null
            ? Checkpoint.BuildNetwork(resumePath!, resumed, data.Train.Shape, data.ClassCount)
            : entry.Build(data.Train.Shape, data.ClassCount, options.Seed, settings);
        var trainer = new Trainer(network, options);
        if (resumeBytes is not null) Checkpoint.Load(resumeBytes, resumePath!, trainer);
        var header = new CheckpointHeader
        {
            Model = entry.Name, Settings = settings, Options = options, Dataset = datasetName,
            InputShape = [data.Train.Shape.Height, data.Train.Shape.Width, data.Train.Shape.Channels], Classes = data.ClassCount,
        };

        // What the checkpoint reader would refuse is refused now, before an epoch is spent on it.
        Checkpoint.Validate(header with { History = [] }, "training settings", long.MaxValue);
        if ((long)options.BatchSize * Math.Max(settings.Hidden.DefaultIfEmpty(0).Max(), header.InputShape.Aggregate(1L, (a, b) => a * b)) > TrainingCommands.MaximumBatchValues)
            throw new ArgumentException($"--batch {options.BatchSize} with hidden {string.Join(',', settings.Hidden)} on {data.Train.Shape} images needs more than " +
                                        $"{TrainingCommands.MaximumBatchValues:N0} values per layer; use a smaller batch");

        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(entry.Name)}[/]: {Markup.Escape(settings.Describe())}");
        AnsiConsole.MarkupLine($"data {Markup.Escape(data.Name)} ({data.Train.Count} train, {data.Test.Count} test), epochs {options.Epochs}, batch {options.BatchSize}, " +
                               $"eta {options.Boolean.LearningRate}{(options.Boolean.NormalizeSignal ? " / rms(q)" : "")} ({options.Boolean.Schedule}), float lr {options.Real.LearningRate}, seed {options.Seed}, " +
                               $"threads {Threading.Resolve(options.Threads)}, ISA {IsaSelection.Name(IsaSelection.Current)}");
        AnsiConsole.MarkupLine($"{trainer.BooleanWeights:N0} Boolean weights; output folder {Markup.Escape(output)}" +
                               (resumed is not null ? $"; resuming after epoch {trainer.CompletedEpochs}" : ""));

        var plots = new TrainPlots();
        void AfterEpoch(Trainer done)
        {
            Checkpoint.Save(Path.Combine(output, CheckpointFile), header, done);
            WriteMetrics(Path.Combine(output, MetricsFile), header, done);
            plots.TryWrite(Path.Combine(output, PlotFile), done.History, entry.Name);
        }

        if (Console.IsOutputRedirected)
        {
            trainer.EpochCompleted = r =>
            {
                foreach (string line in TrainReport.EpochLines(r)) Console.WriteLine(line);
                if (Environment.GetEnvironmentVariable("BOOLNET_PROFILE") is not null)
                {
                    for (int i = 0; i < network.Layers.Count; i++)
                        Console.WriteLine($"  layer {i} {network.Layers[i].Kind,-16} forward {r.LayerForwardSeconds[i],7:F3} s  backward {r.LayerBackwardSeconds[i],7:F3} s");
                    Console.WriteLine($"  GC so far: {GC.CollectionCount(0)} gen0, {GC.CollectionCount(1)} gen1, {GC.CollectionCount(2)} gen2, paused {GC.GetTotalPauseDuration().TotalSeconds:F3} s, allocated {GC.GetTotalAllocatedBytes() / (1 << 20)} MiB");
                }
            };
            trainer.Run(data, AfterEpoch);
        }
        else
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    ProgressTask? task = null;
                    trainer.BatchCompleted = p =>
                    {
                        task ??= context.AddTask($"epoch {p.Epoch}/{options.Epochs}", maxValue: p.Batches);
                        task.Value = p.Batch;
                        if (p.Batch % 20 == 0 || p.Batch == p.Batches) task.Description = $"epoch {p.Epoch}/{options.Epochs} loss {p.RunningLoss:F3}";
                    };
                    trainer.EpochCompleted = r =>
                    {
                        if (task is not null) task.Description = TrainReport.EpochSummary(r, options.Epochs);
                        task?.StopTask();
                        task = null;
                    };
                    trainer.Run(data, AfterEpoch);
                });
        }

        AnsiConsole.Write(TrainReport.EpochTable(trainer.History));
        if (TrainReport.TensorTable(trainer.History, BooleanTensorSizes(trainer)) is { } tensors) AnsiConsole.Write(tensors);
        EpochResult? last = trainer.History.LastOrDefault();
        if (last is not null)
        {
            foreach (ParameterDiagnostics p in TrainReport.BooleanTensors(last).Where(p => p.Stalled))
                AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(TrainReport.StallWarning(p))}[/] in the last epoch");
            AnsiConsole.MarkupLine($"[bold]final test accuracy {last.TestAccuracy:P2}[/]");
        }
        AnsiConsole.MarkupLine($"weights sha256 {ParameterStorage.Hash(network)}");
        AnsiConsole.MarkupLine($"memory: {trainer.BytesPerBooleanWeight():F3} bytes per Boolean weight during training");
        AnsiConsole.MarkupLine($"(1 bit + accumulator + signal); peak RSS {PeakResidentBytes() / (1024.0 * 1024):F0} MiB");
        WriteMetrics(Path.Combine(output, MetricsFile), header, trainer);
        return 0;
    }

    /// <summary>Weights of each Boolean tensor by its report name ("layer.kind.name").</summary>
    private static Dictionary<string, long> BooleanTensorSizes(Trainer trainer) =>
        trainer.Network.Parameters.Where(p => p.Parameter is BooleanParameter)
            .ToDictionary(p => trainer.NameOf(p.Parameter), p => (long)p.Parameter.Count);

    /// <summary>Peak resident set size (VmHWM of /proc/self/status), 0 where unavailable.</summary>
    public static long PeakResidentBytes()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0]) * 1024;
        }
        catch (IOException)
        {
        }
        return 0;
    }

    /// <summary>Writes metrics.json: settings, per-epoch results, final accuracy, memory.</summary>
    public static void WriteMetrics(string path, CheckpointHeader header, Trainer trainer)
    {
        var epochs = new JsonArray();
        foreach (EpochResult r in trainer.History)
        {
            epochs.Add(new JsonObject
            {
                ["epoch"] = r.Epoch, ["train_loss"] = r.TrainLoss, ["train_accuracy"] = r.TrainAccuracy,
                ["test_loss"] = r.TestLoss, ["test_accuracy"] = r.TestAccuracy, ["seconds"] = r.Seconds,
                ["forward_seconds"] = r.ForwardSeconds, ["backward_seconds"] = r.BackwardSeconds, ["update_seconds"] = r.UpdateSeconds,
                ["evaluation_seconds"] = r.EvaluationSeconds,
                ["flip_ratio"] = TrainReport.PerTensor(r, p => p.FlipRatio),
                ["flipped_fraction"] = TrainReport.PerTensor(r, p => p.FlippedFraction),
                ["steps_without_flip"] = TrainReport.PerTensor(r, p => p.StepsWithoutFlip),
                ["max_abs_m"] = TrainReport.PerTensor(r, p => p.MaxAccumulator),
                ["mean_abs_eta_q"] = TrainReport.PerTensor(r, p => p.MeanStep),
                ["stalled"] = new JsonArray([.. TrainReport.BooleanTensors(r).Where(p => p.Stalled).Select(p => (JsonNode)p.Parameter)]),
            });
        }
        // Per Boolean tensor over the run: flips of all epochs as a fraction of its weights, stalled epochs.
        var tensors = new JsonObject();
        foreach (string name in trainer.History.SelectMany(TrainReport.BooleanTensors).Select(p => p.Parameter).Distinct())
        {
            ParameterDiagnostics[] all = trainer.History.SelectMany(TrainReport.BooleanTensors).Where(p => p.Parameter == name).ToArray();
            tensors[name] = new JsonObject
            {
                ["flipped_fraction"] = all.Sum(p => p.FlippedFraction),
                ["stalled_epochs"] = all.Count(p => p.Stalled),
            };
        }
        EpochResult? last = trainer.History.LastOrDefault();
        var root = new JsonObject
        {
            ["model"] = header.Model,
            ["dataset"] = header.Dataset,
            ["settings"] = JsonSerializer.SerializeToNode(header.Settings, Checkpoint.Json),
            ["options"] = JsonSerializer.SerializeToNode(header.Options, Checkpoint.Json),
            ["threads"] = Threading.Resolve(header.Options.Threads),
            ["isa"] = IsaSelection.Name(IsaSelection.Current),
            ["final"] = new JsonObject
            {
                ["epochs"] = trainer.CompletedEpochs,
                ["test_accuracy"] = last?.TestAccuracy,
                ["test_loss"] = last?.TestLoss,
                ["train_loss"] = last?.TrainLoss,
                ["mean_epoch_seconds"] = trainer.History.Count == 0 ? null : trainer.History.Average(r => r.Seconds),
                ["weights_sha256"] = ParameterStorage.Hash(trainer.Network),
                ["boolean_tensors"] = tensors,
            },
            ["memory"] = new JsonObject
            {
                ["boolean_weights"] = trainer.BooleanWeights,
                ["bytes_per_boolean_weight"] = trainer.BytesPerBooleanWeight(),
                ["peak_rss_bytes"] = PeakResidentBytes(),
            },
            ["epochs"] = epochs,
        };
        AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
