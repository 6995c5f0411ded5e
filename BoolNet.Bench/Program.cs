namespace BoolNet.Bench;

/// <summary>Benchmarks (BenchmarkDotNet suites and a quick JSON mode) are added by the kernel issue.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args) => 0;
}
