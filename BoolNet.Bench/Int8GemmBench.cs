using System.Diagnostics;
using System.Globalization;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Bench;

/// <summary>
/// Every path of <see cref="Int8Gemm"/> this machine can run on the shapes of the discrete MLP: the int8
/// first layer 784 -> 1024 at batch 1 (latency), 64 (one inference chunk) and 1000, and the int8 head
/// 1024 -> 10 on a chunk. Median GMAC/s (multiply-accumulates of C = X W^T per second) over alternating
/// rounds (the order of the paths rotates every round, so drift from other processes hits all alike), the
/// ratio to the best, and the thread's CPU-time GMAC/s for one thread; <c>*</c> marks the path
/// <see cref="Int8Gemm.Choose"/> takes on the best ISA. Weight preparation is outside the time (a layer
/// prepares once). Usage: <c>BoolNet.Bench int8 [--threads 1] [--rounds 7]</c>.
/// </summary>
public static class Int8GemmBench
{
    private static readonly (string Name, int Count, int Depth, int Outputs)[] Cases =
    [
        ("first layer, batch 1", 1, 784, 1024),
        ("first layer, batch 64", 64, 784, 1024),
        ("first layer, batch 1000", 1000, 784, 1024),
        ("head 1024 -> 10, batch 64", 64, 1024, 10),
    ];

    /// <summary>Runs the bench; returns a process exit code.</summary>
    public static int Run(string[] args)
    {
        int threads = Option(args, "--threads", 1), rounds = Option(args, "--rounds", 7);
        Isa best = IsaSelection.Best;
        Console.WriteLine($"int8 GEMM: threads {threads}, {rounds} rounds, chosen on {IsaSelection.Name(best)}: {Int8Gemm.PathName(best)}");
        foreach (var c in Cases) Measure(c.Name, c.Count, c.Depth, c.Outputs, threads, rounds, best);
        return 0;
    }

    private static void Measure(string name, int count, int depth, int outputs, int threads, int rounds, Isa best)
    {
        var random = new Random(count + depth + outputs);
        var weights = new sbyte[outputs * depth];
        for (int i = 0; i < weights.Length; i++) weights[i] = (sbyte)random.Next(-127, 128);
        var inputs = new byte[count * depth];
        random.NextBytes(inputs);
        var sums = new int[count * outputs];
        IReadOnlyList<Int8Kernel> paths = Int8Gemm.SupportedKernels;
        Action[] calls = paths.Select(kernel =>
        {
            Int8Gemm.PreparedWeights prepared = Int8Gemm.Prepare(weights, outputs, depth, kernel == Int8Kernel.Scalar ? Isa.Scalar : best, kernel);
            return (Action)(() => Int8Gemm.Multiply(prepared, inputs, count, sums, threads));
        }).ToArray();
        foreach (Action call in calls) call(); // JIT and caches
        var wall = paths.Select(_ => new List<double>()).ToArray();
        var cpu = paths.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
            for (int n = 0; n < paths.Count; n++)
            {
                int p = (n + round) % paths.Count;
                (double w, double t) = Time(calls[p]);
                wall[p].Add(w);
                cpu[p].Add(t);
            }
        double macs = (double)count * depth * outputs;
        double[] rates = wall.Select(w => macs / Median(w) / 1e9).ToArray();
        double top = rates.Max();
        Console.WriteLine($"{name}: {count} x {depth} -> {outputs}");
        for (int p = 0; p < paths.Count; p++)
        {
            string mark = paths[p] == Int8Gemm.Choose(best) ? "*" : " ";
            string cpuRate = threads == 1 ? string.Create(CultureInfo.InvariantCulture, $"   thread cpu {macs / Median(cpu[p]) / 1e9,7:F1}") : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {mark} {Int8Gemm.Name(paths[p]),-15} {rates[p],7:F1} GMAC/s  {Median(wall[p]) * 1e6,10:F1} us  x{top / rates[p],5:F2}{cpuRate}"));
        }
    }

    /// <summary>Seconds per call (wall, thread CPU), looping the call for about 20 ms.</summary>
    private static (double Wall, double Cpu) Time(Action call)
    {
        int repeats = 0;
        double cpuStart = CpuClock.ThreadSeconds();
        var watch = Stopwatch.StartNew();
        do
        {
            call();
            repeats++;
        }
        while (watch.Elapsed.TotalSeconds < 0.02);
        return (watch.Elapsed.TotalSeconds / repeats, (CpuClock.ThreadSeconds() - cpuStart) / repeats);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[sorted.Length / 2];
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
