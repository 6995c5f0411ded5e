using System.Diagnostics;
using System.Globalization;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;
using BoolNet.Training.Data;

namespace BoolNet.Bench.Real;

/// <summary>
/// <c>floatpanels [--rounds R] [--n N] [--images IDX]</c>: the folded float first layer's product x W^T
/// (bold-mlp: W [1024, 784]) on one thread, pre-packed <see cref="FloatPanels"/> against the unpacked W^T the
/// layer used before (<see cref="FloatGemm.Algorithm.FewRows"/> on blocks of at most 4 samples), at batch 1,
/// 4 and 64 (one chunk of the inference model), on each vector ISA, for random pixels (what <c>boolnet
/// bench</c> feeds) and for the images of an IDX file (default: Fashion-MNIST's test images when installed;
/// half their pixels are 0, which a single row skips). Calls cycle through 64 inputs. Rounds alternate the
/// two products, so load from other processes hits both alike; each line prints median microseconds per
/// call and per sample, and the ratio.
/// </summary>
public static class FloatPanelsBench
{
    /// <summary>Runs the comparison; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        int rounds = 7, n = 1024;
        string? imagesPath = DatasetLoader.FindIdxFile("/usr/share/datasets/fashion-mnist", "t10k-images-idx3-ubyte");
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--n": n = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--images": imagesPath = args[i + 1]; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        const int k = 784, inputs = 64;
        var random = new Random(1);
        var inputSets = new List<(string Name, float[] X)>
        {
            ("random", Enumerable.Range(0, inputs * k).Select(_ => random.Next(256) / 255f).ToArray()),
        };
        if (imagesPath is not null)
        {
            byte[] pixels = DatasetLoader.ReadImages(imagesPath).Pixels;
            if (pixels.Length >= inputs * k) inputSets.Add(("images", pixels.AsSpan(0, inputs * k).ToArray().Select(b => b / 255f).ToArray()));
        }
        float[] weights = Enumerable.Range(0, n * k).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var transposed = new float[k * n];
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++) transposed[p * n + j] = weights[j * k + p];
        FloatPanels panels = FloatPanels.Pack(weights, transposeB: true, k, n);
        foreach (Isa isa in IsaSelection.Supported.Where(x => x != Isa.Scalar).Reverse())
            foreach (int m in new[] { 1, 4, 64 })
                foreach ((string name, float[] x) in inputSets)
                    Measure(isa, m, n, k, rounds, name, x, transposed, panels);
        return 0;
    }

    private static void Measure(Isa isa, int m, int n, int k, int rounds, string inputName, float[] inputs, float[] transposed, FloatPanels panels)
    {
        float[] before = new float[m * n], after = new float[m * n];
        int offsets = inputs.Length / k / m, call = 0; // calls cycle through the inputs, m rows at a time
        Action[] calls =
        [
            () =>
            {
                ReadOnlySpan<float> x = inputs.AsSpan(call++ % offsets * m * k, m * k);
                for (int row = 0; row < m; row += FloatGemm.FewRowsLimit)
                {
                    int rows = Math.Min(FloatGemm.FewRowsLimit, m - row);
                    FloatGemm.Multiply(x.Slice(row * k, rows * k), false, transposed, false, before.AsSpan(row * n, rows * n), rows, n, k,
                        FloatSumOrder.Chain, false, 1, isa, FloatGemm.Algorithm.FewRows);
                }
            },
            () => FloatGemm.Multiply(inputs.AsSpan(call++ % offsets * m * k, m * k), panels, after, m, isa),
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
        call = 0;
        calls[0]();
        call = 0;
        calls[1]();
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
            $"{IsaSelection.Name(isa),-6} m={m,-3} {inputName,-7} [{m}x{k}]x[{k}x{n}]  unpacked {old * 1e6,8:F1} us  packed {packed * 1e6,8:F1} us " +
            $"({packed * 1e6 / m,6:F1} us/row)  x{old / packed:F2}"));
    }

    private static double Median(double[] values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
