using BoolNet.Layers;

namespace BoolNet.Inference.Onnx;

/// <summary>
/// The float form of "optional batch norm, then threshold" on a real map, found against BoolNet's own
/// layers: per channel j a float t_j and a flip f_j with bit = [v &lt;= t_j] XOR f_j for every float v.
/// Each float operation of batch norm (subtract, multiply, add a constant) and the final compare is
/// monotone in v, so one such pair exists per channel; it is found by bisection over the ordered floats
/// (<see cref="NetworkFolder.Key"/>), probing <see cref="BatchNormLayer"/> and <see cref="ThresholdLayer"/>
/// themselves, and checked at each t_j, its neighbours and a sample of the reachable range.
/// </summary>
internal static class OnnxThresholds
{
    /// <summary>The rule for <paramref name="channels"/> channels whose values lie within +-<paramref name="bound"/>.</summary>
    public static (float[] Thresholds, bool[] Flips) Search(int channels, BatchNormLayer? norm, ThresholdLayer threshold, double bound)
    {
        TensorShape shape = TensorShape.Vector(channels);
        var chain = new List<InferenceLayer>();
        if (norm is not null) chain.Add(new BatchNormLayer(shape, norm.Mean, norm.Variance, norm.Epsilon, norm.Scale, norm.Shift));
        chain.Add(new ThresholdLayer(shape, threshold.Threshold));
        float limit = (float)Math.Min(float.MaxValue, bound * 1.01 + 1);
        long lo = NetworkFolder.Key(-limit), hi = NetworkFolder.Key(limit);
        bool[] yLo = Probe(chain, channels, _ => lo), yHi = Probe(chain, channels, _ => hi);
        var a = new long[channels];
        var b = new long[channels];
        for (int j = 0; j < channels; j++) (a[j], b[j]) = (lo, yLo[j] == yHi[j] ? lo : hi);
        while (Enumerable.Range(0, channels).Any(j => b[j] - a[j] > 1))
        {
            var middle = new long[channels];
            for (int j = 0; j < channels; j++) middle[j] = a[j] + (b[j] - a[j]) / 2;
            bool[] y = Probe(chain, channels, j => middle[j]);
            for (int j = 0; j < channels; j++)
            {
                if (b[j] - a[j] <= 1) continue;
                if (y[j] == yLo[j]) a[j] = middle[j]; else b[j] = middle[j];
            }
        }
        var thresholds = new float[channels];
        var flips = new bool[channels];
        for (int j = 0; j < channels; j++)
        {
            // y == yLo up to key a, != yLo above: yLo TRUE -> [v <= t]; FALSE -> NOT [v <= t].
            if (yLo[j] == yHi[j]) thresholds[j] = yLo[j] ? float.PositiveInfinity : float.NegativeInfinity;
            else (thresholds[j], flips[j]) = (NetworkFolder.FromKey(a[j]), !yLo[j]);
        }
        Verify(chain, channels, lo, hi, thresholds, flips, a);
        return (thresholds, flips);
    }

    private static void Verify(List<InferenceLayer> chain, int channels, long lo, long hi, float[] thresholds, bool[] flips, long[] keys)
    {
        var points = new List<Func<int, long>>();
        for (int s = 0; s <= 64; s++) { long key = lo + (hi - lo) * s / 64; points.Add(_ => key); }
        for (int offset = -1; offset <= 2; offset++) { int o = offset; points.Add(j => Math.Clamp(keys[j] + o, lo, hi)); }
        foreach (Func<int, long> point in points)
        {
            bool[] y = Probe(chain, channels, point);
            for (int j = 0; j < channels; j++)
            {
                float v = NetworkFolder.FromKey(point(j));
                if (y[j] != ((v <= thresholds[j]) ^ flips[j]))
                    throw new InvalidOperationException($"channel {j}: the bit is not one threshold of the value (at {v:R})");
            }
        }
    }

    /// <summary>Runs the chain on one sample whose channel j holds the float of key <paramref name="key"/>(j).</summary>
    private static bool[] Probe(List<InferenceLayer> chain, int channels, Func<int, long> key)
    {
        var current = new Activations { Real = new float[channels] };
        for (int j = 0; j < channels; j++) current.Real[j] = NetworkFolder.FromKey(key(j));
        var next = new Activations();
        var scratch = new Scratch();
        ValueKind kind = ValueKind.Real;
        foreach (InferenceLayer layer in chain)
        {
            layer.Forward(current, kind, next, 1, scratch);
            kind = layer.Output;
            (current, next) = (next, current);
        }
        var bits = new bool[channels];
        for (int j = 0; j < channels; j++) bits[j] = ((current.Words[j >> 6] >> (j & 63)) & 1) != 0;
        return bits;
    }
}
