using BoolNet.Core.Bits;
using BoolNet.Core.Convolution;
using BoolNet.Core.Kernels;
using BoolNet.Layers.Numerics;

namespace BoolNet.Layers;

/// <summary>
/// Boolean 2-D convolution on packed NHWC bits (ALGORITHMS.md section 2 applied per output position):
/// <code>
///   x: [N * H * W, C] bits, W: [c_out, kh*kw*C] bits (column (ky*kw + kx)*C + c)
///   a[n, oy, ox, o] = OutputScale * sigma * sum_(ky, kx, c) v(x[n, oy*s - p + ky, ox*s - p + kx, c]) e(w[o, ky, kx, c])
///   -> [N * H_out * W_out * c_out] real, NHWC
/// </code>
/// sigma = +1 for XNOR, -1 for XOR; v = e inside the image, and on padding 0 / -1 / +1 for
/// <see cref="PaddingMode.Exclude"/> / False / True. Computed by bit im2col + the counting GEMM
/// (<see cref="BooleanConvolution"/>). Typically followed by batch norm and a threshold.
/// </summary>
public sealed class BooleanConvolution2D : ILayer
{
    private readonly ulong _seed;
    private readonly PaddingPattern _pattern;
    private BitMatrix? _input;                                  // x cached by a training Forward
    private BooleanConvolution.PreparedWeights? _prepared;     // lowered W of that Forward

    /// <summary>Creates the layer with random weights.</summary>
    /// <param name="input">H x W x C of one sample</param>
    /// <param name="outputChannels">c_out</param>
    /// <param name="kernel">kh = kw</param>
    /// <param name="random">initialisation: independent fair bits</param>
    /// <param name="stride">stride</param>
    /// <param name="padding">padding on each side</param>
    /// <param name="paddingMode">what a padded position contributes</param>
    /// <param name="logic">XNOR or XOR</param>
    /// <param name="followedByPool">a 2x2 max-pool follows: doubles the input signal scale (ALGORITHMS.md section 3)</param>
    /// <param name="inputSignalScale">factor on g; null for sqrt(2 stride / (c_out kh kw)) (x2 with a pool)</param>
    /// <param name="signal">exact or bit-plane backward</param>
    /// <param name="outputScale">factor on the centred counts</param>
    public BooleanConvolution2D(TensorShape input, int outputChannels, int kernel, Random random, int stride = 1, int padding = 0,
        PaddingMode paddingMode = PaddingMode.Exclude, BinaryLogic logic = BinaryLogic.Xnor, bool followedByPool = false,
        float? inputSignalScale = null, SignalSettings? signal = null, float outputScale = 1f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputChannels, 1);
        Geometry = new ConvolutionGeometry(input.Height, input.Width, input.Channels, kernel, kernel, stride, padding);
        _pattern = new PaddingPattern(Geometry);
        PaddingMode = paddingMode;
        Logic = logic;
        OutputScale = outputScale;
        InputSignalScale = inputSignalScale ?? DefaultInputSignalScale(outputChannels, kernel, stride, followedByPool);
        Signal = signal ?? SignalSettings.Exact;
        InputShape = input;
        OutputShape = new TensorShape(Geometry.OutputHeight, Geometry.OutputWidth, outputChannels);
        Weight = new BooleanParameter("weight", outputChannels, Geometry.FanIn);
        Weight.Weights.Randomize(random);
        _seed = (ulong)random.NextInt64();
        Parameters = [Weight];
    }

    /// <summary>ALGORITHMS.md section 3: sqrt(2 stride / (c_out kh kw)), doubled when a 2x2 max-pool follows.</summary>
    public static float DefaultInputSignalScale(int outputChannels, int kernel, int stride, bool followedByPool) =>
        MathF.Sqrt(2f * stride / (outputChannels * kernel * kernel)) * (followedByPool ? 2f : 1f);

    /// <inheritdoc />
    public string Kind => "boolean-conv2d";

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

    /// <summary>Padding semantics.</summary>
    public PaddingMode PaddingMode { get; }

    /// <summary>Neuron logic.</summary>
    public BinaryLogic Logic { get; }

    /// <summary>W [c_out, kh*kw*C].</summary>
    public BooleanParameter Weight { get; }

    /// <summary>Factor on the centred counts.</summary>
    public float OutputScale { get; }

    /// <summary>Factor on the outgoing input signal g.</summary>
    public float InputSignalScale { get; }

    /// <summary>Backward path (exact floats or bit-plane signals on the AND-popcount kernel).</summary>
    public SignalSettings Signal { get; set; }

    /// <summary>c_out.</summary>
    public int OutputChannels => OutputShape.Channels;

    /// <summary>Forward: x [N*H*W, C] bits -> a [N*H_out*W_out*c_out] real (class formula).</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        BitMatrix x = input.RequireBits(Kind);
        if (input.Shape != InputShape) throw new ArgumentException($"{Kind} expects samples of {InputShape}, got {input.Shape}");
        int count = input.Count, rows = count * Geometry.OutputPositions;
        BooleanConvolution.PreparedWeights prepared = BooleanConvolution.Prepare(Weight.Weights, Geometry);
        var counts = new int[rows * OutputChannels];
        BooleanConvolution.Forward(x.Words, count, Geometry, prepared, Logic, PaddingMode, _pattern, counts, context.Threads);
        var output = new float[counts.Length];
        float scale = OutputScale;
        for (int i = 0; i < counts.Length; i++) output[i] = scale * counts[i];
        _input = context.Training ? x : null;
        _prepared = context.Training ? prepared : null;
        return Batch.FromReal(output, count, OutputShape);
    }

    /// <summary>
    /// Backward of the forward above, z = dL/da [N*H_out*W_out, c_out]: writes
    /// q = OutputScale * sigma * sum_(n, oy, ox) z e(window) into <see cref="Weight"/>.Signal (Eq. 4)
    /// and returns g = InputSignalScale * OutputScale * sigma * col2im(z e(W)) (Eq. 3), padded
    /// positions dropped (see <see cref="ConvolutionBackward"/>).
    /// </summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        BitMatrix x = _input ?? throw new InvalidOperationException($"{Kind}: Backward without a training Forward");
        BooleanConvolution.PreparedWeights prepared = _prepared!;
        _input = null;
        _prepared = null;
        int count = x.Rows / Geometry.InputPositions, rows = count * Geometry.OutputPositions;
        if (outputGradient.Length != rows * OutputChannels)
            throw new ArgumentException($"{Kind}: gradient holds {outputGradient.Length} values, expected {rows * OutputChannels}");
        float[]? g = context.NeedInputGradient ? new float[count * InputShape.Size] : null;
        Span<float> inputSignal = g is null ? Span<float>.Empty : g.AsSpan();
        if (Signal.UsesPlanes)
        {
            var levels = new sbyte[outputGradient.Length];
            ulong seed = SignalQuantizer.Hash(_seed ^ context.Seed, (ulong)context.Step);
            float scale = SignalQuantizer.Quantize(outputGradient, Signal.Planes, Signal.Rounding, seed, levels);
            if (scale == 0f)
            {
                Array.Clear(Weight.Signal);
                return g;
            }
            var integerLevels = new int[levels.Length];
            for (int i = 0; i < levels.Length; i++) integerLevels[i] = levels[i];
            ConvolutionBackward.Quantised(x.Words, count, Geometry, prepared, Logic, PaddingMode, _pattern, integerLevels,
                scale * OutputScale, Signal.Planes, Weight.Signal, inputSignal, context.Threads);
        }
        else
        {
            float[] z = outputGradient;
            if (OutputScale != 1f)
            {
                z = new float[outputGradient.Length];
                for (int i = 0; i < z.Length; i++) z[i] = OutputScale * outputGradient[i];
            }
            ConvolutionBackward.Exact(x.Words, count, Geometry, Weight.Weights, Logic, PaddingMode, z, Weight.Signal, inputSignal);
        }
        if (g is not null)
            for (int i = 0; i < g.Length; i++) g[i] *= InputSignalScale;
        return g;
    }
}
