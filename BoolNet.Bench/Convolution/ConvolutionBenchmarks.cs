using BenchmarkDotNet.Attributes;
using BoolNet.Core.Bits;
using BoolNet.Core.Convolution;
using BoolNet.Core.Operators;

namespace BoolNet.Bench.Convolution;

/// <summary>
/// BenchmarkDotNet suite: one Boolean 3x3 conv forward (bit im2col + counting GEMM + centring and
/// padding correction) against the plain counting GEMM of the equivalent shape
/// [batch*H_out*W_out, 9*c_in] x [c_out, 9*c_in]. Binary GOPS = batch*H_out*W_out*c_out*9*c_in / time.
/// </summary>
[MemoryDiagnoser]
public class ConvolutionBenchmarks
{
    private ConvolutionGeometry _geometry;
    private BitMatrix _input = null!, _weights = null!, _gemmA = null!;
    private BooleanConvolution.PreparedWeights _prepared = null!;
    private PaddingPattern _pattern = null!;
    private int[] _output = null!, _gemmOutput = null!;

    /// <summary>Input and output channels.</summary>
    [Params(64, 128)]
    public int Channels { get; set; }

    /// <summary>Padding semantics.</summary>
    [Params(PaddingMode.Exclude, PaddingMode.False)]
    public PaddingMode Padding { get; set; }

    /// <summary>Batch of 64 maps of 14x14, padding 1, single thread.</summary>
    [GlobalSetup]
    public void Setup()
    {
        const int batch = 64;
        _geometry = new ConvolutionGeometry(14, 14, Channels, 3, 3, 1, 1);
        var random = new Random(1);
        _input = new BitMatrix(batch * _geometry.InputPositions, Channels);
        _input.Randomize(random);
        _weights = new BitMatrix(Channels, _geometry.FanIn);
        _weights.Randomize(random);
        _prepared = BooleanConvolution.Prepare(_weights, _geometry);
        _pattern = new PaddingPattern(_geometry);
        int rows = batch * _geometry.OutputPositions;
        _output = new int[rows * Channels];
        _gemmA = new BitMatrix(rows, _geometry.FanIn);
        _gemmA.Randomize(random);
        _gemmOutput = new int[rows * Channels];
    }

    /// <summary>The plain GEMM of the lowered shape.</summary>
    [Benchmark(Baseline = true)]
    public void Gemm() =>
        BinaryGemm.Count(CountOperation.Xor, _gemmA.Words, _weights.Words, _gemmA.Rows, Channels, _gemmA.WordsPerRow, _gemmOutput, threads: 1);

    /// <summary>The convolution forward.</summary>
    [Benchmark]
    public void Convolution() =>
        BooleanConvolution.Forward(_input.Words, _input.Rows / _geometry.InputPositions, _geometry, _prepared, BinaryLogic.Xnor,
            Padding, _pattern, _output, threads: 1);
}
