using System.Diagnostics;
using System.Globalization;
using BoolNet.Core.Bits;
using BoolNet.Core.Convolution;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Bench;

/// <summary>
/// Which path of <see cref="SignalProducts"/> wins on the shapes the catalogue models train on (batch
/// 100; the evaluation batch runs no backward). For every catalogue contraction and every path that
/// can compute it on this machine's ISAs, the median time per call over alternating rounds (the order
/// of the paths rotates every round, so drift from other processes on a shared machine hits all of
/// them alike) and its ratio to the best; <c>*</c> marks the path the operator picks. The signal is a
/// heavy-tailed real signal quantised like the training's (z = n^3, n normal: about 90 % zero levels
/// at 4 planes, 70 % at 6). Threads 1 by default: the CPU time of the calling thread is measured too,
/// which does not count time slices lost to other processes.
/// Usage: <c>BoolNet.Bench signals [--threads 1] [--rounds 7] [--filter text] [--isa avx2|avx512|all]</c>.
/// </summary>
public static class SignalProductsBench
{
    private sealed record Case(string Model, string Contraction, int Count, int Outputs, int Inputs, int Planes, Kind Kind, int ValueBits = 0);

    private enum Kind
    {
        InputSignal,
        WeightSignal,
        WeightSignalOfBytes,
        ConvolutionWeightSignal,
    }

    private static readonly Case[] Cases =
    [
        new("bold-mlp", "g 1024x1024", 100, 1024, 1024, 6, Kind.InputSignal),
        new("bold-mlp", "q 1024x1024", 100, 1024, 1024, 6, Kind.WeightSignal),
        new("bold-mlp-bitplane/-thermometer/-boolean-head", "g 1024x1024", 100, 1024, 1024, 4, Kind.InputSignal),
        new("bold-mlp-bitplane/-thermometer/-boolean-head", "q 1024x1024", 100, 1024, 1024, 4, Kind.WeightSignal),
        new("bold-mlp-bitplane", "q first 784->1024, 4-bit pixels", 100, 1024, 784, 4, Kind.WeightSignalOfBytes, 4),
        new("bold-mlp-small", "g 256x256", 100, 256, 256, 4, Kind.InputSignal),
        new("bold-mlp-small", "q 256x256", 100, 256, 256, 4, Kind.WeightSignal),
        new("bold-mlp-small", "q first 784->256, 4-bit pixels", 100, 256, 784, 4, Kind.WeightSignalOfBytes, 4),
        new("bold-mlp-boolean-head", "g head 1024->10", 100, 10, 1024, 4, Kind.InputSignal),
        new("bold-mlp-boolean-head", "q head 1024->10", 100, 10, 1024, 4, Kind.WeightSignal),
        new("bold-mlp-thermometer", "g first 2352->1024", 100, 1024, 2352, 4, Kind.InputSignal),
        new("bold-mlp-thermometer", "q first 2352->1024", 100, 1024, 2352, 4, Kind.WeightSignal),
        new("bold-cnn", "g linear 6272->256", 100, 256, 6272, 4, Kind.InputSignal),
        new("bold-cnn", "q linear 6272->256", 100, 256, 6272, 4, Kind.WeightSignal),
        // Convolutions: rows = batch x output positions; g is computed per block of samples (the lowered rows).
        new("bold-cnn", "g conv 32->64 14x14 (18-sample block)", 18 * 196, 64, 288, 4, Kind.InputSignal),
        new("bold-cnn", "q conv 32->64 14x14", 100 * 196, 64, 288, 4, Kind.ConvolutionWeightSignal),
        new("(bold-cnn)", "q conv 32->64 14x14 as a dense product (no padding correction)", 100 * 196, 64, 288, 4, Kind.WeightSignal),
        new("bold-cnn", "g conv 64->128 7x7 (37-sample block)", 37 * 49, 128, 576, 4, Kind.InputSignal),
        new("bold-cnn", "q conv 64->128 7x7", 100 * 49, 128, 576, 4, Kind.ConvolutionWeightSignal),
        new("bold-cnn-thermometer", "q conv 3->32 28x28", 100 * 784, 32, 27, 4, Kind.ConvolutionWeightSignal),
        new("bold-vgg-small", "g conv 128->128 32x32 (1-sample block)", 1024, 128, 1152, 4, Kind.InputSignal),
        new("bold-vgg-small", "q conv 128->128 32x32", 100 * 1024, 128, 1152, 4, Kind.ConvolutionWeightSignal),
        new("bold-vgg-small", "g conv 512->512 8x8 (3-sample block)", 3 * 64, 512, 4608, 4, Kind.InputSignal),
        new("bold-vgg-small", "q conv 512->512 8x8", 100 * 64, 512, 4608, 4, Kind.ConvolutionWeightSignal),
    ];

    /// <summary>Runs the bench; returns a process exit code.</summary>
    public static int Run(string[] args)
    {
        int threads = Option(args, "--threads", 1), rounds = Option(args, "--rounds", 7);
        string? filter = Text(args, "--filter");
        string isaText = Text(args, "--isa") ?? "all";
        Isa[] isas = isaText == "all" ? IsaSelection.Supported.Where(isa => isa != Isa.Scalar).ToArray() : [IsaSelection.Parse(isaText)];
        Console.WriteLine($"signal products: threads {threads}, {rounds} rounds, ISAs {string.Join(", ", isas)}, load {LoadAverage()}");
        foreach (Case c in Cases)
        {
            if (filter is not null && !(c.Model + " " + c.Contraction).Contains(filter, StringComparison.OrdinalIgnoreCase)) continue;
            foreach (Isa isa in isas) Measure(c, isa, threads, rounds);
        }
        return 0;
    }

    private static void Measure(Case c, Isa isa, int threads, int rounds)
    {
        var random = new Random(c.Count + c.Outputs + c.Inputs);
        SignalLevels z = Signal(random, c.Count, c.Outputs, c.Planes);
        var bits = new BitMatrix(c.Kind == Kind.InputSignal ? c.Outputs : c.Count, c.Inputs);
        bits.Randomize(random);
        var values = new byte[c.Kind == Kind.WeightSignalOfBytes ? c.Count * c.Inputs : 0];
        for (int i = 0; i < values.Length; i++) values[i] = (byte)(random.Next(3) == 0 ? 0 : random.Next(1 << c.ValueBits));
        int[]? excluded = c.Kind == Kind.ConvolutionWeightSignal ? ExcludedSums(z, c.Inputs) : null;
        var output = new float[Math.Max(c.Count, c.Outputs) * c.Inputs];
        var cache = new PairedBitsCache();
        SignalProducts.Product product = c.Kind switch
        {
            Kind.InputSignal => SignalProducts.Product.InputSignal,
            Kind.WeightSignal => SignalProducts.Product.WeightSignal,
            Kind.ConvolutionWeightSignal => SignalProducts.Product.WeightSignalExcluding,
            _ => SparseByteProducts.Fits(c.Planes, c.ValueBits) ? SignalProducts.Product.WeightSignalOfBytes : SignalProducts.Product.WeightSignalOfWideBytes,
        };
        SignalAlgorithm chosen = SignalProducts.Choose(product, isa, z, c.Kind == Kind.InputSignal ? c.Outputs : c.Count);
        SignalAlgorithm[] paths = c.Kind switch
        {
            Kind.InputSignal => [SignalAlgorithm.DenseBytes], // the planes lost on every shape (README) and were deleted
            Kind.WeightSignal => [SignalAlgorithm.DenseBytes, SignalAlgorithm.SparseBytes, SignalAlgorithm.Planes],
            Kind.WeightSignalOfBytes => [SignalAlgorithm.SparseBytes, SignalAlgorithm.Planes],
            _ => [SignalAlgorithm.Planes],
        };
        Action Call(SignalAlgorithm path) => c.Kind switch
        {
            Kind.InputSignal => () => SignalProducts.InputSignal(z, bits, 0.5f, output, threads, cache, isa, path),
            Kind.WeightSignalOfBytes => () => SignalProducts.WeightSignal(z, values, c.ValueBits, c.Inputs, 0.5f, output, threads, default(NoRowEpilogue), isa, path),
            _ => () => SignalProducts.WeightSignal(z, bits, excluded, 0.5f, output, threads, default(NoRowEpilogue), isa, path),
        };
        Action[] calls = paths.Select(Call).ToArray();
        var wall = paths.Select(_ => new List<double>()).ToArray();
        var cpu = paths.Select(_ => new List<double>()).ToArray();
        foreach (Action call in calls) call(); // JIT and caches
        double once = Time(calls[0]).Wall;
        int repeats = Math.Clamp((int)(0.05 / Math.Max(once, 1e-6)), 1, 50);
        for (int round = 0; round < rounds; round++)
            for (int n = 0; n < paths.Length; n++)
            {
                int p = (n + round) % paths.Length;
                (double w, double t) = Time(calls[p], repeats);
                wall[p].Add(w);
                cpu[p].Add(t);
            }
        double[] medians = wall.Select(Median).ToArray();
        double best = medians.Min();
        Console.WriteLine($"{c.Model}: {c.Contraction}, N {c.Count} out {c.Outputs} m {c.Inputs}, {c.Planes} planes, {z.Levels.Count(v => v == 0) * 100 / Math.Max(1, z.Levels.Length)} % zero levels, {isa}");
        for (int p = 0; p < paths.Length; p++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {(paths[p] == chosen ? "*" : " ")} {paths[p],-12} {medians[p] * 1e3,9:F3} ms  x{medians[p] / best,5:F2}   thread cpu {Median(cpu[p]) * 1e3,9:F3} ms"));
    }

    /// <summary>A heavy-tailed signal quantised like the training's.</summary>
    internal static SignalLevels Signal(Random random, int rows, int columns, int planes)
    {
        var z = new float[rows * columns];
        for (int i = 0; i < z.Length; i++)
        {
            double n = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            z[i] = (float)(n * n * n);
        }
        return SignalLevels.Quantize(z, rows, columns, planes, SignalRounding.Nearest, 0);
    }

    /// <summary>Excluded sums of a 3x3 convolution with one pixel of padding on a square map whose positions tile the rows.</summary>
    private static int[] ExcludedSums(SignalLevels z, int fanIn)
    {
        int channels = fanIn / 9;
        foreach (int size in new[] { 32, 28, 16, 14, 8, 7, 4 })
            if (z.Rows % (size * size) == 0)
            {
                var geometry = new ConvolutionGeometry(size, size, channels, 3, 3, 1, 1);
                return SignalLowering.ExcludedSums(z.Levels, z.Rows, z.Columns, geometry, new PaddingPattern(geometry));
            }
        throw new ArgumentException($"no square map tiles {z.Rows} rows");
    }

    private static (double Wall, double Cpu) Time(Action call, int repeats = 1)
    {
        double cpu = CpuClock.Available ? CpuClock.ThreadSeconds() : 0;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < repeats; i++) call();
        double wall = Stopwatch.GetElapsedTime(start).TotalSeconds / repeats;
        return (wall, CpuClock.Available ? (CpuClock.ThreadSeconds() - cpu) / repeats : double.NaN);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static int Option(string[] args, string name, int fallback)
    {
        string? value = Text(args, name);
        return value is null ? fallback : int.Parse(value, CultureInfo.InvariantCulture);
    }

    private static string? Text(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
}
