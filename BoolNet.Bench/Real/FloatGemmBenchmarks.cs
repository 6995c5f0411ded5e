using BenchmarkDotNet.Attributes;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Bench.Real;

/// <summary>
/// The float GEMM on the shapes of the paper's small CNN at batch 64 (conv2 forward, its weight
/// gradient, fc1 forward) per ISA path, single-threaded. GFLOP/s = 2 m n k / time.
/// </summary>
[MemoryDiagnoser]
public class FloatGemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];

    /// <summary>m x n x k with transposes, as "m,n,k,tA,tB".</summary>
    [Params("12544,64,288,N,N", "64,288,12544,T,N", "64,128,3136,N,T")]
    public string Shape { get; set; } = "";

    /// <summary>ISA path.</summary>
    [Params(Isa.Scalar, Isa.Avx2, Isa.Avx512)]
    public Isa Path { get; set; }

    private int _m, _n, _k;
    private bool _transposeA, _transposeB;

    /// <summary>Allocates random operands.</summary>
    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Shape.Split(',');
        (_m, _n, _k) = (int.Parse(parts[0]), int.Parse(parts[1]), int.Parse(parts[2]));
        (_transposeA, _transposeB) = (parts[3] == "T", parts[4] == "T");
        var random = new Random(1);
        _a = Enumerable.Range(0, _m * _k).Select(_ => (float)random.NextDouble()).ToArray();
        _b = Enumerable.Range(0, _k * _n).Select(_ => (float)random.NextDouble()).ToArray();
        _c = new float[_m * _n];
    }

    /// <summary>One product.</summary>
    [Benchmark]
    public void Multiply()
    {
        if (!IsaSelection.IsSupported(Path)) return;
        FloatGemm.Multiply(_a, _transposeA, _b, _transposeB, _c, _m, _n, _k, FloatSumOrder.Chain, accumulate: false, threads: 1, Path);
    }
}
