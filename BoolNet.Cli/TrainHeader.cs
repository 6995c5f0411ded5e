using System.Globalization;
using BoolNet.Core.Execution;
using BoolNet.Layers;
using BoolNet.Training;
using BoolNet.Training.Data;
using BoolNet.Training.Models;
using BoolNet.Training.Optimizers;

namespace BoolNet.Cli;

/// <summary>What a run trains, for its header: the facts read from the built network, not from the settings.</summary>
internal sealed record RunFacts
{
    /// <summary>The catalogue model.</summary>
    public required ModelEntry Entry { get; init; }

    /// <summary>The model's settings (their Boolean-layer knobs are shown when the network has Boolean weights).</summary>
    public required ModelSettings Settings { get; init; }

    /// <summary>The trainer (network, options, optimizer groups).</summary>
    public required Trainer Trainer { get; init; }

    /// <summary>The dataset.</summary>
    public required Dataset Data { get; init; }

    /// <summary>The run folder.</summary>
    public required string Output { get; init; }

    /// <summary>Epochs the run had when resumed (null for a new run).</summary>
    public int? ResumedAfter { get; init; }

    /// <summary>The run's epochs before <c>--epochs</c> extended it (null when not extended).</summary>
    public int? ExtendedFrom { get; init; }
}

/// <summary>The header <c>boolnet train</c> prints before the first epoch, wrapped at 80 columns.</summary>
internal static class TrainHeader
{
    /// <summary>
    /// The header, e.g.
    /// <code>
    /// bold-mlp: MLP with a float first layer, Boolean hidden layer, float head
    /// layers: 28x28x1 > real-linear 1024 > batch-norm > threshold > boolean-linear
    ///   1024 > batch-norm > threshold > real-linear 10
    /// parameters: 1,048,576 Boolean, 0 integer, 814,090 float
    /// Boolean layers: surrogate Tanh, signal 6 planes, nearest, logic Xnor
    /// data fashion-mnist: 3,000 of 60,000 training images, 1,000 of 10,000 test
    /// epochs 3, batch 100, seed 1, threads 2, ISA avx512, augmentation none
    /// optimizers: flip-with-reset eta 1000 (cosine); adam lr 0.001 (cosine)
    /// output folder runs/bold-mlp
    /// </code>
    /// </summary>
    public static IEnumerable<string> Lines(RunFacts run)
    {
        Trainer trainer = run.Trainer;
        TrainingOptions o = trainer.Options;
        var lines = new List<string>();
        lines.AddRange(TrainReport.Wrap($"{run.Entry.Name}: {run.Entry.Description}"));
        lines.AddRange(TrainReport.Wrap("layers: " + DescribeLayers(trainer.Network)));
        (long boolean, long integer, long real) = CountParameters(trainer.Network);
        lines.Add($"parameters: {Count(boolean)} Boolean, {Count(integer)} integer, {Count(real)} float");
        if (boolean > 0)
            lines.AddRange(TrainReport.Wrap($"Boolean layers: surrogate {run.Settings.Surrogate}, signal {run.Settings.HiddenSignal}, logic {run.Settings.Logic}"));
        lines.AddRange(TrainReport.Wrap($"data {run.Data.Name}: {Used(run.Data.Train.Count, o.TrainLimit)} training images, " +
                                        $"{Used(run.Data.Test.Count, o.TestLimit)} test"));
        lines.AddRange(TrainReport.Wrap($"epochs {o.Epochs}, batch {o.BatchSize}, seed {o.Seed}, threads {Threading.Resolve(o.Threads)}, " +
                                        $"ISA {IsaSelection.Name(IsaSelection.Current)}, augmentation {Lower(o.Augmentation)}"));
        lines.AddRange(TrainReport.Wrap("optimizers: " + string.Join("; ", trainer.Groups.Select(g => DescribeOptimizer(g, o)))));
        lines.AddRange(TrainReport.Wrap($"output folder {run.Output}"));
        if (run.ResumedAfter is int after)
            lines.AddRange(TrainReport.Wrap($"resuming after epoch {after}" +
                (run.ExtendedFrom is int from ? $", extended from {from} to {o.Epochs} epochs (the learning-rate schedule now spans {o.Epochs})" : "")));
        return lines;
    }

    /// <summary>"28x28x1 > real-linear 1024 > batch-norm > ...": each layer's kind and its output shape where the shape changes or the layer has weights.</summary>
    public static string DescribeLayers(Network network)
    {
        var parts = new List<string> { network.InputShape.ToString() };
        foreach (ILayer layer in network.Layers)
            parts.Add(layer.OutputShape == layer.InputShape && layer.Parameters.Count == 0 ? layer.Kind : $"{layer.Kind} {layer.OutputShape}");
        return string.Join(" > ", parts);
    }

    /// <summary>Values of the network's Boolean, integer and float parameters.</summary>
    public static (long Boolean, long Integer, long Real) CountParameters(Network network)
    {
        long boolean = 0, integer = 0, real = 0;
        foreach ((int _, Parameter p) in network.Parameters)
        {
            if (p is BooleanParameter) boolean += p.Count;
            else if (p is IntegerParameter) integer += p.Count;
            else real += p.Count;
        }
        return (boolean, integer, real);
    }

    /// <summary>"3,000 of 60,000" under a limit, else "60,000".</summary>
    public static string Used(int available, int limit) =>
        limit > 0 && limit < available ? $"{Count(limit)} of {Count(available)}" : Count(available);

    private static string DescribeOptimizer(OptimizerGroup group, TrainingOptions o)
    {
        string name = group.Optimizer.Name;
        string rate = name switch
        {
            BooleanOptimizer.OptimizerName => Invariant($" eta {o.Boolean.LearningRate}{(o.Boolean.NormalizeSignal ? " / rms(q)" : "")} ({Lower(o.Boolean.Schedule)})"),
            "adam" or "sgd" => Invariant($" lr {o.Real.LearningRate} ({Lower(o.Real.Schedule)})"),
            "step-with-reset" when o.IntegerStep is { } step => Invariant($" lr {step.LearningRate} ({Lower(step.Schedule)})"),
            _ => "",
        };
        return name + rate;
    }

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
