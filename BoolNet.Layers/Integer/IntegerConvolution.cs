using BoolNet.Core.Convolution;
using BoolNet.Core.Operators;

namespace BoolNet.Layers;

/// <summary>
/// 2-D convolution with integer weights W [out, kh, kw, in] and integer bias (both int32, trained by
/// ZIM; docs/ALGORITHMS.md section 5, Wilson, Zanasi, Constantinides, arXiv:2512.04051): the arithmetic
/// of <see cref="RealConvolution2D"/> with the integers used as numbers.
/// <code>
///   x: [N, H, W, in] real (times s)     W: [out, kh, kw, in] int32     b: [out] int32 or none
///   y = conv(s x, float(W)) + float(b)  -> [N, H_out, W_out, out] real
/// </code>
/// Each integer converts to float exactly (|w| &lt; 2^24) and <see cref="FloatConvolution"/> does the
/// products with the real activations (a LayerNorm follows, so the integer scale is irrelevant). The
/// gradients dW, db are real and feed the ZIM update.
/// </summary>
public sealed class IntegerConvolution : ILayer
{
    private readonly float[] _weight; // float(W)
    private readonly float[]? _bias;  // float(b)
    private float[]? _columns;        // s im2col(x), kept by a training Forward
    private int _count;

    /// <summary>
    /// Creates the layer; weights start as round(<paramref name="initialScale"/> * U(-1, 1)) and the bias at 0
    /// (the reference code zeroes integer biases).
    /// </summary>
    public IntegerConvolution(TensorShape input, int outputs, int kernel, Random random, double initialScale,
        int stride = 1, int padding = 0, bool bias = true, float inputScale = 1f, IntegerRange? range = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        Geometry = new ConvolutionGeometry(input.Height, input.Width, input.Channels, kernel, kernel, stride, padding);
        InputShape = input;
        OutputShape = new TensorShape(Geometry.OutputHeight, Geometry.OutputWidth, outputs);
        InputScale = inputScale;
        Weight = new IntegerParameter("weight", range ?? IntegerRange.Int32, outputs * Geometry.FanIn, outputs, kernel, kernel, input.Channels);
        IntegerLinear.InitializeUniform(Weight.Value, initialScale, random, Weight.Range);
        _weight = new float[Weight.Count];
        if (bias)
        {
            Bias = new IntegerParameter("bias", outputs, outputs);
            _bias = new float[outputs];
        }
        Parameters = Bias is null ? [Weight] : [Weight, Bias];
    }

    /// <inheritdoc />
    public string Kind => "integer-convolution";

    /// <inheritdoc />
    public TensorShape InputShape { get; }

    /// <inheritdoc />
    public TensorShape OutputShape { get; }

    /// <inheritdoc />
    public bool OutputIsBits => false;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Input map, kernel, stride and padding.</summary>
    public ConvolutionGeometry Geometry { get; }

    /// <summary>kh = kw.</summary>
    public int Kernel => Geometry.KernelHeight;

    /// <summary>Stride (both directions).</summary>
    public int Stride => Geometry.Stride;

    /// <summary>Zero padding on each side.</summary>
    public int Padding => Geometry.Padding;

    /// <summary>out, the output channels.</summary>
    public int OutputChannels => OutputShape.Channels;

    /// <summary>W [out, kh, kw, in].</summary>
    public IntegerParameter Weight { get; }

    /// <summary>b [out], or null.</summary>
    public IntegerParameter? Bias { get; }

    /// <summary>Factor applied to the input.</summary>
    public float InputScale { get; }

    /// <summary>Forward: x [N, H, W, in] -> y [N, H_out, W_out, out] = conv(s x, float(W)) + float(b).</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        float[] x = input.RequireReal(Kind);
        if (input.Shape != InputShape) throw new ArgumentException($"{Kind} expects {InputShape} but received {input.Shape}");
        IntegerLinear.ToFloat(Weight.Value, _weight, context.Threads);
        if (Bias is not null) IntegerLinear.ToFloat(Bias.Value, _bias!, 1);
        int count = input.Count, rows = count * Geometry.OutputPositions;
        float[] columns = context.Floats(rows * Geometry.FanIn); // [rows, kh*kw*in], fully written
        float[] y = context.Floats(rows * OutputChannels);       // [rows, out], fully written
        FloatConvolution.Forward(Geometry, count, x, InputScale, _weight, _bias, OutputChannels, columns, y, threads: context.Threads);
        (_columns, _count) = (columns, count);
        return Batch.FromReal(y, count, OutputShape);
    }

    /// <summary>Backward for z = dL/dy [N*H_out*W_out, out]: real dW = z^T s im2col(x), db = sum over rows of z (for ZIM), dx = s col2im(z float(W)).</summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        float[] columns = _columns ?? throw new InvalidOperationException($"{Kind}: Backward without a Forward");
        _columns = null;
        float[]? dx = context.NeedInputGradient ? context.Floats(_count * InputShape.Size) : null; // fully written
        FloatConvolution.Backward(Geometry, _count, columns, _weight, OutputChannels, outputGradient, Weight.Gradient, Bias?.Gradient, dx, InputScale, context.Threads);
        return dx;
    }
}
