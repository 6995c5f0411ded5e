using System.Runtime.Intrinsics;
using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Layers;

/// <summary>
/// Dense layer with integer weights W [out, in] and integer bias (int32, trained by ZIM;
/// docs/ALGORITHMS.md section 5, Wilson, Zanasi, Constantinides, arXiv:2512.04051):
/// <c>y = (s x) float(W)^T + float(b)</c>, x flattened per sample, s = <see cref="InputScale"/>
/// (e.g. 1/255 for raw pixels). Forward in float: the integers convert exactly (|w| &lt; 2^24) and the
/// float GEMM multiplies them with the real activations; a parameter-free LayerNorm after the layer
/// makes the integer scale irrelevant (Wilson et al.'s reference models). Gradients are real.
/// </summary>
public sealed class IntegerLinear : ILayer
{
    private readonly float[] _weight;
    private readonly float[]? _bias;
    private float[] _input = [];     // s x [N, in]
    private float[] _output = [];
    private float[] _inputGradient = [];
    private int _count;
    private bool _bitInput;          // the last Forward read +-1 bits (no input scale)

    /// <summary>
    /// Creates the layer; weights start as round(<paramref name="initialScale"/> * U(-1, 1)), the bias at 0
    /// (the reference code zeroes integer biases).
    /// </summary>
    public IntegerLinear(TensorShape input, int outputs, Random random, double initialScale, bool bias = true, float inputScale = 1f,
        IntegerRange? range = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        InputShape = input;
        OutputShape = TensorShape.Vector(outputs);
        InputScale = inputScale;
        Weight = new IntegerParameter("weight", range ?? IntegerRange.Int32, outputs * input.Size, outputs, input.Size);
        InitializeUniform(Weight.Value, initialScale, random, Weight.Range);
        _weight = new float[Weight.Count];
        if (bias)
        {
            Bias = new IntegerParameter("bias", outputs, outputs);
            _bias = new float[outputs];
        }
        Parameters = Bias is null ? [Weight] : [Weight, Bias];
    }

    /// <inheritdoc />
    public string Kind => "integer-linear";

    /// <inheritdoc />
    public TensorShape InputShape { get; }

    /// <inheritdoc />
    public TensorShape OutputShape { get; }

    /// <inheritdoc />
    public bool OutputIsBits => false;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>W [out, in].</summary>
    public IntegerParameter Weight { get; }

    /// <summary>b [out], or null.</summary>
    public IntegerParameter? Bias { get; }

    /// <summary>Factor applied to the input.</summary>
    public float InputScale { get; }

    private int Inputs => InputShape.Size;

    private int Outputs => OutputShape.Channels;

    /// <summary>y [N, out] = (s x [N, in]) float(W)^T [in, out] + float(b); bit inputs are e(x) = +-1, unscaled.</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        if (input.Shape.Size != Inputs) throw new ArgumentException($"{Kind} expects {Inputs} inputs per sample but received {input.Shape}");
        int count = input.Count;
        _count = count;
        ToFloat(Weight.Value, _weight, context.Threads);
        if (Bias is not null) ToFloat(Bias.Value, _bias!, 1);
        LayerBuffers.Resize(ref _input, (long)count * Inputs);
        _bitInput = input.Bits is not null;
        if (input.Bits is { } bits)
        {
            // Bits from a threshold layer are the values e(x) = +-1 (the scale s is not applied to them).
            if (bits.Columns != Inputs || bits.Rows != count)
                throw new ArgumentException($"{Kind} reads bit batches as flat vectors of {Inputs}; got {bits.Rows}x{bits.Columns}");
            float[] unpacked = _input;
            int inputs = Inputs;
            Threading.For(count, context.Threads, (start, end) =>
            {
                for (int row = start; row < end; row++) BitPacking.UnpackSigns(bits.Row(row), unpacked.AsSpan(row * inputs, inputs));
            }, work: (long)count * inputs);
        }
        else Elementwise.Scale(input.RequireReal(Kind), InputScale, _input, _input.Length, context.Threads);
        LayerBuffers.Resize(ref _output, (long)count * Outputs);
        FloatGemm.Multiply(_input, false, _weight, true, _output, count, Outputs, Inputs, threads: context.Threads); // [N, in] x [out, in]^T
        if (_bias is not null) RowBroadcast.AddToRows(_output, _bias, count, Outputs, context.Threads);
        return Batch.FromReal(_output, count, OutputShape);
    }

    /// <summary>
    /// Differentiates <see cref="Forward"/>: dW [out, in] = dY^T (s x), db = sum_n dY, dx = s dY float(W).
    /// </summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        if (outputGradient.Length < (long)_count * Outputs)
            throw new ArgumentException($"output gradient holds {outputGradient.Length} values, needs {_count * Outputs}; was Forward called?");
        FloatGemm.Multiply(outputGradient, true, _input, false, Weight.Gradient, Outputs, Inputs, _count, threads: context.Threads); // [N, out]^T x [N, in]
        if (Bias is not null) RowBroadcast.ColumnSums(outputGradient, _count, Outputs, Bias.Gradient, context.Threads);
        if (!context.NeedInputGradient) return null;
        LayerBuffers.Resize(ref _inputGradient, (long)_count * Inputs);
        FloatGemm.Multiply(outputGradient, false, _weight, false, _inputGradient, _count, Inputs, Outputs, threads: context.Threads); // [N, out] x [out, in]
        if (InputScale != 1f && !_bitInput) Elementwise.Scale(_inputGradient, InputScale);
        return _inputGradient;
    }

    /// <summary>values[i] = round(scale * U(-1, 1)) clamped into <paramref name="range"/> (0 everywhere when scale is 0).</summary>
    internal static void InitializeUniform(int[] values, double scale, Random random, IntegerRange? range = null)
    {
        IntegerRange bounds = range ?? IntegerRange.Int32;
        if (!(scale >= 0) || scale > 1 << 24) throw new ArgumentOutOfRangeException(nameof(scale), $"integer initial scale {scale} must be in [0, 2^24]");
        for (int i = 0; i < values.Length; i++) values[i] = bounds.Clamp((long)Math.Round(scale * (random.NextDouble() * 2 - 1)));
    }

    /// <summary>Exact int32 -> float conversion of the weights used as numbers (exact below 2^24 in magnitude).</summary>
    internal static void ToFloat(int[] source, float[] destination, int threads)
    {
        // Every forward converts the whole tensor (the integer optimizer changed some of it), in 8-aligned
        // blocks over threads (one 784x1024 tensor is 6 MB of memory traffic): eight at a time, cvtdq2ps,
        // which rounds exactly as the scalar cast (exact below 2^24 in magnitude anyway).
        Threading.For(source.Length, threads, (start, end) =>
        {
            int i = start;
            if (Vector256.IsHardwareAccelerated)
                for (; i + 8 <= end; i += 8)
                    Vector256.ConvertToSingle(Vector256.Create(source.AsSpan(i, 8))).CopyTo(destination.AsSpan(i, 8));
            for (; i < end; i++) destination[i] = source[i];
        }, alignment: 8, work: source.Length);
    }
}
