namespace BoolNet.Bench;

/// <summary>Benchmarks (BenchmarkDotNet suites and a quick JSON mode) are added by the kernel issue.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "conv") return Convolution.ConvolutionThroughput.Run(args[1..]);
        return 0;
    }
}
