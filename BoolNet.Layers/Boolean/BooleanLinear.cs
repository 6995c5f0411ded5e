using System.Buffers;
using System.Runtime.Intrinsics;
using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;
using BoolNet.Core.Randomness;

namespace BoolNet.Layers;

/// <summary>
/// Dense Boolean layer (docs/ALGORITHMS.md section 2): weights W [out, m] bits, logic XNOR or XOR,
/// optional Boolean bias. Output is the centred count, a real batch:
/// <code>
///   XNOR: a[k, j] = OutputScale * (sum_i e(x_ki) e(w_ji) + e(b_j)) = OutputScale * (2 s - m + e(b_j))
///   XOR:  a[k, j] = OutputScale * (-sum_i e(x_ki) e(w_ji) + e(b_j))
/// </code>
/// Hidden layers use OutputScale 1 followed by batch norm and a threshold; as a classifier head
/// the scaled counts are the logits. Backward implements Eq. 3/4 (exact or quantised signal).
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
    /// <param name="inputSignalScale">multiplies g (docs/ALGORITHMS.md section 3: sqrt(2 / m_out)); null for that default</param>
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
    /// Backward (docs/ALGORITHMS.md section 3; Leconte, Eq. 3/4; BOLD, arXiv:2405.16339) of
    /// a = s e(X) e(W)^T + OutputScale e(b), s = OutputScale * (+1 XNOR, -1 XOR), given z = dL/da [N, out]:
    /// <code>
    ///   g   [N, m]   = InputSignalScale * s * z e(W)     (Eq. 3, over the outputs; returned)
    ///   q_W [out, m] = s * z^T e(X)                      (Eq. 4, over the batch; Weight.Signal)
    ///   q_b [out]    = OutputScale * sum_k z[k, :]       (Bias.Signal)
    /// </code>
    /// exactly in floats, or with z quantised to <see cref="Signal"/>'s planes (z ~ scale_z Z). g runs
    /// first: W is not read after it, so the weight's fused optimizer step rides on q as its epilogue.
    /// </summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        BitMatrix x = _input ?? throw new InvalidOperationException($"{Kind}: Backward without a training Forward"); // X [N, m]
        int count = x.Rows, outputs = Outputs, threads = context.Threads;
        float factor = OutputScale * (Logic == BinaryLogic.Xnor ? 1f : -1f), inputFactor = factor * InputSignalScale;
        float[]? g = context.NeedInputGradient ? context.Floats(count * Inputs) : null; // every element is written
        FlipWithResetRows weightUpdate = context.FusedUpdate(Weight);
        if (!Signal.UsesPlanes)
        {
            if (g is not null) BooleanSignals.InputSignalExact(outputGradient, count, Weight.Weights, inputFactor, g, threads); // g [N, m]
            BooleanSignals.WeightSignalExact(outputGradient, x, outputs, factor, Weight.Signal, threads);                     // q [out, m]
            Threading.For(outputs, threads, weightUpdate.Apply, work: (long)outputs * Inputs);
        }
        else
        {
            ulong seed = DeterministicRandom.Hash(_seed ^ context.Seed, (ulong)context.Step);
            SignalLevels z = SignalLevels.Quantize(outputGradient, count, outputs, Signal.Planes, Signal.Rounding, seed, threads); // z ~ scale_z Z [N, out]
            if (g is not null)
            {
                SignalLevels zForInput = Signal.PlanesForInputSignal == Signal.Planes ? z
                    : SignalLevels.Quantize(outputGradient, count, outputs, Signal.PlanesForInputSignal, Signal.Rounding, seed, threads);
                // g [N, m] = InputSignalScale * s * scale_z * Z [N, out] e(W [out, m])
                SignalProducts.InputSignal(zForInput, Weight.Weights, zForInput.Scale * inputFactor, g, threads, _weightPairs);
            }
            // q [out, m] = s * scale_z * Z^T e(X [N, m]), each finished row of q updating its row of W when fused
            SignalProducts.WeightSignal(z, x, z.Scale * factor, Weight.Signal, threads, weightUpdate);
        }
        if (Bias is not null)
        {
            float[] q = Bias.Signal;
            RowBroadcast.ColumnSums(outputGradient, count, outputs, q, threads);
            for (int j = 0; j < outputs; j++) q[j] *= OutputScale;
        }
        _input = null;
        return g;
    }
}
