using System.Diagnostics;
using System.Globalization;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Bench.Real;

/// <summary>
/// <c>floatpanels [--rounds R] [--n N] [--k K]</c>: the folded float first layer's product x W^T (bold-mlp:
/// W [1024, 784]) on one thread, pre-packed <see cref="FloatPanels"/> against the unpacked W^T the layer
/// used before (<see cref="FloatGemm.Algorithm.FewRows"/> on blocks of at most 4 samples), at batch 1, 4 and
/// 64 (one chunk of the inference model), on each vector ISA. Rounds alternate the two, so load from other
/// processes hits both alike; each line prints median microseconds per call, per sample, and the ratio.
/// </summary>
public static class FloatPanelsBench
{
    /// <summary>Runs the comparison; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        int rounds = 7, n = 1024, k = 784;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            int value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--rounds": rounds = value; break;
                case "--n": n = value; break;
                case "--k": k = value; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        var random = new Random(1);
        float[] weights = Enumerable.Range(0, n * k).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var transposed = new float[k * n];
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++) transposed[p * n + j] = weights[j * k + p];
        FloatPanels panels = FloatPanels.Pack(weights, transposeB: true, k, n);
        foreach (Isa isa in IsaSelection.Supported.Where(x => x != Isa.Scalar).Reverse())
            foreach (int m in new[] { 1, 4, 64 })
                Measure(isa, m, n, k, rounds, random, transposed, panels);
        return 0;
    }

    private static void Measure(Isa isa, int m, int n, int k, int rounds, Random random, float[] transposed, FloatPanels panels)
    {
        float[] x = Enumerable.Range(0, m * k).Select(_ => random.Next(256) / 255f).ToArray();
        float[] before = new float[m * n], after = new float[m * n];
        Action[] calls =
        [
            () =>
            {
                for (int row = 0; row < m; row += FloatGemm.FewRowsLimit)
                {
                    int rows = Math.Min(FloatGemm.FewRowsLimit, m - row);
                    FloatGemm.Multiply(x.AsSpan(row * k, rows * k), false, transposed, false, before.AsSpan(row * n, rows * n), rows, n, k,
                        FloatSumOrder.Chain, false, 1, isa, FloatGemm.Algorithm.FewRows);
                }
            },
            () => FloatGemm.Multiply(x, panels, after, m, isa),
        ];
        var clock = Stopwatch.StartNew();
        var repeats = new int[calls.Length];
        for (int s = 0; s < calls.Length; s++)
        {
            for (int i = 0; i < 5; i++) calls[s]();
            clock.Restart();
            calls[s]();
            repeats[s] = (int)Math.Clamp(Math.Ceiling(0.02 / Math.Max(clock.Elapsed.TotalSeconds, 1e-7)), 1, 100_000);
        }
        if (!before.AsSpan().SequenceEqual(after)) throw new InvalidOperationException("the packed product differs from the unpacked one");
        var times = new double[calls.Length][];
        for (int s = 0; s < calls.Length; s++) times[s] = new double[rounds];
        for (int round = 0; round < rounds; round++)
            for (int s = 0; s < calls.Length; s++)
            {
                clock.Restart();
                for (int i = 0; i < repeats[s]; i++) calls[s]();
                times[s][round] = clock.Elapsed.TotalSeconds / repeats[s];
            }
        double old = Median(times[0]), packed = Median(times[1]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{IsaSelection.Name(isa),-6} m={m,-3} [{m}x{k}]x[{k}x{n}]  unpacked {old * 1e6,8:F1} us  packed {packed * 1e6,8:F1} us " +
            $"({packed * 1e6 / m,6:F1} us/row)  x{old / packed:F2}"));
    }

    private static double Median(double[] values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
