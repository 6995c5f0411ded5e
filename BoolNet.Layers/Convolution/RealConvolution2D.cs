using BoolNet.Core.Convolution;
using BoolNet.Layers.Numerics;

namespace BoolNet.Layers;

/// <summary>
/// Float 2-D convolution for the real-valued image input (the first layer; trained by Adam):
/// <code>
///   u: [N * H * W * C] real (NHWC, times InputScale), W: [c_out, kh*kw*C] real
///   a[n, oy, ox, o] = sum_(ky, kx, c) u[n, oy*s - p + ky, ox*s - p + kx, c] w[o, (ky*kw + kx)*C + c] (+ b[o])
///   -> [N * H_out * W_out * c_out] real
/// </code>
/// Padded positions are 0 (an absent real input contributes nothing). Lowered to float GEMMs
/// (im2col [N*H_out*W_out, kh*kw*C]).
/// </summary>
public sealed class RealConvolution2D : ILayer
{
    private float[]? _columns; // im2col of the input, cached by a training Forward

    /// <summary>Creates the layer, weights uniform in +-1/sqrt(fan-in).</summary>
    /// <param name="input">H x W x C of one sample</param>
    /// <param name="outputChannels">c_out</param>
    /// <param name="kernel">kh = kw</param>
    /// <param name="random">initialisation</param>
    /// <param name="stride">stride</param>
    /// <param name="padding">zero padding on each side</param>
    /// <param name="bias">adds a bias per output channel (off when batch norm follows)</param>
    /// <param name="inputScale">multiplies the input (1/255 for raw pixels)</param>
    public RealConvolution2D(TensorShape input, int outputChannels, int kernel, Random random, int stride = 1, int padding = 0,
        bool bias = false, float inputScale = 1f)
    {
        Geometry = new ConvolutionGeometry(input.Height, input.Width, input.Channels, kernel, kernel, stride, padding);
        InputShape = input;
        OutputShape = new TensorShape(Geometry.OutputHeight, Geometry.OutputWidth, outputChannels);
        InputScale = inputScale;
        Weight = new RealParameter("weight", outputChannels * Geometry.FanIn);
        float bound = 1f / MathF.Sqrt(Geometry.FanIn);
        for (int i = 0; i < Weight.Value.Length; i++) Weight.Value[i] = (float)(random.NextDouble() * 2 - 1) * bound;
        if (bias) Bias = new RealParameter("bias", outputChannels);
        Parameters = Bias is null ? [Weight] : [Weight, Bias];
    }

    /// <inheritdoc />
    public string Kind => "real-conv2d";

    /// <inheritdoc />
    public TensorShape InputShape { get; }

    /// <inheritdoc />
    public TensorShape OutputShape { get; }

    /// <inheritdoc />
    public bool OutputIsBits => false;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Kernel, stride and padding bookkeeping.</summary>
    public ConvolutionGeometry Geometry { get; }

    /// <summary>W [c_out * kh*kw*C].</summary>
    public RealParameter Weight { get; }

    /// <summary>b [c_out], or null.</summary>
    public RealParameter? Bias { get; }

    /// <summary>Factor applied to the input.</summary>
    public float InputScale { get; }

    /// <summary>Forward (class formula): im2col then a = columns W^T.</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        float[] u = input.RequireReal(Kind);
        if (input.Shape != InputShape) throw new ArgumentException($"{Kind} expects samples of {InputShape}, got {input.Shape}");
        int count = input.Count, rows = count * Geometry.OutputPositions, fanIn = Geometry.FanIn, outputs = OutputShape.Channels;
        float[] columns = Lower(u, count);
        var output = new float[rows * outputs];
        FloatGemm.MultiplyTransposedB(columns, Weight.Value, output, rows, fanIn, outputs, context.Threads); // [rows, c_out]
        if (Bias is not null)
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < outputs; o++) output[r * outputs + o] += Bias.Value[o];
        _columns = context.Training ? columns : null;
        return Batch.FromReal(output, count, OutputShape);
    }

    /// <summary>
    /// Backward of a = columns W^T (+ b), z = dL/da [rows, c_out]: dL/dW = z^T columns, dL/db = sum_rows z,
    /// dL/du = InputScale * col2im(z W).
    /// </summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        float[] columns = _columns ?? throw new InvalidOperationException($"{Kind}: Backward without a training Forward");
        _columns = null;
        int fanIn = Geometry.FanIn, outputs = OutputShape.Channels, rows = columns.Length / fanIn;
        FloatGemm.MultiplyTransposedA(outputGradient, columns, Weight.Gradient, outputs, rows, fanIn, context.Threads); // [c_out, fan-in]
        if (Bias is not null)
        {
            Array.Clear(Bias.Gradient);
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < outputs; o++) Bias.Gradient[o] += outputGradient[r * outputs + o];
        }
        if (!context.NeedInputGradient) return null;
        var lowered = new float[rows * fanIn];
        FloatGemm.Multiply(outputGradient, Weight.Value, lowered, rows, outputs, fanIn, context.Threads); // [rows, fan-in]
        int count = rows / Geometry.OutputPositions, channels = Geometry.Channels;
        var g = new float[count * InputShape.Size];
        for (int row = 0; row < rows; row++)
        {
            int n = row / Geometry.OutputPositions, position = row % Geometry.OutputPositions;
            int oy = position / Geometry.OutputWidth, ox = position % Geometry.OutputWidth;
            for (int ky = 0; ky < Geometry.KernelHeight; ky++)
                for (int kx = 0; kx < Geometry.KernelWidth; kx++)
                {
                    if (!Geometry.TryInputPosition(oy, ox, ky, kx, out int iy, out int ix)) continue;
                    int source = row * fanIn + (ky * Geometry.KernelWidth + kx) * channels;
                    int target = ((n * Geometry.InputHeight + iy) * Geometry.InputWidth + ix) * channels;
                    for (int c = 0; c < channels; c++) g[target + c] += InputScale * lowered[source + c];
                }
        }
        return g;
    }

    /// <summary>im2col: [count * H_out * W_out, kh*kw*C], padded entries 0, values times InputScale.</summary>
    private float[] Lower(float[] u, int count)
    {
        int rows = count * Geometry.OutputPositions, fanIn = Geometry.FanIn, channels = Geometry.Channels;
        var columns = new float[rows * fanIn];
        for (int row = 0; row < rows; row++)
        {
            int n = row / Geometry.OutputPositions, position = row % Geometry.OutputPositions;
            int oy = position / Geometry.OutputWidth, ox = position % Geometry.OutputWidth;
            for (int ky = 0; ky < Geometry.KernelHeight; ky++)
                for (int kx = 0; kx < Geometry.KernelWidth; kx++)
                {
                    if (!Geometry.TryInputPosition(oy, ox, ky, kx, out int iy, out int ix)) continue;
                    int source = ((n * Geometry.InputHeight + iy) * Geometry.InputWidth + ix) * channels;
                    int target = row * fanIn + (ky * Geometry.KernelWidth + kx) * channels;
                    for (int c = 0; c < channels; c++) columns[target + c] = InputScale * u[source + c];
                }
        }
        return columns;
    }
}
