using System.Runtime.Intrinsics;
using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;
using BoolNet.Core.Randomness;

namespace BoolNet.Layers;

/// <summary>
/// First layer for 8-bit real inputs with Boolean weights (docs/ALGORITHMS.md section 2, "mixed
/// neuron"), computed exactly by bit-planes on the AND-popcount kernel (<see cref="PlaneProducts"/>):
/// <code>
///   u = round(x) &gt;&gt; (8 - B)   (x: raw intensities 0..255; B = InputBits planes kept)
///   a[k, j] = OutputScale * sum_i e(w_ji) u_ki
///           = OutputScale * sum_b 2^b (2 popcount(u_b,k AND w_j) - popcount(u_b,k))
/// </code>
/// OutputScale defaults to 1 / (2^B - 1) so inputs act as values in [0, 1].
/// Backward: q[j, i] = OutputScale * sum_k z_kj u_ki, exact in floats or with z quantised to
/// integers (<see cref="SignalProducts"/>).
/// </summary>
public sealed class BitPlaneLinear : ILayer
{
    private readonly ulong _seed;
    private byte[]? _levels; // u [N, m] cached for Backward
    private int _count;

    /// <summary>Creates the layer with random Boolean weights.</summary>
    public BitPlaneLinear(TensorShape input, int outputs, Random random, int inputBits = 8, SignalSettings? signal = null, float? outputScale = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        if (inputBits is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(inputBits), inputBits, "input bits must be 1..8");
        InputShape = input;
        OutputShape = TensorShape.Vector(outputs);
        InputBits = inputBits;
        OutputScale = outputScale ?? 1f / ((1 << inputBits) - 1);
        Signal = signal ?? SignalSettings.Exact;
        Weight = new BooleanParameter("weight", outputs, input.Size);
        Weight.Weights.Randomize(random);
        _seed = (ulong)random.NextInt64();
        Parameters = [Weight];
    }

    /// <inheritdoc />
    public string Kind => "bitplane-linear";

    /// <inheritdoc />
    public TensorShape InputShape { get; }

    /// <inheritdoc />
    public TensorShape OutputShape { get; }

    /// <inheritdoc />
    public bool OutputIsBits => false;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>W [out, m].</summary>
    public BooleanParameter Weight { get; }

    /// <summary>B, the input bit-planes kept (the most significant ones).</summary>
    public int InputBits { get; }

    /// <summary>Factor on the sums.</summary>
    public float OutputScale { get; }

    /// <summary>Backward path for the weight signal.</summary>
    public SignalSettings Signal { get; set; }

    /// <summary>Forward: x [N, m] real 0..255 -> a [N, out] = OutputScale * u e(W)^T, u = levels of x (class formula).</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        float[] x = input.RequireReal(Kind);
        int count = input.Count, m = InputShape.Size, outputs = OutputShape.Channels;
        byte[] levels = Levels(x, count * m);                              // u [N, m], below 2^B
        BitMatrix planes = PlaneProducts.Pack(levels, count, m, InputBits); // [N*B, m]
        var output = new float[count * outputs];                            // a [N, out]
        PlaneProducts.Run(planes, PlaneProducts.UnsignedWeights(InputBits), Weight.Weights, [1], centred: true, OutputScale, output, context.Threads);
        _levels = context.Training ? levels : null;
        _count = count;
        return Batch.FromReal(output, count, OutputShape);
    }

    /// <summary>
    /// Backward (docs/ALGORITHMS.md section 3; Leconte, Eq. 3/4; BOLD, arXiv:2405.16339) of
    /// a = OutputScale * u e(W)^T, given z = dL/da [N, out]:
    /// <code>
    ///   g [N, m]   = OutputScale * z e(W)    (exact floats; only when asked, i.e. not as a first layer)
    ///   q [out, m] = OutputScale * z^T u     (Eq. 4 on the pixel levels; Weight.Signal)
    /// </code>
    /// q exactly in floats, or with z quantised to <see cref="Signal"/>'s planes. g runs first: W is
    /// not read after it, so the weight's fused optimizer step rides on q as its epilogue.
    /// </summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        byte[] levels = _levels ?? throw new InvalidOperationException($"{Kind}: Backward without a training Forward"); // u [N, m]
        int count = _count, m = InputShape.Size, outputs = OutputShape.Channels, threads = context.Threads;
        float[]? g = null;
        if (context.NeedInputGradient)
        {
            g = new float[count * m];
            BooleanSignals.InputSignalExact(outputGradient, count, Weight.Weights, OutputScale, g, threads);
        }
        FlipWithResetRows weightUpdate = context.FusedUpdate(Weight);
        if (Signal.UsesPlanes)
        {
            ulong seed = DeterministicRandom.Hash(_seed ^ context.Seed, (ulong)context.Step);
            SignalLevels z = SignalLevels.Quantize(outputGradient, count, outputs, Signal.Planes, Signal.Rounding, seed, threads); // z ~ scale_z Z [N, out]
            // q [out, m] = OutputScale * scale_z * Z^T u [N, m], each finished row of q updating its row of W when fused
            SignalProducts.WeightSignal(z, levels, InputBits, m, z.Scale * OutputScale, Weight.Signal, threads, weightUpdate);
        }
        else
        {
            float[] u = context.Floats(count * m); // every element written: the levels as floats
            for (int i = 0; i < count * m; i++) u[i] = levels[i];
            FloatGemm.Multiply(outputGradient, true, u, false, Weight.Signal, outputs, m, count, threads: context.Threads);
            for (int i = 0; i < Weight.Signal.Length; i++) Weight.Signal[i] *= OutputScale;
            Threading.For(outputs, threads, weightUpdate.Apply, work: (long)outputs * m);
        }
        _levels = null;
        return g;
    }

    private byte[] Levels(float[] x, int length)
    {
        var levels = new byte[length];
        int shift = 8 - InputBits;
        int i = 0;
        // Eight pixels per step: Vector256.Round rounds half to even, as MathF.Round does; a lane
        // outside [0, 255.5] (or NaN) sends the whole step to the scalar loop, which names the value.
        var low = Vector256<float>.Zero;
        var high = Vector256.Create(255.5f);
        for (; i + 8 <= length; i += 8)
        {
            Vector256<float> v = Vector256.Create(x.AsSpan(i, 8));
            if ((Vector256.GreaterThanOrEqual(v, low) & Vector256.LessThanOrEqual(v, high)).ExtractMostSignificantBits() != 0xFF) break;
            Vector256<int> rounded = Vector256.ShiftRightArithmetic(Vector256.ConvertToInt32(Vector256.Round(v)), shift);
            for (int lane = 0; lane < 8; lane++) levels[i + lane] = (byte)rounded.GetElement(lane);
        }
        for (; i < length; i++)
        {
            float v = x[i];
            if (!(v >= 0f && v <= 255.5f)) throw new ArgumentException($"{Kind} expects raw intensities 0..255, got {v}");
            levels[i] = (byte)((int)MathF.Round(v) >> shift);
        }
        return levels;
    }
}
