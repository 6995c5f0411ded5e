namespace BoolNet.Layers;

/// <summary>
/// 2-D convolution with integer weights W [out, kh, kw, in] and integer bias (both int32, trained by
/// ZIM): the same arithmetic as <see cref="RealConvolution"/> with the integers used as numbers.
/// Forward in float: each integer is converted exactly (|w| &lt; 2^24) and the float GEMM does the
/// products with real-valued activations (a LayerNorm follows, so the integer scale is irrelevant).
/// The gradients dW, db are real and feed the ZIM update.
/// </summary>
public sealed class IntegerConvolution : ILayer
{
    private readonly ConvolutionArithmetic _arithmetic;
    private readonly float[] _weight;
    private readonly float[]? _bias;

    /// <summary>
    /// Creates the layer; weights start as round(<paramref name="initialScale"/> * U(-1, 1)) and the bias at 0
    /// (the reference code zeroes integer biases).
    /// </summary>
    public IntegerConvolution(TensorShape input, int outputs, int kernel, Random random, double initialScale,
        int stride = 1, int padding = 0, bool bias = true, float inputScale = 1f)
    {
        _arithmetic = new ConvolutionArithmetic(input, outputs, kernel, stride, padding, inputScale);
        InputShape = input;
        OutputShape = _arithmetic.OutputShape;
        InputScale = inputScale;
        Weight = IntegerParameterShapes.Register(new IntegerParameter("weight", outputs * _arithmetic.Depth), outputs, kernel, kernel, input.Channels);
        IntegerLinear.InitializeUniform(Weight.Value, initialScale, random);
        _weight = new float[Weight.Count];
        if (bias)
        {
            Bias = IntegerParameterShapes.Register(new IntegerParameter("bias", outputs), outputs);
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

    /// <summary>W [out, kh, kw, in].</summary>
    public IntegerParameter Weight { get; }

    /// <summary>b [out], or null.</summary>
    public IntegerParameter? Bias { get; }

    /// <summary>Factor applied to the input.</summary>
    public float InputScale { get; }

    /// <summary>y = conv(s x, float(W)) + float(b).</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        IntegerLinear.ToFloat(Weight.Value, _weight);
        if (Bias is not null) IntegerLinear.ToFloat(Bias.Value, _bias!);
        return _arithmetic.Forward(input, _weight, _bias, context, Kind);
    }

    /// <summary>Differentiates <see cref="Forward"/>: real dW, db (for ZIM) and dx.</summary>
    public float[]? Backward(float[] outputGradient, LayerContext context) =>
        _arithmetic.Backward(outputGradient, _weight, Weight.Gradient, Bias?.Gradient, context);
}
