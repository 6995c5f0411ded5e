using System.Diagnostics;
using BoolNet.Core.Execution;
using BoolNet.Layers;
using BoolNet.Training;
using BoolNet.Training.Data;
using BoolNet.Training.Models;

namespace BoolNet.Bench.Training;

/// <summary>
/// Does the Boolean optimizer step fused into the backward pay? One training epoch of a catalogue model
/// with <see cref="TrainingOptions.FuseBooleanStep"/> on and off, alternating (the order flips every
/// round, so drift from other processes on a shared machine hits both alike), printing each round's
/// train seconds (evaluation excluded) and the median ratio fused / separate. The weights of the two
/// runs must be equal (checked every round).
/// Usage: <c>BoolNet.Bench fusion [--model bold-mlp] [--images 6000] [--threads 2] [--rounds 5]</c>.
/// </summary>
public static class FusionBench
{
    /// <summary>Runs the bench; returns a process exit code.</summary>
    public static int Run(string[] args)
    {
        string model = Text(args, "--model") ?? ModelCatalog.DefaultModel;
        int images = Option(args, "--images", 6000), threads = Option(args, "--threads", 2), rounds = Option(args, "--rounds", 5);
        Dataset data = DatasetLoader.Load();
        ModelEntry entry = ModelCatalog.Get(model);
        Console.WriteLine($"fusion: {model}, {images} images, batch {entry.Defaults.BatchSize}, threads {threads}, ISA {IsaSelection.Current}");
        var ratios = new List<double>();
        var cpuRatios = new List<double>();
        for (int round = 0; round < rounds + 1; round++)
        {
            bool fusedFirst = round % 2 == 0;
            (double first, double firstCpu, string firstWeights) = Epoch(entry, data, images, threads, fusedFirst);
            (double second, double secondCpu, string secondWeights) = Epoch(entry, data, images, threads, !fusedFirst);
            if (firstWeights != secondWeights) throw new InvalidOperationException("fused and separate steps gave different weights");
            (double fused, double separate) = fusedFirst ? (first, second) : (second, first);
            (double fusedCpu, double separateCpu) = fusedFirst ? (firstCpu, secondCpu) : (secondCpu, firstCpu);
            if (round == 0) { Console.WriteLine($"warm-up: fused {fused:F3} s, separate {separate:F3} s"); continue; }
            ratios.Add(fused / separate);
            cpuRatios.Add(fusedCpu / separateCpu);
            Console.WriteLine($"round {round}: fused {fused:F3} s (cpu {fusedCpu:F3}), separate {separate:F3} s (cpu {separateCpu:F3}), ratio {fused / separate:F3} (cpu {fusedCpu / separateCpu:F3})");
        }
        ratios.Sort();
        cpuRatios.Sort();
        Console.WriteLine($"median ratio fused / separate: wall {ratios[ratios.Count / 2]:F3} (min {ratios[0]:F3}, max {ratios[^1]:F3}), " +
            $"process cpu {cpuRatios[cpuRatios.Count / 2]:F3} (min {cpuRatios[0]:F3}, max {cpuRatios[^1]:F3}) over {ratios.Count} rounds");
        return 0;
    }

    private static (double Seconds, double CpuSeconds, string Weights) Epoch(ModelEntry entry, Dataset data, int images, int threads, bool fuse)
    {
        TrainingOptions options = entry.Defaults with { Epochs = 1, TrainLimit = images, TestLimit = 1, Threads = threads, FuseBooleanStep = fuse };
        Network network = entry.Build(data.Train.Shape, data.ClassCount, options.Seed);
        var trainer = new Trainer(network, options);
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        EpochResult result = trainer.TrainEpoch(data);
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        var hash = new HashCode();
        foreach ((int _, Parameter parameter) in network.Parameters)
            if (parameter is BooleanParameter boolean) foreach (ulong word in boolean.Weights.Words) hash.Add(word);
        return (result.Seconds, cpuSeconds, hash.ToHashCode().ToString("x8"));
    }

    private static int Option(string[] args, string name, int fallback)
    {
        string? value = Text(args, name);
        return value is null ? fallback : int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string? Text(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
}
