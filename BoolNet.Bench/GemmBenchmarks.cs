using BenchmarkDotNet.Attributes;
using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Bench;

/// <summary>
/// Counting GEMM per ISA path and shape, single thread. Giga-ops = m * n * k / mean time / 1e9 (one op is
/// one bit position of one output). Run: <c>dotnet run -c Release --project BoolNet.Bench -- --filter *GemmBenchmarks*</c>.
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private BitMatrix _a = null!, _b = null!;
    private int[] _c = null!;

    /// <summary>Every path this machine supports.</summary>
    public static IEnumerable<Isa> Isas => IsaSelection.Supported;

    /// <summary>The ISA path under test.</summary>
    [ParamsSource(nameof(Isas))]
    public Isa Isa { get; set; }

    /// <summary>m x k x n: the reference shape, a square-ish layer and one output column (a single image).</summary>
    [Params("256x4096x64", "1024x1024x128", "64x784x1")]
    public string Shape { get; set; } = "256x4096x64";

    /// <summary>XOR (XNOR/XOR neurons) or AND (bit-plane backward pass).</summary>
    [Params(CountOperation.Xor, CountOperation.And)]
    public CountOperation Operation { get; set; }

    /// <summary>Random operands of the shape.</summary>
    [GlobalSetup]
    public void Setup()
    {
        int[] size = Shape.Split('x').Select(int.Parse).ToArray();
        var random = new Random(1);
        _a = new BitMatrix(size[0], size[1]); _a.Randomize(random);
        _b = new BitMatrix(size[2], size[1]); _b.Randomize(random);
        _c = new int[size[0] * size[2]];
    }

    /// <summary>One product on one thread.</summary>
    [Benchmark]
    public void Count() => BinaryGemm.Count(Operation, _a, _b, _c, threads: 1, isa: Isa);
}

/// <summary>Thread scaling on the reference shape 256x4096x64: the 2-thread time should be about half.</summary>
public class GemmThreadingBenchmarks
{
    private BitMatrix _a = null!, _b = null!;
    private int[] _c = null!;

    /// <summary>Every path this machine supports.</summary>
    public static IEnumerable<Isa> Isas => IsaSelection.Supported;

    /// <summary>The ISA path under test.</summary>
    [ParamsSource(nameof(Isas))]
    public Isa Isa { get; set; }

    /// <summary>Threads of the product.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Random operands of 256x4096x64.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(2);
        _a = new BitMatrix(256, 4096); _a.Randomize(random);
        _b = new BitMatrix(64, 4096); _b.Randomize(random);
        _c = new int[256 * 64];
    }

    /// <summary>One product on <see cref="Threads"/> threads.</summary>
    [Benchmark]
    public void Count() => BinaryGemm.Count(CountOperation.Xor, _a, _b, _c, Threads, Isa);
}

/// <summary>The single dot product per ISA path (the kernel called on 1 x 1 outputs).</summary>
public class DotBenchmarks
{
    private ulong[] _a = null!, _b = null!;

    /// <summary>Every path this machine supports.</summary>
    public static IEnumerable<Isa> Isas => IsaSelection.Supported;

    /// <summary>The ISA path under test.</summary>
    [ParamsSource(nameof(Isas))]
    public Isa Isa { get; set; }

    /// <summary>Vector length.</summary>
    [Params(784, 4096)]
    public int Bits { get; set; }

    /// <summary>Random vectors of the length.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        int words = BitMatrix.WordsFor(Bits);
        _a = Enumerable.Range(0, words).Select(_ => (ulong)random.NextInt64()).ToArray();
        _b = Enumerable.Range(0, words).Select(_ => (ulong)random.NextInt64()).ToArray();
    }

    /// <summary>One dot product.</summary>
    [Benchmark]
    public int Dot() => BinaryDot.Dot(_a, _b, Bits, BinaryLogic.Xnor, Isa);
}
