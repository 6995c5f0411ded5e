using System.Buffers;
using BoolNet.Core.Bits;
using BoolNet.Core.Convolution;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;
using BoolNet.Core.Randomness;

namespace BoolNet.Layers;

/// <summary>
/// Boolean 2-D convolution on packed NHWC bits (docs/ALGORITHMS.md section 2 applied per output position):
/// <code>
///   x: [N * H * W, C] bits, W: [c_out, kh*kw*C] bits (column (ky*kw + kx)*C + c)
///   a[n, oy, ox, o] = OutputScale * sigma * sum_(ky, kx, c) v(x[n, oy*s - p + ky, ox*s - p + kx, c]) e(w[o, ky, kx, c])
///   -> [N * H_out * W_out * c_out] real, NHWC
/// </code>
/// sigma = +1 for XNOR, -1 for XOR; v = e inside the image, and on padding 0 / -1 / +1 for
/// <see cref="PaddingMode.Exclude"/> / False / True. Computed by bit im2col + the counting GEMM
/// (<see cref="BooleanConvolution"/>); the backward is the dense layer's on the lowered input
/// (<see cref="SignalLowering"/>). Typically followed by batch norm and a threshold.
/// </summary>
public sealed class BooleanConvolution2D : ILayer
{
    private readonly ulong _seed;
    private readonly PaddingPattern _pattern;
    private BitMatrix? _input;                                  // x cached by a training Forward
    private readonly PairedBitsCache _weightPairs = new();      // W as byte pairs for g, re-paired only where W flipped

    /// <summary>Floats of lowered input signal computed per block of samples before col2im (4 MiB).</summary>
    private const int LoweredBlockFloats = 1 << 20;

    /// <summary>Creates the layer with random weights.</summary>
    /// <param name="input">H x W x C of one sample</param>
    /// <param name="outputChannels">c_out</param>
    /// <param name="kernel">kh = kw</param>
    /// <param name="random">initialisation: independent fair bits</param>
    /// <param name="stride">stride</param>
    /// <param name="padding">padding on each side</param>
    /// <param name="paddingMode">what a padded position contributes</param>
    /// <param name="logic">XNOR or XOR</param>
    /// <param name="followedByPool">a 2x2 max-pool follows: doubles the input signal scale (docs/ALGORITHMS.md section 3)</param>
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

    /// <summary>docs/ALGORITHMS.md section 3: sqrt(2 stride / (c_out kh kw)), doubled when a 2x2 max-pool follows.</summary>
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

    /// <summary>Backward path: exact floats, or the signal quantised to integers (<see cref="SignalProducts"/>).</summary>
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
        return Batch.FromReal(output, count, OutputShape);
    }

    /// <summary>
    /// Backward (docs/ALGORITHMS.md section 3; Leconte, Eq. 3/4; BOLD, arXiv:2405.16339; on the
    /// lowered convolution) of a = s L e(W)^T, s = OutputScale * sigma, L the windows of x (padded
    /// entries v = 0 / -1 / +1 by <see cref="PaddingMode"/>), given z = dL/da [N*H_out*W_out, c_out]:
    /// <code>
    ///   g [N*H*W, C]       = InputSignalScale * s * col2im(z e(W))          (Eq. 3; padded positions dropped)
    ///   q [c_out, kh*kw*C] = s * sum_(n, oy, ox) z[m, :]^T v(L[m, :])       (Eq. 4, over batch and positions)
    /// </code>
    /// exactly in floats, or with z quantised to <see cref="Signal"/>'s planes. g runs first: W is not
    /// read after it, so the weight's fused optimizer step rides on q as its epilogue.
    /// </summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        BitMatrix x = _input ?? throw new InvalidOperationException($"{Kind}: Backward without a training Forward"); // [N*H*W, C]
        _input = null;
        int count = x.Rows / Geometry.InputPositions, rows = count * Geometry.OutputPositions, threads = context.Threads;
        if (outputGradient.Length != rows * OutputChannels)
            throw new ArgumentException($"{Kind}: gradient holds {outputGradient.Length} values, expected {rows * OutputChannels}");
        float[]? g = context.NeedInputGradient ? new float[count * InputShape.Size] : null;
        float sigma = Logic == BinaryLogic.Xnor ? 1f : -1f;
        FlipWithResetRows weightUpdate = context.FusedUpdate(Weight);
        if (Signal.UsesPlanes)
        {
            ulong seed = DeterministicRandom.Hash(_seed ^ context.Seed, (ulong)context.Step);
            SignalLevels z = SignalLevels.Quantize(outputGradient, rows, OutputChannels, Signal.Planes, Signal.Rounding, seed, threads); // z ~ scale_z Z [rows, c_out]
            if (z.Scale == 0f)
            {
                Array.Clear(Weight.Signal);
                Threading.For(OutputChannels, threads, weightUpdate.Apply);
                return g;
            }
            float scale = sigma * (z.Scale * OutputScale);
            // g [N*H*W, C] = col2im(s * scale_z * Z [rows, c_out] e(W [c_out, kh*kw*C]))
            if (g is not null) InputSignal(z, scale, count, g, threads);
            BitMatrix lowered = BitLowering.LowerCompact(x.Words, Geometry, PaddingMode, rows); // L [rows, kh*kw*C]
            int[]? excluded = PaddingMode == PaddingMode.Exclude && _pattern.HasPadding
                ? SignalLowering.ExcludedSums(z.Levels, rows, OutputChannels, Geometry, _pattern) : null; // [c_out, kh*kw]
            // q [c_out, kh*kw*C] = s * scale_z * Z^T v(L), each finished row of q updating its row of W when fused
            SignalProducts.WeightSignal(z, lowered, scale, Weight.Signal, threads, weightUpdate, excluded);
        }
        else
        {
            float[] z = outputGradient;
            if (OutputScale != 1f)
            {
                z = new float[outputGradient.Length];
                for (int i = 0; i < z.Length; i++) z[i] = OutputScale * outputGradient[i];
            }
            ExactSignals(x.Words, count, Geometry, Weight.Weights, Logic, PaddingMode, z, Weight.Signal, g);
            Threading.For(OutputChannels, threads, weightUpdate.Apply);
        }
        if (g is not null)
            for (int i = 0; i < g.Length; i++) g[i] *= InputSignalScale;
        return g;
    }

    /// <summary>
    /// g += col2im(scale * Z e(W)): the lowered signal [rows, kh*kw*C] of a block of samples at a time
    /// (<see cref="SignalProducts.InputSignal(SignalLevels, BitMatrix, float, float[], int, PairedBitsCache?)"/>),
    /// scattered per sample (<see cref="SignalLowering.ScatterInputSignal"/>).
    /// </summary>
    private void InputSignal(SignalLevels z, float scale, int count, float[] g, int threads)
    {
        int positions = Geometry.OutputPositions, fanIn = Geometry.FanIn, outputs = OutputChannels;
        int samplesPerBlock = Math.Clamp(LoweredBlockFloats / Math.Max(1, positions * fanIn), 1, count);
        float[] lowered = ArrayPool<float>.Shared.Rent(samplesPerBlock * positions * fanIn);
        try
        {
            for (int first = 0; first < count; first += samplesPerBlock)
            {
                int samples = Math.Min(samplesPerBlock, count - first), rows = samples * positions;
                sbyte[] levels = z.Levels.AsSpan(first * positions * outputs, rows * outputs).ToArray();
                SignalProducts.InputSignal(z with { Levels = levels, Rows = rows }, Weight.Weights, scale, lowered, threads, _weightPairs);
                Threading.For(samples, threads, (start, end) =>
                {
                    for (int sample = start; sample < end; sample++)
                        SignalLowering.ScatterInputSignal(lowered.AsSpan(sample * positions * fanIn, positions * fanIn), first + sample, Geometry, g);
                }, work: (long)rows * fanIn);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(lowered);
        }
    }

    /// <summary>
    /// The exact float reference of both signals (class remarks, with s = sigma and z already scaled
    /// by OutputScale): q into <paramref name="weightSignal"/>, g (unscaled) into <paramref name="inputSignal"/> when not null.
    /// </summary>
    private static void ExactSignals(ReadOnlySpan<ulong> input, int count, in ConvolutionGeometry geometry, BitMatrix weights,
        BinaryLogic logic, PaddingMode padding, ReadOnlySpan<float> signal, Span<float> weightSignal, float[]? inputSignal)
    {
        int outputChannels = weights.Rows, channels = geometry.Channels, fanIn = geometry.FanIn, wordsPerPosition = geometry.WordsPerPosition;
        int outputPositions = geometry.OutputPositions;
        float sigma = logic == BinaryLogic.Xnor ? 1f : -1f;
        float padValue = padding switch { PaddingMode.True => 1f, PaddingMode.False => -1f, _ => 0f };
        float[] weightSigns = BitPacking.UnpackSigns(weights);
        weightSignal.Slice(0, outputChannels * fanIn).Clear();
        var window = new float[fanIn];
        for (int row = 0; row < count * outputPositions; row++)
        {
            int sample = row / outputPositions, position = row % outputPositions;
            int outputY = position / geometry.OutputWidth, outputX = position % geometry.OutputWidth;
            for (int ky = 0; ky < geometry.KernelHeight; ky++)
                for (int kx = 0; kx < geometry.KernelWidth; kx++)
                {
                    int k = ky * geometry.KernelWidth + kx;
                    bool valid = geometry.TryInputPosition(outputY, outputX, ky, kx, out int inputY, out int inputX);
                    int inputRow = (sample * geometry.InputHeight + inputY) * geometry.InputWidth + inputX;
                    for (int c = 0; c < channels; c++)
                        window[k * channels + c] = valid
                            ? (((input[inputRow * wordsPerPosition + (c >> 6)] >> (c & 63)) & 1UL) != 0 ? 1f : -1f)
                            : padValue;
                    if (!valid || inputSignal is null) continue;
                    for (int c = 0; c < channels; c++)
                    {
                        float sum = 0f;
                        for (int o = 0; o < outputChannels; o++) sum += signal[row * outputChannels + o] * weightSigns[o * fanIn + k * channels + c];
                        inputSignal[inputRow * channels + c] += sigma * sum;
                    }
                }
            for (int o = 0; o < outputChannels; o++)
            {
                float z = sigma * signal[row * outputChannels + o];
                if (z == 0f) continue;
                Span<float> q = weightSignal.Slice(o * fanIn, fanIn);
                for (int i = 0; i < fanIn; i++) q[i] += z * window[i];
            }
        }
    }
}
