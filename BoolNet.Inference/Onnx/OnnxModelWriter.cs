using BoolNet.Core.Convolution;
using BoolNet.Core.Operators;
using BoolNet.Layers;

namespace BoolNet.Inference.Onnx;

/// <summary>
/// The layer walk of <see cref="OnnxExporter"/>. The value between layers is one ONNX tensor in one of
/// three forms: the input bytes (uint8, NCHW), bits (uint8 0 / 2, read with zero point 1 as -1 / +1; NCHW
/// maps or [N, K] vectors) or reals (float). BoolNet's maps are NHWC, so flattening transposes first.
/// </summary>
internal sealed class OnnxModelWriter(InferenceModel model)
{
    private enum Form { Bytes, Bits, Real }

    private readonly OnnxGraph _graph = new();
    private readonly IReadOnlyList<InferenceLayer> _layers = model.Layers;
    private string _value = OnnxExporter.InputName;
    private Form _form = Form.Bytes;
    private bool _flat;      // the value is [N, K] (else [N, C, H, W])
    private string? _one;    // the uint8 zero point 1

    public byte[] Write(string version)
    {
        TensorShape input = model.InputShape;
        _graph.Input(OnnxExporter.InputName, OnnxType.UInt8, [null, input.Channels, input.Height, input.Width]);
        for (int i = 0; i < _layers.Count;) i += WriteLayer(i);
        if (_form != Form.Real) throw new OnnxExportException(_layers.Count - 1, _layers[^1].Kind, "the model does not end in real scores");
        string flat = Flatten();
        _graph.Node("Identity", [flat], output: OnnxExporter.OutputName);
        _graph.Output(OnnxExporter.OutputName, OnnxType.Float, [null, model.ClassCount]);
        foreach (var (key, value) in model.Metadata) _graph.Metadata(key, value);
        return _graph.ToBytes(version);
    }

    /// <summary>Writes layer <paramref name="index"/> (and the layers it absorbs); returns how many layers it consumed.</summary>
    private int WriteLayer(int index)
    {
        InferenceLayer layer = _layers[index];
        switch (layer)
        {
            case Int8DenseLayer dense: Int8Dense(index, dense); return 1;
            case BooleanDenseLayer dense: BooleanDense(dense); return 1;
            case BooleanLogitsLayer logits: BooleanLogits(logits); return 1;
            case TrainingLayerAdapter { Layer: IntegerConvolution convolution } when _form == Form.Bytes:
                return 1 + IntegerConvolution(index, convolution);
            case TrainingLayerAdapter { Layer: BooleanConvolution2D convolution } when _form == Form.Bits && !_flat:
                return 1 + BooleanConvolution(index, convolution);
            case TrainingLayerAdapter { Layer: BooleanMaxPool pool } when !_flat:
                _value = _graph.Node("MaxPool", [_value], PoolAttributes(pool.Kernel, pool.Stride));
                return 1;
            case TrainingLayerAdapter { Layer: BoolNet.Layers.Flatten }:
                _value = Flatten();
                return 1;
            default:
                throw new OnnxExportException(index, layer.Kind,
                    $"no exact ONNX form for this kind here (on {_form.ToString().ToLowerInvariant()} input); exportable: {string.Join(", ", OnnxExporter.SupportedKinds)}");
        }
    }

    /// <summary>D = x W^T (bytes), or E = e(x) W^T = 2 D - S (bits); then the folded rule, or the scores.</summary>
    private void Int8Dense(int index, Int8DenseLayer dense)
    {
        int k = dense.InputShape.Size, n = dense.OutputShape.Channels;
        bool bits = dense.InputKind == ValueKind.Bits;
        var transposed = new sbyte[k * n];
        var rowSums = new long[n];
        long largest = 0;
        for (int j = 0; j < n; j++)
        {
            long magnitude = 0;
            for (int i = 0; i < k; i++)
            {
                sbyte w = dense.Weights[j * k + i];
                transposed[i * n + j] = w;
                rowSums[j] += w;
                magnitude += Math.Abs(w);
            }
            largest = Math.Max(largest, magnitude);
        }
        string x = Flatten(), weight = _graph.Constant("int8_weight", OnnxType.Int8, [k, n], transposed);
        string sums = _graph.Node("MatMulInteger", bits ? [x, weight, One()] : [x, weight]);
        if (dense.Rule is ThresholdRule rule)
        {
            // bit = [D <= T] XOR f; on bits E <= 2T - S.
            var limits = new int[n];
            for (int j = 0; j < n; j++) limits[j] = bits ? checked((int)(2L * rule.Thresholds[j] - rowSums[j])) : rule.Thresholds[j];
            string above = _graph.Node("Greater", [sums, _graph.Constant("threshold", OnnxType.Int32, [1, n], limits)]);
            SetBits(above, Flips(rule), flat: true);
            return;
        }
        long biasBound = dense.Bias is null ? 0 : dense.Bias.Max(b => Math.Abs((long)b));
        if (bits)
        {
            // BoolNet: (float)(2D - S) + (float)b, exact while every integer is below 2^24.
            if (largest + biasBound >= 1 << 24) throw new OnnxExportException(index, dense.Kind, "integer scores reach 2^24, beyond exact float");
            if (dense.Bias is not null) sums = _graph.Node("Add", [sums, _graph.Constant("bias", OnnxType.Int32, [1, n], dense.Bias)]);
            _value = Cast(sums, OnnxType.Float);
        }
        else
        {
            // BoolNet: (float)(s * (double)D) + (float)b: one exact double product, one rounding, one float add.
            if (largest * 255 >= 1L << 53) throw new OnnxExportException(index, dense.Kind, "sums too large for an exact double product");
            string scaled = _graph.Node("Mul", [Cast(sums, OnnxType.Double), _graph.Constant("scale", OnnxType.Double, [1], new[] { (double)dense.InputScale })]);
            _value = Cast(scaled, OnnxType.Float);
            if (dense.Bias is not null)
                _value = _graph.Node("Add", [_value, _graph.Constant("bias", OnnxType.Float, [1, n], dense.Bias.Select(b => (float)b).ToArray())]);
        }
        _form = Form.Real;
    }

    /// <summary>dot = e(x) e(W)^T = m - 2c (c the mismatch count); c &lt;= T is dot &gt;= m - 2T.</summary>
    private void BooleanDense(BooleanDenseLayer dense)
    {
        int m = dense.Weights.Columns, n = dense.Weights.Rows;
        string dot = SignProduct(dense.Weights, 1);
        var limits = new int[n];
        for (int j = 0; j < n; j++) limits[j] = checked(m - 2 * dense.Rule.Thresholds[j]);
        SetBits(_graph.Node("Less", [dot, _graph.Constant("threshold", OnnxType.Int32, [1, n], limits)]), Flips(dense.Rule), flat: true);
    }

    /// <summary>logit = scale * (sign * dot + e(b)), the integer part exact, one float product as in BoolNet.</summary>
    private void BooleanLogits(BooleanLogitsLayer logits)
    {
        int n = logits.Weights.Rows;
        string centred = SignProduct(logits.Weights, logits.Logic == BinaryLogic.Xnor ? 1 : -1);
        if (logits.Bias is not null)
        {
            var signs = new int[n];
            for (int j = 0; j < n; j++) signs[j] = logits.Bias[0, j] ? 1 : -1;
            centred = _graph.Node("Add", [centred, _graph.Constant("bias", OnnxType.Int32, [1, n], signs)]);
        }
        _value = _graph.Node("Mul", [Cast(centred, OnnxType.Float), _graph.Constant("scale", OnnxType.Float, [1], new[] { logits.Scale })]);
        _form = Form.Real;
    }

    /// <summary>sign * e(x) e(W)^T by MatMulInteger over the flattened bits (W^T stored one bit per weight).</summary>
    private string SignProduct(Core.Bits.BitMatrix weights, int sign)
    {
        int m = weights.Columns, n = weights.Rows;
        var positive = new bool[m * n];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++) positive[i * n + j] = weights[j, i] == sign > 0;
        return _graph.Node("MatMulInteger", [Flatten(), _graph.Bits("sign_weight", positive, [m, n]), One(), One()]);
    }

    /// <summary>
    /// The float convolution of int8 weights on the scaled bytes, as BoolNet computes it: columns s x in float,
    /// then per output one fused multiply-add chain over (ky, kx, c). Each step is replayed in double (the
    /// product and the sum are exact there, checked below) and rounded to float once, as the fma does.
    /// </summary>
    private int IntegerConvolution(int index, IntegerConvolution convolution)
    {
        ConvolutionGeometry g = convolution.Geometry;
        int outputs = convolution.OutputChannels, channels = g.Channels, kernel = g.KernelHeight, stride = g.Stride;
        int[] weights = convolution.Weight.Value; // [out, ky, kx, c]
        float scale = convolution.InputScale;
        int lowest = int.MaxValue;
        for (int v = 1; v < 256; v++) lowest = Math.Min(lowest, LowestBit(scale == 1f ? v : v * scale));
        double bound = 0;
        for (int o = 0; o < outputs; o++)
        {
            double sum = Math.Abs((double)(convolution.Bias?.Value[o] ?? 0));
            for (int p = 0; p < g.FanIn; p++) sum += Math.Abs((double)weights[o * g.FanIn + p]) * 255 * Math.Abs(scale);
            bound = Math.Max(bound, sum);
        }
        if (weights.Any(w => Math.Abs(w) >= 1 << 24) || Math.Log2(bound * 1.01 + 1) - lowest >= 52)
            throw new OnnxExportException(index, convolution.Kind, "its float sums are not exact in double precision");
        string x = Cast(_value, OnnxType.Float);
        if (scale != 1f) x = _graph.Node("Mul", [x, _graph.Constant("scale", OnnxType.Float, [1], new[] { scale })]);
        x = Cast(Pad(x, g.Padding, _graph.Constant("zero", OnnxType.Float, [], new[] { 0f })), OnnxType.Double);
        int height = g.OutputHeight, width = g.OutputWidth;
        string? sum32 = null;
        string axes = _graph.Int64s("axes", 1, 2, 3), steps = _graph.Int64s("steps", 1, stride, stride);
        for (int ky = 0; ky < kernel; ky++)
            for (int kx = 0; kx < kernel; kx++)
                for (int c = 0; c < channels; c++)
                {
                    string tap = _graph.Node("Slice", [x, _graph.Int64s("starts", c, ky, kx),
                        _graph.Int64s("ends", c + 1, ky + stride * (height - 1) + 1, kx + stride * (width - 1) + 1), axes, steps]);
                    var column = new double[outputs];
                    for (int o = 0; o < outputs; o++) column[o] = weights[o * g.FanIn + (ky * kernel + kx) * channels + c];
                    string product = _graph.Node("Mul", [tap, _graph.Constant("tap_weight", OnnxType.Double, [1, outputs, 1, 1], column)]);
                    string exact = sum32 is null ? product : _graph.Node("Add", [Cast(sum32, OnnxType.Double), product]);
                    sum32 = Cast(exact, OnnxType.Float);
                }
        _value = sum32!;
        if (convolution.Bias is not null)
            _value = _graph.Node("Add", [_value, _graph.Constant("bias", OnnxType.Float, [1, outputs, 1, 1], convolution.Bias.Value.Select(b => (float)b).ToArray())]);
        _form = Form.Real;
        return RealToBits(index, index + 1, outputs, bound);
    }

    /// <summary>Boolean convolution: padded bits (value by padding mode), ConvInteger with zero points 1, then OutputScale * count.</summary>
    private int BooleanConvolution(int index, BooleanConvolution2D convolution)
    {
        ConvolutionGeometry g = convolution.Geometry;
        int outputs = convolution.OutputChannels, channels = g.Channels, kernel = g.KernelHeight;
        int sigma = convolution.Logic == BinaryLogic.Xnor ? 1 : -1;
        byte padValue = convolution.PaddingMode switch { PaddingMode.Exclude => 1, PaddingMode.False => 0, _ => 2 };
        var positive = new bool[outputs * channels * kernel * kernel]; // [out, c, ky, kx]: +1 (2 under zero point 1)
        for (int o = 0; o < outputs; o++)
            for (int ky = 0; ky < kernel; ky++)
                for (int kx = 0; kx < kernel; kx++)
                    for (int c = 0; c < channels; c++)
                        positive[((o * channels + c) * kernel + ky) * kernel + kx] = convolution.Weight.Weights[o, (ky * kernel + kx) * channels + c] == sigma > 0;
        string padded = Pad(_value, g.Padding, _graph.Constant("pad_bit", OnnxType.UInt8, [], new[] { padValue }));
        string counts = _graph.Node("ConvInteger", [padded, _graph.Bits("bit_weight", positive, [outputs, channels, kernel, kernel]), One(), One()],
            [new("kernel_shape", Integers: [kernel, kernel]), new("strides", Integers: [g.Stride, g.Stride])]);
        _value = _graph.Node("Mul", [Cast(counts, OnnxType.Float), _graph.Constant("scale", OnnxType.Float, [1], new[] { convolution.OutputScale })]);
        _form = Form.Real;
        return RealToBits(index, index + 1, outputs, Math.Abs((double)convolution.OutputScale) * g.FanIn);
    }

    /// <summary>
    /// A real map becomes bits through an optional max-pool, an optional batch norm and a threshold, written
    /// as one float compare per channel (<see cref="OnnxThresholds"/>); returns the layers absorbed.
    /// </summary>
    private int RealToBits(int producer, int start, int channels, double bound)
    {
        int i = start;
        if (i < _layers.Count && _layers[i] is TrainingLayerAdapter { Layer: RealMaxPool pool })
        {
            _value = _graph.Node("MaxPool", [_value], PoolAttributes(pool.Kernel, pool.Stride));
            i++;
        }
        BatchNormLayer? norm = i < _layers.Count ? _layers[i] as BatchNormLayer : null;
        if (norm is not null) i++;
        if (i >= _layers.Count || _layers[i] is not ThresholdLayer threshold)
            throw new OnnxExportException(producer, _layers[producer].Kind, "its real output is exported only when a threshold (after an optional max-pool and batch norm) makes it bits");
        (float[] thresholds, bool[] flips) rule;
        try { rule = OnnxThresholds.Search(channels, norm, threshold, bound); }
        catch (InvalidOperationException e) { throw new OnnxExportException(i, threshold.Kind, e.Message); }
        string above = _graph.Node("Greater", [_value, _graph.Constant("threshold", OnnxType.Float, [1, channels, 1, 1], rule.thresholds)]);
        SetBits(above, rule.flips, flat: false);
        return i + 1 - start;
    }

    /// <summary>bits = NOT above XOR f, as uint8 0 / 2 (Where picks per channel).</summary>
    private void SetBits(string above, bool[] flips, bool flat)
    {
        long[] shape = flat ? [1, flips.Length] : [1, flips.Length, 1, 1];
        byte[] whenAbove = flips.Select(f => (byte)(f ? 2 : 0)).ToArray(), otherwise = flips.Select(f => (byte)(f ? 0 : 2)).ToArray();
        _value = _graph.Node("Where", [above, _graph.Constant("bit_above", OnnxType.UInt8, shape, whenAbove), _graph.Constant("bit_below", OnnxType.UInt8, shape, otherwise)]);
        _form = Form.Bits;
        _flat = flat;
    }

    private static bool[] Flips(ThresholdRule rule) => Enumerable.Range(0, rule.Count).Select(rule.Flip).ToArray();

    /// <summary>The value as [N, K] in BoolNet's NHWC order.</summary>
    private string Flatten()
    {
        if (_flat) return _value;
        string value = _graph.Node("Transpose", [_value], [new("perm", Integers: [0, 2, 3, 1])]);
        _value = _graph.Node("Reshape", [value, _graph.Int64s("shape", 0, -1)]);
        _flat = true;
        return _value;
    }

    private string Pad(string value, int padding, string constant) => padding == 0 ? value
        : _graph.Node("Pad", [value, _graph.Int64s("pads", 0, 0, padding, padding, 0, 0, padding, padding), constant]);

    private string Cast(string value, OnnxType type) => _graph.Node("Cast", [value], [new("to", Integer: (int)type)]);

    private string One() => _one ??= _graph.Constant("zero_point", OnnxType.UInt8, [], new byte[] { 1 });

    private static OnnxAttribute[] PoolAttributes(int kernel, int stride) =>
        [new("kernel_shape", Integers: [kernel, kernel]), new("strides", Integers: [stride, stride])];

    /// <summary>The exponent of the lowest set bit of a positive finite value (v = odd * 2^result).</summary>
    private static int LowestBit(double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        int exponent = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & ((1L << 52) - 1);
        if (exponent != 0) mantissa |= 1L << 52; else exponent = 1;
        return exponent - 1075 + System.Numerics.BitOperations.TrailingZeroCount(mantissa);
    }
}
