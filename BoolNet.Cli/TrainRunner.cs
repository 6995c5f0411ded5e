using BoolNet.Layers;
using BoolNet.Training;
using BoolNet.Training.Data;
using BoolNet.Training.Models;

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
    /// <summary>--epochs as given: with --resume it extends (or keeps) the run's epochs.</summary>
    public int? Epochs { get; init; }
    /// <summary>The command line and start time recorded in metrics.json.</summary>
    public RunInvocation? Invocation { get; init; }
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
        int? extendedFrom = null;
        if (resumed is not null && request.Epochs is int wanted && wanted != options.Epochs)
        {
            // --resume RUN --epochs N: the run goes on to N epochs (the learning-rate schedule then spans N).
            if (wanted < resumed.History.Count)
                throw new ArgumentException($"--epochs {wanted}: the run in {resumePath} has already done {resumed.History.Count} epochs");
            extendedFrom = options.Epochs;
            options = options with { Epochs = wanted };
        }
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
        int batches = trainer.BatchesPerEpoch(data);
        RunInvocation invocation = request.Invocation ?? new RunInvocation("boolnet train", DateTime.UtcNow);

        // What the checkpoint reader would refuse is refused now, before an epoch is spent on it.
        Checkpoint.Validate(header with { History = [] }, "training settings", long.MaxValue);
        if ((long)options.BatchSize * Math.Max(settings.Hidden.DefaultIfEmpty(0).Max(), header.InputShape.Aggregate(1L, (a, b) => a * b)) > TrainingCommands.MaximumBatchValues)
            throw new ArgumentException($"--batch {options.BatchSize} with hidden {string.Join(',', settings.Hidden)} on {data.Train.Shape} images needs more than " +
                                        $"{TrainingCommands.MaximumBatchValues:N0} values per layer; use a smaller batch");

        var facts = new RunFacts
        {
            Entry = entry, Settings = settings, Trainer = trainer, Data = data, Output = output,
            ResumedAfter = resumed is null ? null : trainer.CompletedEpochs, ExtendedFrom = extendedFrom,
        };
        foreach (string line in TrainHeader.Lines(facts)) Console.WriteLine(line);
        Console.WriteLine();

        var plots = new TrainPlots();
        void AfterEpoch(Trainer done)
        {
            Checkpoint.Save(Path.Combine(output, CheckpointFile), header, done);
            RunMetrics.Write(Path.Combine(output, MetricsFile), header, done, invocation, batches);
            plots.TryWrite(Path.Combine(output, PlotFile), done.History, entry.Name);
        }

        TrainProgress progress = TrainProgress.ForConsole(options.Epochs, batches);
        trainer.BatchCompleted = progress.OnBatch;
        trainer.EpochCompleted = r => progress.OnEpoch(r, Environment.GetEnvironmentVariable("BOOLNET_PROFILE") is null ? null : ProfileLines(network, r));
        trainer.Run(data, AfterEpoch);

        Console.WriteLine();
        Console.Write(TrainReport.EpochTable(trainer.History, batches));
        if (TrainReport.TensorTable(trainer.History, BooleanTensorSizes(trainer)) is { } tensors)
        {
            Console.WriteLine();
            Console.Write(tensors);
        }
        Console.WriteLine();
        EpochResult? last = trainer.History.LastOrDefault();
        if (last is not null)
        {
            foreach (ParameterDiagnostics p in TrainReport.BooleanTensors(last).Where(p => p.Stalled))
                foreach (string line in TrainReport.Wrap(TrainReport.StallWarning(p).TrimStart() + " in the last epoch")) Console.WriteLine(line);
            Console.WriteLine($"final test accuracy {TrainReport.Percent2(last.TestAccuracy)} after {trainer.CompletedEpochs} epochs " +
                              $"(train {TrainReport.Percent2(last.TrainAccuracy)})");
        }
        Console.WriteLine($"weights sha256 {ParameterStorage.Hash(network)}");
        string rss = $"peak RSS {PeakResidentBytes() / (1024.0 * 1024):F0} MiB";
        string memory = trainer.BooleanWeights > 0
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"memory: {trainer.BytesPerBooleanWeight():F3} bytes per Boolean weight during training (1 bit + accumulator + signal); {rss}")
            : $"memory: {rss}";
        foreach (string line in TrainReport.Wrap(memory)) Console.WriteLine(line);
        RunMetrics.Write(Path.Combine(output, MetricsFile), header, trainer, invocation, batches);
        foreach (string line in TrainReport.Wrap($"wrote {Path.Combine(output, MetricsFile)}, {PlotFile}, {CheckpointFile}; `boolnet show {output}` shows the run again"))
            Console.WriteLine(line);
        return 0;
    }

    /// <summary>Per-layer times and GC counts after an epoch (BOOLNET_PROFILE set).</summary>
    private static IEnumerable<string> ProfileLines(Network network, EpochResult r)
    {
        for (int i = 0; i < network.Layers.Count; i++)
            yield return $"  layer {i} {network.Layers[i].Kind,-16} forward {r.LayerForwardSeconds[i],7:F3} s  backward {r.LayerBackwardSeconds[i],7:F3} s";
        yield return $"  GC so far: {GC.CollectionCount(0)} gen0, {GC.CollectionCount(1)} gen1, {GC.CollectionCount(2)} gen2, " +
                     $"paused {GC.GetTotalPauseDuration().TotalSeconds:F3} s, allocated {GC.GetTotalAllocatedBytes() / (1 << 20)} MiB";
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
}
