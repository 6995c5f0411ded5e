using BoolNet.Core.Bits;
using BoolNet.Core.Operators;
using BoolNet.Inference.Serialization;

namespace BoolNet.Inference;

/// <summary>
/// The folded form of "pre-activation -> batch norm -> threshold" for one layer: per neuron j an
/// integer threshold T_j and a flip bit f_j, output bit
/// <code>  y_j = [v_j &lt;= T_j] XOR f_j  </code>
/// where v_j is the neuron's integer pre-activation (a mismatch count for XNOR/XOR neurons, the
/// exact sum for bit-plane neurons). Batch norm followed by a threshold is a monotone function of
/// v (non-increasing when the BN scale times the pre-activation's slope is positive: f = 0;
/// non-decreasing when it is negative: f = 1, the "output flip"), so every neuron is exactly one
/// (T, f) pair; constant neurons use T = min - 1 (never) or T = max (always).
/// </summary>
public sealed class ThresholdRule
{
    /// <summary>Creates a rule for <paramref name="thresholds"/>.Length neurons.</summary>
    public ThresholdRule(int[] thresholds, ulong[] flips)
    {
        if (flips.Length != BitMatrix.WordsFor(thresholds.Length))
            throw new ArgumentException($"{thresholds.Length} neurons need {BitMatrix.WordsFor(thresholds.Length)} flip words, got {flips.Length}");
        Thresholds = thresholds;
        Flips = flips;
    }

    /// <summary>T [n].</summary>
    public int[] Thresholds { get; }

    /// <summary>f [n] packed bits.</summary>
    public ulong[] Flips { get; }

    /// <summary>Number of neurons.</summary>
    public int Count => Thresholds.Length;

    /// <summary>True when neuron j's output is flipped.</summary>
    public bool Flip(int j) => ((Flips[j >> 6] >> (j & 63)) & 1) != 0;

    /// <summary>Adds the rule's tensors ("threshold" int32 [n], "flip" bits [1, n]) to a record.</summary>
    public void AddTo(LayerRecord record)
    {
        record.With(new TensorRecord("threshold", TensorType.Int32, [Count], Thresholds));
        record.With(new TensorRecord("flip", TensorType.Bits, [1, Count], Flips));
    }

    /// <summary>Reads the rule's tensors for <paramref name="neurons"/> neurons.</summary>
    public static ThresholdRule From(LayerRecord record, int neurons) =>
        new(record.GetInts("threshold", neurons), (ulong[])record.GetTensor("flip", TensorType.Bits, 1, neurons).Data);

    /// <summary>Packs y_j = [values_j &lt;= T_j] XOR f_j into <paramref name="output"/> (ceil(n/64) words, zero tail).</summary>
    public void Pack(ReadOnlySpan<int> values, Span<ulong> output) => ThresholdPacking.Pack(values, Thresholds, Flips, output);
}

/// <summary>
/// The float counterpart of <see cref="ThresholdRule"/> for a float pre-activation z (a float first
/// layer): y_j = [z_j &lt;= t_j] XOR f_j with t_j a float found exactly by bisection over the
/// ordered floats (see <see cref="NetworkFolder"/>).
/// </summary>
public sealed class FloatThresholdRule
{
    /// <summary>Creates the rule.</summary>
    public FloatThresholdRule(float[] thresholds, ulong[] flips)
    {
        if (flips.Length != BitMatrix.WordsFor(thresholds.Length))
            throw new ArgumentException($"{thresholds.Length} neurons need {BitMatrix.WordsFor(thresholds.Length)} flip words, got {flips.Length}");
        Thresholds = thresholds;
        Flips = flips;
    }

    /// <summary>t [n].</summary>
    public float[] Thresholds { get; }

    /// <summary>f [n] packed bits.</summary>
    public ulong[] Flips { get; }

    /// <summary>Number of neurons.</summary>
    public int Count => Thresholds.Length;

    /// <summary>Adds the rule's tensors ("threshold" float32 [n], "flip" bits [1, n]) to a record.</summary>
    public void AddTo(LayerRecord record)
    {
        record.With(new TensorRecord("threshold", TensorType.Float32, [Count], Thresholds));
        record.With(new TensorRecord("flip", TensorType.Bits, [1, Count], Flips));
    }

    /// <summary>Reads the rule's tensors for <paramref name="neurons"/> neurons.</summary>
    public static FloatThresholdRule From(LayerRecord record, int neurons) =>
        new(record.GetFloats("threshold", neurons), (ulong[])record.GetTensor("flip", TensorType.Bits, 1, neurons).Data);

    /// <summary>Packs y_j = [values_j &lt;= t_j] XOR f_j.</summary>
    public void Pack(ReadOnlySpan<float> values, Span<ulong> output)
    {
        int n = Count;
        for (int w = 0; w < output.Length; w++)
        {
            int start = w << 6, end = Math.Min(n, start + 64);
            ulong word = 0;
            for (int j = start; j < end; j++)
                if (values[j] <= Thresholds[j]) word |= 1UL << (j - start);
            output[w] = (word ^ Flips[w]) & BitMatrix.TailMaskFor(end - start);
        }
    }
}
