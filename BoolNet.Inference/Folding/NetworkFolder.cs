using BoolNet.Core.Bits;
using BoolNet.Core.Operators;

using BoolNet.Layers;

namespace BoolNet.Inference;

/// <summary>
/// Folds a trained <see cref="Network"/> into an <see cref="InferenceModel"/> whose predictions are
/// bit-identical to the network's forward pass in inference mode (batch norm with running
/// statistics).
/// <para>
/// A neuron's pre-activation is a function of an integer v (the mismatch count of an XNOR/XOR
/// neuron, the exact sum of a bit-plane neuron) or of a float z (a float layer). What follows it up
/// to the threshold (batch norm, then y = [a &gt;= tau]) is a chain of monotone float operations
/// (subtract, multiply by a positive 1/sqrt, multiply by gamma, add beta, compare), so y is a
/// monotone step function of v: exactly one threshold T and a direction, the direction being
/// flipped when gamma (times the pre-activation's slope) is negative. Rather than re-deriving T
/// from the BN formula, where float rounding at ties could put T one count off, the folder asks
/// the training layers themselves: it evaluates the BN and threshold layers' own Forward (inference
/// mode) on the exact float pre-activations the training layer would produce and bisects per
/// neuron for the switching point. The result equals the training network by construction; the
/// fold then checks it on the whole domain (integer domains up to 2^16 values) or on a sample.
/// </para>
/// <para>
/// An int8 <see cref="IntegerLinear"/> (weights in -127..127) becomes an <see cref="Int8DenseLayer"/> whose
/// v is the exact integer D = sum_i x_i w_i (raw bytes, or the bits as 0/1). After bits the training
/// layer's pre-activation is exactly 2D - sum_i w_i + b, so the fold is bit-identical. On the first layer the
/// training layer multiplies the rounded floats x_i s (s its input scale, 1/255) by w_i and sums them in
/// float, an approximation of s D; the fold probes the chain at s D rounded once, plus b, so the integer layer
/// is the exact form and can differ from the float training forward only where that forward's rounding (a few
/// float ulps) straddles a neuron's threshold. A last int8 layer followed only by the parameter-free
/// <see cref="LayerNorm"/> gives the integer scores themselves: the norm is strictly increasing per sample,
/// so the predicted classes do not change (the scores and their softmax do).
/// </para>
/// </summary>
public static class NetworkFolder
{
    /// <summary>Folds <paramref name="network"/>; <paramref name="metadata"/> goes into the model file.</summary>
    /// <exception cref="NotSupportedException">A layer kind has no inference form.</exception>
    public static InferenceModel Fold(Network network, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        var layers = new List<InferenceLayer>();
        IReadOnlyList<ILayer> source = network.Layers;
        int i = 0;
        while (i < source.Count)
        {
            ILayer layer = source[i];
            // The elementwise run after a producer, and the threshold that ends it (if any).
            int next = i + 1;
            var chain = new List<ILayer>();
            while (next < source.Count && source[next] is BatchNorm) chain.Add(source[next++]);
            ThresholdActivation? threshold = next < source.Count ? source[next] as ThresholdActivation : null;
            if (threshold is not null) chain.Add(threshold);
            string Names(ILayer first) => string.Join(" + ", new[] { first }.Concat(chain).Select(l => l.Kind));
            int consumed = threshold is not null ? 1 + chain.Count : 1;
            InferenceLayer folded;
            switch (layer)
            {
                case BooleanLinear linear when threshold is not null:
                    folded = new BooleanDenseLayer(linear.Weight.Weights.Clone(), FoldBoolean(linear, chain)) { Source = Names(linear) };
                    break;
                case BooleanLinear linear:
                    folded = new BooleanLogitsLayer(linear.Weight.Weights.Clone(), linear.Logic, linear.OutputScale, linear.Bias?.Weights.Clone()) { Source = linear.Kind };
                    break;
                case BitPlaneLinear planes:
                    var dense = new BitPlaneDenseLayer(planes.InputShape, planes.Weight.Weights.Clone(), planes.InputBits, null, planes.OutputScale);
                    folded = threshold is null ? dense
                        : new BitPlaneDenseLayer(planes.InputShape, dense.Weights, planes.InputBits, FoldBitPlane(planes, dense.Range, chain), planes.OutputScale);
                    folded = WithSource(folded, threshold is null ? planes.Kind : Names(planes));
                    break;
                case RealLinear real:
                    // |x| is at most 255 * InputScale for raw bytes (first layer), 1 for bits (e(x) = +-1).
                    float inputBound = i == 0 ? 255f * Math.Abs(real.InputScale) : source[i - 1].OutputIsBits ? 1f : float.MaxValue;
                    FloatThresholdRule? rule = threshold is null ? null : FoldFloat(real, inputBound, chain);
                    folded = new FloatDenseLayer(real.InputShape, (float[])real.Weight.Value.Clone(), (float[]?)real.Bias?.Value.Clone(), real.Outputs, real.InputScale, rule, FloatDenseLayer.TrainingOrder(real.Outputs))
                    { Source = threshold is null ? real.Kind : Names(real) };
                    break;
                case IntegerLinear integer when Int8Input(integer, i, source) is ValueKind input:
                    var scores = new Int8DenseLayer(integer.InputShape, Int8Weights(integer), integer.OutputShape.Channels, input,
                        (int[]?)integer.Bias?.Value.Clone(), null, integer.InputScale);
                    if (threshold is not null)
                    {
                        (long lo, long hi) = scores.Range;
                        ThresholdRule integerRule = FoldInteger(scores.OutputShape.Channels, integer.OutputShape, lo, hi, scores.Score, chain);
                        folded = new Int8DenseLayer(integer.InputShape, scores.Weights, scores.OutputShape.Channels, input, null, integerRule, integer.InputScale)
                        { Source = Names(integer) };
                    }
                    else if (i + 2 == source.Count && source[i + 1] is LayerNorm)
                    {
                        // The head's last layer norm has no parameters: per sample it subtracts the mean and divides by
                        // a positive deviation, strictly increasing in each score (distinct integer scores stay distinct
                        // floats), so the class order and argmax are those of the integer scores: they are the output.
                        folded = WithSource(scores, $"{integer.Kind} + {source[i + 1].Kind}");
                        consumed = 2;
                    }
                    else folded = WithSource(scores, integer.Kind);
                    break;
                case ThermometerEncoding encoder:
                    folded = new ThermometerLayer(encoder.InputShape, encoder.OutputShape, encoder.Thresholds.ToArray()) { Source = encoder.Kind };
                    consumed = 1;
                    break;
                case BatchNorm norm:
                    folded = new BatchNormLayer(norm.OutputShape, (float[])norm.RunningMean.Clone(), (float[])norm.RunningVariance.Clone(), norm.Epsilon,
                        (float[]?)norm.Scale?.Value.Clone(), (float[]?)norm.Shift?.Value.Clone()) { Source = norm.Kind };
                    consumed = 1;
                    break;
                case ThresholdActivation alone:
                    folded = new ThresholdLayer(alone.OutputShape, alone.Threshold) { Source = alone.Kind };
                    consumed = 1;
                    break;
                case var other when WrappedKinds.Supports(other.Kind):
                    // No folded form yet: the training layer runs as it is (exact, not allocation-free).
                    folded = new TrainingLayerAdapter(other, inputIsBits: i > 0 && source[i - 1].OutputIsBits) { Source = other.Kind };
                    consumed = 1;
                    break;
                default:
                    throw new NotSupportedException($"layer {i} ({layer.Kind}, {layer.GetType().Name}) has no inference form yet (storable: {string.Join(", ", ModelCodecKinds())})");
            }
            // Training parameters of everything folded in (for the summary's training-memory figures).
            foreach (ILayer part in source.Skip(i).Take(consumed))
                foreach (Parameter parameter in part.Parameters)
                {
                    if (parameter is BooleanParameter) folded.TrainingBooleanParameters += parameter.Count;
                    else if (parameter is IntegerParameter) folded.TrainingIntegerParameters += parameter.Count;
                    else folded.TrainingRealParameters += parameter.Count;
                }
            layers.Add(folded);
            i += consumed;
        }
        return new InferenceModel(layers, metadata);
    }

    private static IEnumerable<string> ModelCodecKinds() =>
        new[] { "boolean-linear", "bitplane-linear", "real-linear", "integer-linear (int8 range)", "thermometer", "batch-norm", "threshold" }.Concat(WrappedKinds.All);

    private static InferenceLayer WithSource(InferenceLayer layer, string source) => layer switch
    {
        BitPlaneDenseLayer p => new BitPlaneDenseLayer(p.InputShape, p.Weights, p.InputBits, p.Rule, p.Scale) { Source = source },
        Int8DenseLayer d => new Int8DenseLayer(d.InputShape, d.Weights, d.OutputShape.Channels, d.InputKind, d.Bias, d.Rule, d.InputScale) { Source = source },
        _ => layer,
    };

    /// <summary>
    /// What an <see cref="IntegerLinear"/> reads if it folds to an <see cref="Int8DenseLayer"/>: weights within
    /// -127..127 (<see cref="IntegerRange.Int8"/>; a range holding -128 does not), on the raw bytes (first layer)
    /// or on a flat vector of bits; null otherwise (the layer is then wrapped as it is).
    /// </summary>
    private static ValueKind? Int8Input(IntegerLinear integer, int index, IReadOnlyList<ILayer> source)
    {
        IntegerRange range = integer.Weight.Range;
        if (range.Bits != 8 || range.Minimum < -127) return null;
        if (index == 0) return ValueKind.Bytes;
        return source[index - 1].OutputIsBits && integer.InputShape.IsVector ? ValueKind.Bits : null;
    }

    /// <summary>W as int8 (the parameter's range keeps every value within -127..127).</summary>
    private static sbyte[] Int8Weights(IntegerLinear integer)
    {
        int[] values = integer.Weight.Value;
        var weights = new sbyte[values.Length];
        for (int i = 0; i < values.Length; i++) weights[i] = checked((sbyte)values[i]);
        return weights;
    }

    /// <summary>XNOR/XOR neuron: v = mismatch count c in [0, m]; a = scale * (sign * (2 (m - c) - m) + e(b_j)).</summary>
    private static ThresholdRule FoldBoolean(BooleanLinear linear, IReadOnlyList<ILayer> chain)
    {
        int m = linear.Inputs;
        float sign = linear.Logic == BinaryLogic.Xnor ? 1f : -1f;
        float[]? biasSigns = linear.Bias is null ? null : BitPacking.UnpackSigns(linear.Bias.Weights);
        float Value(int j, long c)
        {
            // The training layer's expression, operation for operation (BooleanLinear.Forward).
            int s = m - (int)c;
            float centred = sign * (2 * s - m);
            if (biasSigns is not null) centred += biasSigns[j];
            return linear.OutputScale * centred;
        }
        return FoldInteger(linear.Outputs, linear.OutputShape, 0, m, Value, chain);
    }

    /// <summary>Bit-plane neuron: v = D = sum_i e(w_i) u_i; a = scale * D (the expression of <see cref="PlaneProducts"/>).</summary>
    private static ThresholdRule FoldBitPlane(BitPlaneLinear planes, (int Min, int Max) range, IReadOnlyList<ILayer> chain) =>
        FoldInteger(planes.OutputShape.Channels, planes.OutputShape, range.Min, range.Max, (j, d) => planes.OutputScale * (int)d, chain);

    /// <summary>
    /// Per neuron j, the rule y = [v &lt;= T_j] XOR f_j equal to chain(value(j, v)) on [lo, hi],
    /// found by a bisection run in lock-step over all neurons (one probe batch per step).
    /// </summary>
    internal static ThresholdRule FoldInteger(int n, TensorShape shape, long lo, long hi, Func<int, long, float> value, IReadOnlyList<ILayer> chain)
    {
        bool[] yLo = Probe(chain, shape, j => value(j, lo)), yHi = Probe(chain, shape, j => value(j, hi));
        var a = new long[n];
        var b = new long[n];
        var thresholds = new int[n];
        var flips = new ulong[BitMatrix.WordsFor(n)];
        bool any = false;
        for (int j = 0; j < n; j++)
        {
            a[j] = lo;
            b[j] = yLo[j] == yHi[j] ? lo : hi; // constant neurons need no search
            any |= b[j] - a[j] > 1;
        }
        while (any)
        {
            var mid = new long[n];
            for (int j = 0; j < n; j++) mid[j] = a[j] + (b[j] - a[j]) / 2;
            bool[] y = Probe(chain, shape, j => value(j, mid[j]));
            any = false;
            for (int j = 0; j < n; j++)
            {
                if (b[j] - a[j] <= 1) continue;
                if (y[j] == yLo[j]) a[j] = mid[j]; else b[j] = mid[j];
                any |= b[j] - a[j] > 1;
            }
        }
        for (int j = 0; j < n; j++)
        {
            // y(v) == yLo for v <= a, != yLo above: yLo TRUE -> y = [v <= a]; yLo FALSE -> y = NOT [v <= a].
            long t = yLo[j] == yHi[j] ? (yLo[j] ? hi : lo - 1) : a[j];
            thresholds[j] = checked((int)t);
            if (yLo[j] != yHi[j] && !yLo[j]) flips[j >> 6] |= 1UL << (j & 63);
        }
        var rule = new ThresholdRule(thresholds, flips);
        Verify(rule, n, shape, lo, hi, value, chain);
        return rule;
    }

    /// <summary>Checks the rule against the chain on the whole domain when small, else on a sample including every T and T + 1.</summary>
    private static void Verify(ThresholdRule rule, int n, TensorShape shape, long lo, long hi, Func<int, long, float> value, IReadOnlyList<ILayer> chain)
    {
        var points = new List<Func<int, long>>();
        if (hi - lo <= 1 << 12)
            for (long v = lo; v <= hi; v++) { long c = v; points.Add(_ => c); }
        else
        {
            for (int s = 0; s <= 64; s++) { long c = lo + (hi - lo) * s / 64; points.Add(_ => c); }
            points.Add(j => Math.Clamp(rule.Thresholds[j], lo, hi));
            points.Add(j => Math.Clamp(rule.Thresholds[j] + 1L, lo, hi));
        }
        foreach (var point in points)
        {
            bool[] y = Probe(chain, shape, j => value(j, point(j)));
            for (int j = 0; j < n; j++)
            {
                long v = point(j);
                bool expected = (v <= rule.Thresholds[j]) ^ rule.Flip(j);
                if (y[j] != expected)
                    throw new InvalidOperationException($"neuron {j}: the activation is not a single threshold of the pre-activation (at {v}); cannot fold");
            }
        }
    }

    /// <summary>
    /// Float layer: per neuron the float t_j with y = [z &lt;= t_j] XOR f_j, bisecting over the ordered
    /// floats within the reachable range |z| &lt;= sum_p |w_jp| max|x| + |b_j| (with margin). Beyond
    /// it BN could overflow (0 * inf = NaN) and stop being monotone, but no input reaches there.
    /// </summary>
    private static FloatThresholdRule FoldFloat(RealLinear real, float inputBound, IReadOnlyList<ILayer> chain)
    {
        int n = real.Outputs, k = real.Inputs;
        TensorShape shape = real.OutputShape;
        double bound = 0;
        for (int j = 0; j < n; j++)
        {
            double sum = real.Bias is null ? 0 : Math.Abs(real.Bias.Value[j]);
            for (int p = 0; p < k; p++) sum += Math.Abs(real.Weight.Value[j * k + p]) * (double)inputBound;
            bound = Math.Max(bound, sum);
        }
        float limit = (float)Math.Min(float.MaxValue, bound * 1.01 + 1);
        long lo = Key(-limit), hi = Key(limit);
        ThresholdRule integer = FoldInteger(n, shape, lo, hi, (j, key) => FromKey(key), chain);
        var thresholds = new float[n];
        for (int j = 0; j < n; j++)
        {
            int t = integer.Thresholds[j];
            thresholds[j] = t < lo ? float.NegativeInfinity : t >= hi ? float.PositiveInfinity : FromKey(t);
        }
        return new FloatThresholdRule(thresholds, integer.Flips);
    }

    /// <summary>An order-preserving map of finite floats to integers (both zeros map to 0).</summary>
    public static int Key(float value)
    {
        int bits = BitConverter.SingleToInt32Bits(value);
        return bits >= 0 ? bits : -(bits & 0x7FFFFFFF);
    }

    /// <summary>Inverse of <see cref="Key"/>.</summary>
    public static float FromKey(long key) =>
        key >= 0 ? BitConverter.Int32BitsToSingle((int)key) : BitConverter.Int32BitsToSingle((int)(-key) | int.MinValue);

    /// <summary>Runs the training chain (inference mode) on one sample whose pre-activation j is <paramref name="value"/>(j).</summary>
    private static bool[] Probe(IReadOnlyList<ILayer> chain, TensorShape shape, Func<int, float> value)
    {
        int n = shape.Channels;
        var values = new float[n];
        for (int j = 0; j < n; j++) values[j] = value(j);
        var context = new LayerContext { Training = false, Threads = 1, NeedInputGradient = false };
        Batch batch = Batch.FromReal(values, 1, shape);
        foreach (ILayer layer in chain) batch = layer.Forward(batch, context);
        BitMatrix bits = batch.RequireBits("fold");
        var result = new bool[n];
        for (int j = 0; j < n; j++) result[j] = bits[0, j];
        return result;
    }
}
