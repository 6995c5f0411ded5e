using System.Diagnostics;
using BoolNet.Core.Bits;
using BoolNet.Core.Convolution;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Bench.Convolution;

/// <summary>
/// Quick throughput bench of one Boolean conv layer's forward against the plain counting GEMM of the
/// equivalent shape, measured in the same run (the machine is shared: compare the ratio, not the
/// absolute figure). Binary GOPS count one op per bit position: batch*H_out*W_out*c_out*kh*kw*c_in / s / 1e9.
/// The GEMM is [batch*H_out*W_out, kh*kw*c_in] x [c_out, kh*kw*c_in], the product the conv lowers to.
/// Usage: <c>BoolNet.Bench conv [--batch 64] [--size 14] [--in 128] [--out 128] [--kernel 3] [--stride 1] [--padding 1]
/// [--threads 1] [--repeats 15] [--mode exclude|false|true] [--block 1024]</c>; <c>--block</c> sets <see cref="ConvolutionTuning.RowBlock"/>,
/// and every run also times the other <see cref="ConvolutionTuning.PadRowsToVectors"/> layout.
/// </summary>
public static class ConvolutionThroughput
{
    /// <summary>Runs the bench and prints one line per measurement; returns a process exit code.</summary>
    public static int Run(string[] args)
    {
        int batch = Option(args, "--batch", 64), size = Option(args, "--size", 14), inputChannels = Option(args, "--in", 128);
        int outputChannels = Option(args, "--out", 128), kernel = Option(args, "--kernel", 3), stride = Option(args, "--stride", 1);
        int padding = Option(args, "--padding", 1), threads = Option(args, "--threads", 1), repeats = Option(args, "--repeats", 15);
        string modeName = args.SkipWhile(a => a != "--mode").Skip(1).FirstOrDefault() ?? "exclude";
        PaddingMode mode = Enum.Parse<PaddingMode>(modeName, ignoreCase: true);
        var tuning = ConvolutionTuning.Default with { RowBlock = Option(args, "--block", BooleanConvolution.RowBlock) };
        ConvolutionTuning otherLayout = tuning with { PadRowsToVectors = !tuning.PadRowsToVectors };

        var geometry = new ConvolutionGeometry(size, size, inputChannels, kernel, kernel, stride, padding);
        var random = new Random(1);
        var input = new BitMatrix(batch * geometry.InputPositions, inputChannels);
        input.Randomize(random);
        var weights = new BitMatrix(outputChannels, geometry.FanIn);
        weights.Randomize(random);
        BooleanConvolution.PreparedWeights prepared = BooleanConvolution.Prepare(weights, geometry);
        var pattern = new PaddingPattern(geometry);
        int rows = batch * geometry.OutputPositions;
        var convolutionOutput = new int[rows * outputChannels];

        var gemmA = new BitMatrix(rows, geometry.FanIn);
        gemmA.Randomize(random);
        var gemmOutput = new int[rows * outputChannels];

        double operations = (double)rows * outputChannels * geometry.FanIn;
        Console.WriteLine($"conv {geometry}, c_out {outputChannels}, batch {batch}, padding mode {mode}, row block {tuning.RowBlock}, threads {threads}, ISA {IsaSelection.Current}");
        Console.WriteLine($"equivalent GEMM: M {rows}, N {outputChannels}, K {geometry.FanIn} bits ({gemmA.WordsPerRow} words); conv lowered row {geometry.LoweredWords} words");
        // Interleave the two measurements so drift from other processes on the shared cores hits both alike.
        var gemmTimes = new List<double>();
        var convolutionTimes = new List<double>();
        var exactStrideTimes = new List<double>();
        for (int r = 0; r < repeats + 2; r++)
        {
            double gemm = Time(() => BinaryGemm.Count(CountOperation.Xor, gemmA.Words, weights.Words, rows, outputChannels, gemmA.WordsPerRow, gemmOutput, threads));
            double convolution = Time(() => BooleanConvolution.Forward(input.Words, batch, geometry, prepared, BinaryLogic.Xnor, mode, pattern, convolutionOutput, threads, tuning: tuning));
            double exactStride = Time(() => BooleanConvolution.Forward(input.Words, batch, geometry, prepared, BinaryLogic.Xnor, mode, pattern, convolutionOutput, threads, tuning: otherLayout));
            if (r < 2) continue; // warm-up (JIT tiers)
            gemmTimes.Add(gemm);
            convolutionTimes.Add(convolution);
            exactStrideTimes.Add(exactStride);
        }
        double gemmSeconds = Median(gemmTimes), convolutionSeconds = Median(convolutionTimes);
        // Per-repeat ratios are less sensitive to load drift than the ratio of medians.
        var ratios = gemmTimes.Zip(convolutionTimes, (g, c) => g / c).ToList();
        Console.WriteLine($"per-repeat conv/gemm ratio: median {Median(ratios):F3}, min {ratios.Min():F3}, max {ratios.Max():F3}");
        double gemmGops = operations / gemmSeconds / 1e9, convolutionGops = operations / convolutionSeconds / 1e9;
        Console.WriteLine($"gemm  median {gemmSeconds * 1e3,8:F2} ms  {gemmGops,8:F1} binary GOPS");
        Console.WriteLine($"conv  median {convolutionSeconds * 1e3,8:F2} ms  {convolutionGops,8:F1} binary GOPS");
        Console.WriteLine($"conv / gemm = {convolutionGops / gemmGops:F3}");
        double exactGops = operations / Median(exactStrideTimes) / 1e9;
        Console.WriteLine($"conv with {(otherLayout.PadRowsToVectors ? "vector-padded" : "unpadded")} lowered rows (the other layout): {exactGops:F1} binary GOPS, / gemm = {exactGops / gemmGops:F3}");
        return 0;
    }

    private static double Time(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1]) : fallback;
    }
}
