using BoolNet.Core.Real;

namespace BoolNet.Layers;

/// <summary>
/// Float 2-D convolution over NHWC: <c>y[n, oy, ox, o] = b[o] + sum_{ky,kx,c} W[o, ky, kx, c] * s * x[n, oy*stride-pad+ky, ox*stride-pad+kx, c]</c>
/// (zero padding, s = <see cref="InputScale"/>, e.g. 1/255 for raw pixels), computed as im2col plus the
/// float GEMM: Y[N*OH*OW, out] = columns[N*OH*OW, K] * W^T with W [out, K = kh*kw*in].
/// Initialisation as PyTorch's default: W, b ~ U(-1/sqrt(K), 1/sqrt(K)).
/// </summary>
public sealed class RealConvolution : ILayer
{
    private readonly ConvolutionArithmetic _arithmetic;

    /// <summary>Creates the layer for <paramref name="input"/> (H x W x C).</summary>
    public RealConvolution(TensorShape input, int outputs, int kernel, Random random, int stride = 1, int padding = 0, bool bias = true, float inputScale = 1f)
    {
        _arithmetic = new ConvolutionArithmetic(input, outputs, kernel, stride, padding, inputScale);
        InputShape = input;
        OutputShape = _arithmetic.OutputShape;
        InputScale = inputScale;
        int depth = _arithmetic.Depth;
        Weight = new RealParameter("weight", outputs * depth);
        float bound = 1f / MathF.Sqrt(depth);
        for (int i = 0; i < Weight.Value.Length; i++) Weight.Value[i] = (float)(random.NextDouble() * 2 - 1) * bound;
        if (bias)
        {
            Bias = new RealParameter("bias", outputs);
            for (int i = 0; i < outputs; i++) Bias.Value[i] = (float)(random.NextDouble() * 2 - 1) * bound;
        }
        Parameters = Bias is null ? [Weight] : [Weight, Bias];
    }

    /// <inheritdoc />
    public string Kind => "real-convolution";

    /// <inheritdoc />
    public TensorShape InputShape { get; }

    /// <inheritdoc />
    public TensorShape OutputShape { get; }

    /// <inheritdoc />
    public bool OutputIsBits => false;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>W [out, kh, kw, in].</summary>
    public RealParameter Weight { get; }

    /// <summary>b [out], or null.</summary>
    public RealParameter? Bias { get; }

    /// <summary>Factor applied to the input.</summary>
    public float InputScale { get; }

    /// <summary>y = conv(s x, W) + b.</summary>
    public Batch Forward(Batch input, LayerContext context) =>
        _arithmetic.Forward(input, Weight.Value, Bias?.Value, context, Kind);

    /// <summary>Differentiates <see cref="Forward"/>: dW, db and (when asked) dx.</summary>
    public float[]? Backward(float[] outputGradient, LayerContext context) =>
        _arithmetic.Backward(outputGradient, Weight.Value, Weight.Gradient, Bias?.Gradient, context);
}

/// <summary>
/// The float arithmetic of a convolution with weights W [out, kh, kw, in] (real or integer-valued),
/// shared by <see cref="RealConvolution"/> and <see cref="IntegerConvolution"/>. Buffers are reused
/// between calls: an output batch is valid until the next <see cref="Forward"/>.
/// </summary>
internal sealed class ConvolutionArithmetic
{
    private readonly TensorShape _input;
    private readonly int _kernel, _stride, _padding, _outputs;
    private readonly float _scale;
    private float[] _columns = [];
    private float[] _output = [];
    private float[] _inputGradient = [];
    private int _count;

    public ConvolutionArithmetic(TensorShape input, int outputs, int kernel, int stride, int padding, float inputScale)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        int outputHeight = Im2Col.OutputSize(input.Height, kernel, stride, padding);
        int outputWidth = Im2Col.OutputSize(input.Width, kernel, stride, padding);
        if (outputHeight < 1 || outputWidth < 1)
            throw new ArgumentException($"a {kernel}x{kernel} kernel with padding {padding} does not fit input {input}");
        _input = input;
        _outputs = outputs;
        _kernel = kernel;
        _stride = stride;
        _padding = padding;
        _scale = inputScale;
        OutputShape = new TensorShape(outputHeight, outputWidth, outputs);
    }

    public TensorShape OutputShape { get; }

    /// <summary>K = kh * kw * in.</summary>
    public int Depth => _kernel * _kernel * _input.Channels;

    /// <summary>x [N, H, W, in] -> y [N, OH, OW, out].</summary>
    public Batch Forward(Batch input, float[] weight, float[]? bias, LayerContext context, string kind)
    {
        float[] x = input.RequireReal(kind);
        if (input.Shape != _input) throw new ArgumentException($"{kind} expects {_input} but received {input.Shape}");
        int count = input.Count;
        int rows = count * OutputShape.Positions;
        _count = count;
        Resize(ref _columns, (long)rows * Depth);
        Resize(ref _output, (long)rows * _outputs);
        // columns [rows, K] (scaled by s), then y [rows, out] = columns * W^T.
        Im2Col.Lower(x, count, _input.Height, _input.Width, _input.Channels, _kernel, _kernel, _stride, _padding, _columns, context.Threads);
        if (_scale != 1f) Scale(_columns, _scale);
        RealGemm.Multiply(_columns, false, weight, true, _output, rows, _outputs, Depth, threads: context.Threads);
        if (bias is not null)
            for (int row = 0; row < rows; row++)
            {
                Span<float> line = _output.AsSpan(row * _outputs, _outputs);
                for (int o = 0; o < _outputs; o++) line[o] += bias[o];
            }
        return Batch.FromReal(_output, count, OutputShape);
    }

    /// <summary>
    /// Differentiates y = columns(s x) W^T + b: dW [out, K] = dY^T columns, db = sum_rows dY,
    /// dx = s * col2im(dY W).
    /// </summary>
    public float[]? Backward(float[] outputGradient, float[] weight, float[] weightGradient, float[]? biasGradient, LayerContext context)
    {
        int rows = _count * OutputShape.Positions;
        if (outputGradient.Length < (long)rows * _outputs)
            throw new ArgumentException($"output gradient holds {outputGradient.Length} values, needs {rows * _outputs}; was Forward called in training mode?");
        RealGemm.Multiply(outputGradient, true, _columns, false, weightGradient, _outputs, Depth, rows, threads: context.Threads);
        if (biasGradient is not null)
        {
            Array.Clear(biasGradient);
            for (int row = 0; row < rows; row++)
            {
                ReadOnlySpan<float> line = outputGradient.AsSpan(row * _outputs, _outputs);
                for (int o = 0; o < _outputs; o++) biasGradient[o] += line[o];
            }
        }
        if (!context.NeedInputGradient) return null;
        // The columns are no longer needed: reuse them for d(columns) = dY W.
        RealGemm.Multiply(outputGradient, false, weight, false, _columns, rows, Depth, _outputs, threads: context.Threads);
        Resize(ref _inputGradient, (long)_count * _input.Size);
        Im2Col.Raise(_columns, _count, _input.Height, _input.Width, _input.Channels, _kernel, _kernel, _stride, _padding, _inputGradient, context.Threads);
        if (_scale != 1f) Scale(_inputGradient, _scale);
        return _inputGradient;
    }

    internal static void Resize(ref float[] buffer, long length)
    {
        if (buffer.Length != length) buffer = new float[length];
    }

    internal static void Scale(float[] values, float factor)
    {
        for (int i = 0; i < values.Length; i++) values[i] *= factor;
    }
}
