using BoolNet.Core.Convolution;
using BoolNet.Core.Operators;

namespace BoolNet.Layers;

/// <summary>How a layer's bias starts (it only matters for training from scratch).</summary>
public enum BiasInit
{
    /// <summary>No bias (e.g. when batch norm follows).</summary>
    None,

    /// <summary>A bias that starts at 0 and draws nothing from the generator.</summary>
    Zero,

    /// <summary>U(-1/sqrt(fan-in), 1/sqrt(fan-in)), drawn after the weights (PyTorch's default).</summary>
    Uniform,
}

/// <summary>
/// The float 2-D convolution over NHWC maps: the real-valued image input of the Boolean CNNs (trained
/// by Adam) and both convolutions of Wilson et al.'s float comparison CNN (trained by SGD).
/// <code>
///   x: [N, H, W, C] real, times s = InputScale       W: [c_out, kh, kw, C] real     b: [c_out] or none
///   y[n, oy, ox, o] = b[o] + sum_(ky, kx, c) W[o, ky, kx, c] s x[n, oy*stride - pad + ky, ox*stride - pad + kx, c]
///   -> [N, H_out, W_out, c_out] real, zero padding
/// </code>
/// computed by <see cref="FloatConvolution"/> (im2col and the float GEMM). Weights start
/// U(-1/sqrt(fan-in), 1/sqrt(fan-in)), fan-in = kh kw C.
/// <para>
/// Two kind names are stored: <see cref="KindName"/> and <see cref="ComparisonKindName"/>, the name
/// of the comparison CNN's former float convolution. A layer keeps the name it was built or loaded
/// with, because checkpoints and weight hashes record it. Both mean this layer and differ in one
/// thing only, the summation order of a narrow layer (<see cref="SumOrder"/>), which each kind keeps.
/// </para>
/// </summary>
public sealed class RealConvolution2D : ILayer
{
    /// <summary>The kind name of the layer.</summary>
    public const string KindName = "real-conv2d";

    /// <summary>The same layer as the float comparison CNN records it (sgd-cnn checkpoints, model files and weight hashes).</summary>
    public const string ComparisonKindName = "real-convolution";

    private float[]? _columns; // s im2col(x) [N*H_out*W_out, kh*kw*C], kept by a training Forward
    private int _count;

    /// <summary>Creates the layer.</summary>
    /// <param name="input">H x W x C of one sample</param>
    /// <param name="outputChannels">c_out</param>
    /// <param name="kernel">kh = kw</param>
    /// <param name="random">initialisation</param>
    /// <param name="stride">stride</param>
    /// <param name="padding">zero padding on each side</param>
    /// <param name="bias">whether there is a bias and how it starts</param>
    /// <param name="inputScale">s, multiplies the input (1/255 for raw pixels)</param>
    /// <param name="kind"><see cref="KindName"/> or <see cref="ComparisonKindName"/></param>
    public RealConvolution2D(TensorShape input, int outputChannels, int kernel, Random random, int stride = 1, int padding = 0,
        BiasInit bias = BiasInit.None, float inputScale = 1f, string kind = KindName)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputChannels, 1);
        if (kind is not (KindName or ComparisonKindName)) throw new ArgumentException($"a float convolution is stored as {KindName} or {ComparisonKindName}, not {kind}", nameof(kind));
        Geometry = new ConvolutionGeometry(input.Height, input.Width, input.Channels, kernel, kernel, stride, padding);
        Kind = kind;
        InputShape = input;
        OutputShape = new TensorShape(Geometry.OutputHeight, Geometry.OutputWidth, outputChannels);
        InputScale = inputScale;
        Weight = new RealParameter("weight", outputChannels * Geometry.FanIn);
        float bound = 1f / MathF.Sqrt(Geometry.FanIn);
        for (int i = 0; i < Weight.Value.Length; i++) Weight.Value[i] = (float)(random.NextDouble() * 2 - 1) * bound;
        if (bias != BiasInit.None) Bias = new RealParameter("bias", outputChannels);
        if (bias == BiasInit.Uniform)
            for (int i = 0; i < outputChannels; i++) Bias!.Value[i] = (float)(random.NextDouble() * 2 - 1) * bound;
        Parameters = Bias is null ? [Weight] : [Weight, Bias];
    }

    /// <inheritdoc />
    public string Kind { get; }

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

    /// <summary>c_out.</summary>
    public int OutputChannels => OutputShape.Channels;

    /// <summary>W [c_out, kh, kw, C].</summary>
    public RealParameter Weight { get; }

    /// <summary>b [c_out], or null.</summary>
    public RealParameter? Bias { get; }

    /// <summary>s, the factor applied to the input.</summary>
    public float InputScale { get; }

    /// <summary>
    /// Summation order of the forward product: <see cref="FloatSumOrder.Dot8"/> for a <see cref="KindName"/>
    /// layer with fewer than <see cref="RealLinear.NarrowOutputs"/> output channels (the row dot products
    /// that kind has always used for them), else <see cref="FloatSumOrder.Chain"/>.
    /// </summary>
    public FloatSumOrder SumOrder => Kind == KindName ? RealLinear.SumOrderFor(OutputChannels) : FloatSumOrder.Chain;

    /// <summary>Forward (class formula): x [N, H, W, C] -> y [N, H_out, W_out, c_out].</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        float[] x = input.RequireReal(Kind);
        if (input.Shape != InputShape) throw new ArgumentException($"{Kind} expects samples of {InputShape}, got {input.Shape}");
        int count = input.Count, rows = count * Geometry.OutputPositions;
        float[] columns = context.Floats(rows * Geometry.FanIn); // [rows, kh*kw*C], fully written
        float[] y = context.Floats(rows * OutputChannels);       // [rows, c_out], fully written
        FloatConvolution.Forward(Geometry, count, x, InputScale, Weight.Value, Bias?.Value, OutputChannels, columns, y, SumOrder, context.Threads);
        (_columns, _count) = context.Training ? (columns, count) : (null, 0);
        return Batch.FromReal(y, count, OutputShape);
    }

    /// <summary>
    /// Backward for z = dL/dy [N*H_out*W_out, c_out]: dL/dW = z^T s im2col(x), dL/db = sum over rows of z,
    /// and (when asked) dL/dx [N, H, W, C] = s col2im(z W).
    /// </summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        float[] columns = _columns ?? throw new InvalidOperationException($"{Kind}: Backward without a training Forward");
        _columns = null;
        float[]? dx = context.NeedInputGradient ? context.Floats(_count * InputShape.Size) : null; // fully written
        FloatConvolution.Backward(Geometry, _count, columns, Weight.Value, OutputChannels, outputGradient, Weight.Gradient, Bias?.Gradient, dx,
            InputScale, context.Threads);
        return dx;
    }
}
