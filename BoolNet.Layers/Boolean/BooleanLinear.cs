using System.Buffers;
using System.Runtime.Intrinsics;
using BoolNet.Core.Bits;
using BoolNet.Core.Kernels;
using BoolNet.Layers.Numerics;

namespace BoolNet.Layers;

/// <summary>
/// Dense Boolean layer (ALGORITHMS.md section 2): weights W [out, m] bits, logic XNOR or XOR,
/// optional Boolean bias. Output is the centred count, a real batch:
/// <code>
///   XNOR: a[k, j] = OutputScale * (sum_i e(x_ki) e(w_ji) + e(b_j)) = OutputScale * (2 s - m + e(b_j))
///   XOR:  a[k, j] = OutputScale * (-sum_i e(x_ki) e(w_ji) + e(b_j))
/// </code>
/// Hidden layers use OutputScale 1 followed by batch norm and a threshold; as a classifier head
/// the scaled counts are the logits. Backward implements Eq. 3/4 (exact or bit-plane path).
/// </summary>
public sealed class BooleanLinear : ILayer
{
    private readonly ulong _seed;
    private BitMatrix? _input; // X [N, m] cached by Forward for Backward
    private readonly PairedBitsCache _weightPairs = new(); // W as paired bytes for g, re-paired only where W flipped

    /// <summary>Creates the layer with random weights (and bias) drawn from <paramref name="random"/>.</summary>
    /// <param name="inputs">m, the fan-in</param>
    /// <param name="outputs">number of neurons</param>
    /// <param name="random">initialisation: independent fair bits</param>
    /// <param name="logic">XNOR or XOR</param>
    /// <param name="bias">adds a Boolean bias e(b_j)</param>
    /// <param name="outputScale">multiplies the centred counts (1 for hidden layers; a head's logit scale)</param>
    /// <param name="inputSignalScale">multiplies g (ALGORITHMS.md: sqrt(2 / m_out)); null for that default</param>
    /// <param name="signal">exact or bit-plane backward</param>
    public BooleanLinear(int inputs, int outputs, Random random, BinaryLogic logic = BinaryLogic.Xnor, bool bias = false,
        float outputScale = 1f, float? inputSignalScale = null, SignalSettings? signal = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        Logic = logic;
        OutputScale = outputScale;
        InputSignalScale = inputSignalScale ?? MathF.Sqrt(2f / outputs);
        Signal = signal ?? SignalSettings.Exact;
        InputShape = TensorShape.Vector(inputs);
        OutputShape = TensorShape.Vector(outputs);
        Weight = new BooleanParameter("weight", outputs, inputs);
        Weight.Weights.Randomize(random);
        if (bias)
        {
            Bias = new BooleanParameter("bias", 1, outputs);
            Bias.Weights.Randomize(random);
        }
        _seed = (ulong)random.NextInt64();
        Parameters = Bias is null ? [Weight] : [Weight, Bias];
    }

    /// <inheritdoc />
    public string Kind => "boolean-linear";

    /// <inheritdoc />
    public TensorShape InputShape { get; }

    /// <inheritdoc />
    public TensorShape OutputShape { get; }

    /// <inheritdoc />
    public bool OutputIsBits => false;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The neuron logic.</summary>
    public BinaryLogic Logic { get; }

    /// <summary>W [out, m].</summary>
    public BooleanParameter Weight { get; }

    /// <summary>Boolean bias [1, out], or null.</summary>
    public BooleanParameter? Bias { get; }

    /// <summary>Factor on the centred counts.</summary>
    public float OutputScale { get; }

    /// <summary>Factor on the outgoing input signal g.</summary>
    public float InputSignalScale { get; }

    /// <summary>Backward path.</summary>
    public SignalSettings Signal { get; set; }

    /// <summary>Number of inputs m.</summary>
    public int Inputs => InputShape.Channels;

    /// <summary>Number of outputs.</summary>
    public int Outputs => OutputShape.Channels;

    /// <summary>Forward: X [N, m] bits -> a [N, out] real (see class formula).</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        BitMatrix x = input.RequireBits(Kind); // [N, m]
        if (x.Columns != Inputs) throw new ArgumentException($"{Kind} expects {Inputs} input bits per sample, got {x.Columns}");
        int count = input.Count, outputs = Outputs, m = Inputs;
        // The counts live only until they are centred below: a pooled buffer, not a fresh 400 KB
        // large-object array per batch (each of those is new memory to fault in after a gen2 GC).
        int[] counts = ArrayPool<int>.Shared.Rent(count * outputs);
        BinaryGemm.Multiply(x, Weight.Weights, counts.AsSpan(0, count * outputs), BinaryLogic.Xnor, context.Threads); // s_xnor [N, out]
        float[] output = context.Floats(count * outputs); // every element is written below
        float sign = Logic == BinaryLogic.Xnor ? 1f : -1f, scale = OutputScale;
        float[]? biasSigns = Bias is null ? null : BitPacking.UnpackSigns(Bias.Weights);
        // a = scale * (sign * (2 s - m) + e(b)), rows over threads (on one thread this loop cost as
        // much as the popcount product before it); 8 lanes per step with the scalar loop's operations.
        Threading.For(count, context.Threads, (start, end) =>
        {
            var twoVector = Vector256.Create(2);
            var mVector = Vector256.Create(m);
            var signVector = Vector256.Create(sign);
            var scaleVector = Vector256.Create(scale);
            for (int k = start; k < end; k++)
            {
                ReadOnlySpan<int> row = counts.AsSpan(k * outputs, outputs);
                Span<float> target = output.AsSpan(k * outputs, outputs);
                int j = 0;
                for (; j + 8 <= outputs; j += 8)
                {
                    Vector256<float> centred = signVector * Vector256.ConvertToSingle(twoVector * Vector256.Create(row.Slice(j, 8)) - mVector);
                    if (biasSigns is not null) centred += Vector256.Create(biasSigns.AsSpan(j, 8));
                    (scaleVector * centred).CopyTo(target.Slice(j, 8));
                }
                for (; j < outputs; j++)
                {
                    float centred = sign * (2 * row[j] - m);
                    if (biasSigns is not null) centred += biasSigns[j];
                    target[j] = scale * centred;
                }
            }
        }, work: (long)count * outputs);
        ArrayPool<int>.Shared.Return(counts);
        _input = context.Training ? x : null;
        return Batch.FromReal(output, count, OutputShape);
    }

    /// <summary>
    /// Backward of a = OutputScale * (sign * e(X) e(W)^T + e(b)), sign = +1 XNOR / -1 XOR. With
    /// z = dL/da [N, out]: q_W = OutputScale * sign * z^T e(X) (Eq. 4), q_b = OutputScale * sum_k z,
    /// and returns g = InputSignalScale * OutputScale * sign * z e(W) (Eq. 3 with the signal scaling).
    /// </summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        BitMatrix x = _input ?? throw new InvalidOperationException($"{Kind}: Backward without a training Forward");
        int count = x.Rows, outputs = Outputs;
        float factor = OutputScale * (Logic == BinaryLogic.Xnor ? 1f : -1f);
        float[]? g = context.NeedInputGradient ? context.Floats(count * Inputs) : null; // every element is written
        ulong seed = SignalQuantizer.Hash(_seed ^ context.Seed, (ulong)context.Step);
        BooleanSignals.Compute(outputGradient, x, Weight.Weights, factor, Weight.Signal, factor * InputSignalScale, g,
            Signal, seed, context.Threads, _weightPairs, context.SignalRowsReady?.Invoke(Weight));
        if (Bias is not null)
        {
            float[] q = Bias.Signal;
            Core.Operators.RowBroadcast.ColumnSums(outputGradient, count, outputs, q, context.Threads);
            for (int j = 0; j < outputs; j++) q[j] *= OutputScale;
        }
        _input = null;
        return g;
    }
}
