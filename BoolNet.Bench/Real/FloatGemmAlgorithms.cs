using System.Diagnostics;
using System.Globalization;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Bench.Real;

/// <summary>
/// <c>floatgemm [--rounds R]</c>: the float GEMM's algorithms against each other on the catalogue shapes
/// where <see cref="FloatGemm.Choose"/> picks something other than the blocked algorithm on one thread (the inference layer's):
/// <list type="bullet">
/// <item>FewRows vs Blocked: the folded float first layer of bold-mlp at inference, x [1 or 4, 784] times
/// W^T [784, 1024], and of sgd-mlp, W^T [784, 128].</item>
/// </list>
/// Rounds alternate the algorithms, so load from other processes hits them alike; each line prints the
/// median microseconds per call and the ratio to the algorithm <see cref="FloatGemm.Choose"/> picks,
/// measured in the same run. On a shared machine the figures are noisy; the ratios are what to read.
/// </summary>
public static class FloatGemmAlgorithms
{
    private sealed record Case(string Name, int M, int N, int K, bool TransposeB, Isa Isa, FloatGemm.Algorithm[] Algorithms);

    /// <summary>Runs the comparison; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        int rounds = args.Length >= 2 && args[0] == "--rounds" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
        Isa best = IsaSelection.Best;
        var cases = new List<Case>
        {
            new("bold-mlp first layer, inference batch 1", 1, 1024, 784, false, best, [FloatGemm.Algorithm.FewRows, FloatGemm.Algorithm.Blocked]),
            new("bold-mlp first layer, inference block of 4", 4, 1024, 784, false, best, [FloatGemm.Algorithm.FewRows, FloatGemm.Algorithm.Blocked]),
            new("sgd-mlp first layer, inference batch 1", 1, 128, 784, false, best, [FloatGemm.Algorithm.FewRows, FloatGemm.Algorithm.Blocked]),
        };
        if (best == Isa.Avx512)
            cases.Add(new("bold-mlp first layer, inference batch 1", 1, 1024, 784, false, Isa.Avx2, [FloatGemm.Algorithm.FewRows, FloatGemm.Algorithm.Blocked]));
        foreach (Case c in cases) Measure(c, rounds);
        return 0;
    }

    private static void Measure(Case c, int rounds)
    {
        var random = new Random(1);
        float[] a = Enumerable.Range(0, c.M * c.K).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] b = Enumerable.Range(0, c.K * c.N).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var result = new float[c.M * c.N];
        int algorithms = c.Algorithms.Length;
        void Call(int s) => FloatGemm.Multiply(a, false, b, c.TransposeB, result, c.M, c.N, c.K, FloatSumOrder.Chain, false, 1, c.Isa, c.Algorithms[s]);
        // Warm-up (JIT tiers, caches), then calls per round so one round of one algorithm lasts ~20 ms.
        var clock = Stopwatch.StartNew();
        var calls = new int[algorithms];
        for (int s = 0; s < algorithms; s++)
        {
            for (int i = 0; i < 5; i++) Call(s);
            clock.Restart();
            Call(s);
            calls[s] = (int)Math.Clamp(Math.Ceiling(0.02 / Math.Max(clock.Elapsed.TotalSeconds, 1e-7)), 1, 100_000);
        }
        var times = new double[algorithms][];
        for (int s = 0; s < algorithms; s++) times[s] = new double[rounds];
        for (int round = 0; round < rounds; round++)
            for (int s = 0; s < algorithms; s++)
            {
                clock.Restart();
                for (int i = 0; i < calls[s]; i++) Call(s);
                times[s][round] = clock.Elapsed.TotalSeconds / calls[s];
            }
        FloatGemm.Algorithm chosen = FloatGemm.Choose(c.M, c.N, c.K, false, c.TransposeB, FloatSumOrder.Chain, false, c.Isa);
        double reference = Median(times[Array.IndexOf(c.Algorithms, chosen)]);
        for (int s = 0; s < algorithms; s++)
        {
            double median = Median(times[s]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{c.Name} [{c.M}x{c.K}]x[{c.K}x{c.N}] {IsaSelection.Name(c.Isa)} {c.Algorithms[s],-8} {median * 1e6,9:F1} us  x{median / reference:F2} of {chosen}"));
        }
    }

    private static double Median(double[] values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
