using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BoolNet.Core.Bits;
using BoolNet.Core.Operators;
using BoolNet.Inference.Serialization;

using BoolNet.Layers;

namespace BoolNet.Inference;

/// <summary>
/// Folded int8 dense layer (a training <see cref="IntegerLinear"/> whose weights lie in -127..127), integer
/// arithmetic only:
/// <code>
///   D_j = sum_i x_i W_ji              (exact int32, <see cref="Int8Gemm"/>; x = raw bytes 0..255, or bits as 0/1)
///   bits output:  y_j = [D_j &lt;= T_j] XOR f_j           (bias + batch norm + threshold folded into T, f)
///   real output:  bits input:  score_j = 2 D_j - S_j + b_j = sum_i e(x_i) W_ji + b_j,  S_j = sum_i W_ji
///                 bytes input: score_j = s D_j + b_j     (s = input-scale, in float)
/// </code>
/// With bits input the real scores are the training layer's own values (its float GEMM of +-1 and integer
/// weights is exact); with bytes input they are the correctly rounded s D_j where training sums rounded
/// products. The threshold is on D itself, so the bits path compares the kernel's sums directly.
/// </summary>
public sealed class Int8DenseLayer : InferenceLayer
{
    private static readonly ulong[] Spread = MakeSpread(); // byte b -> 8 bytes holding its bits as 0/1
    private readonly Int8Gemm.PreparedWeights _prepared;   // W in the layout of the process ISA's path
    private readonly int[] _rowSums;                       // S_j

    /// <summary>Creates the layer with a folded rule (bits out) or without (real scores out).</summary>
    /// <param name="input">one sample's shape (a flat vector for bits input)</param>
    /// <param name="weights">W [outputs, input size] row-major, each in -127..127</param>
    /// <param name="outputs">n</param>
    /// <param name="inputKind"><see cref="ValueKind.Bytes"/> or <see cref="ValueKind.Bits"/></param>
    /// <param name="bias">b [n] or null (real output only: a rule already holds it)</param>
    /// <param name="rule">the folded rule on D, or null for real output</param>
    /// <param name="inputScale">s, the factor on byte inputs of the real output</param>
    public Int8DenseLayer(TensorShape input, sbyte[] weights, int outputs, ValueKind inputKind, int[]? bias, ThresholdRule? rule, float inputScale = 1f)
        : base(input, TensorShape.Vector(outputs))
    {
        int k = input.Size;
        if (inputKind is not (ValueKind.Bytes or ValueKind.Bits)) throw new ArgumentException($"an int8 layer reads bytes or bits, not {inputKind}");
        if (inputKind == ValueKind.Bits && !input.IsVector) throw new ArgumentException($"bit input must be a flat vector, not {input}");
        if (weights.Length != (long)outputs * k) throw new ArgumentException($"weights hold {weights.Length} values, need {(long)outputs * k}");
        if (bias is not null && bias.Length != outputs) throw new ArgumentException("bias length differs from the outputs");
        if (rule is not null && rule.Count != outputs) throw new ArgumentException("rule size differs from the outputs");
        if (rule is not null && bias is not null) throw new ArgumentException("a folded rule already holds the bias");
        if (!float.IsFinite(inputScale)) throw new ArgumentException($"input scale {inputScale} is not finite");
        Weights = weights;
        InputKind = inputKind;
        Bias = bias;
        Rule = rule;
        InputScale = inputScale;
        _prepared = Int8Gemm.Prepare(weights, outputs, k);
        _rowSums = new int[outputs];
        for (int j = 0; j < outputs; j++)
            foreach (sbyte w in weights.AsSpan(j * k, k)) _rowSums[j] += w;
    }

    /// <summary>The file kind.</summary>
    public const string KindName = "int8-dense";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>W [n, k] row-major.</summary>
    public sbyte[] Weights { get; }

    /// <summary>What the layer reads: raw bytes or bits.</summary>
    public ValueKind InputKind { get; }

    /// <summary>b [n] or null.</summary>
    public int[]? Bias { get; }

    /// <summary>Folded rule (bits output) or null (real output).</summary>
    public ThresholdRule? Rule { get; }

    /// <summary>s, the factor on byte inputs of the real output.</summary>
    public float InputScale { get; }

    private int Outputs => OutputShape.Channels;

    /// <summary>The smallest and largest D any input can give (the fold's search range).</summary>
    public (long Min, long Max) Range
    {
        get
        {
            long top = InputKind == ValueKind.Bytes ? 255 : 1, min = 0, max = 0;
            int k = InputShape.Size;
            for (int j = 0; j < Outputs; j++)
            {
                long negative = 0, positive = 0;
                foreach (sbyte w in Weights.AsSpan(j * k, k))
                    if (w < 0) negative += w; else positive += w;
                min = Math.Min(min, top * negative);
                max = Math.Max(max, top * positive);
            }
            return (min, max);
        }
    }

    /// <summary>Neuron j's real output for a sum D (see the class remarks); the fold probes the training chain with it.</summary>
    public float Score(int j, long d)
    {
        float bias = Bias is null ? 0f : Bias[j];
        // The training order: the product as a float, then + b in float (RowBroadcast.AddToRows).
        return InputKind == ValueKind.Bits ? (float)(2 * d - _rowSums[j]) + bias : (float)(InputScale * (double)d) + bias;
    }

    /// <inheritdoc />
    public override bool Accepts(ValueKind kind) => kind == InputKind;

    /// <inheritdoc />
    public override ValueKind Output => Rule is null ? ValueKind.Real : ValueKind.Bits;

    /// <inheritdoc />
    public override LayerCost Cost
    {
        get
        {
            long weights = Weights.LongLength;
            long thirtyTwo = Rule is not null ? Outputs : Bias?.Length ?? 0;
            return MakeCost(Rule is null ? 0 : Outputs, weights, thirtyTwo, 0, 0, 0) with { IntegerMacs = weights };
        }
    }

    /// <summary>Forward: bytes or bits [count, k] -> bits or reals [count, n].</summary>
    public override void Forward(Activations input, ValueKind inputKind, Activations output, int count, Scratch scratch)
    {
        int n = Outputs, k = InputShape.Size;
        Span<int> sums = scratch.Ints((long)count * n); // D [count, n]
        ReadOnlySpan<byte> x;
        if (inputKind == ValueKind.Bits)
        {
            Span<byte> bytes = MemoryMarshal.AsBytes(scratch.Words(((long)count * k + 7) / 8))[..(count * k)];
            UnpackBits(input.Words, count, k, bytes);
            x = bytes;
        }
        else x = input.Bytes.AsSpan(0, count * k);
        Int8Gemm.Multiply(_prepared, x, count, sums, threads: 1); // one thread: the model spreads samples itself
        if (Rule is not null)
        {
            int outWords = BitMatrix.WordsFor(n);
            Span<ulong> bits = output.RequireWords((long)count * outWords);
            for (int s = 0; s < count; s++) Rule.Pack(sums.Slice(s * n, n), bits.Slice(s * outWords, outWords));
            return;
        }
        Span<float> real = output.RequireReal((long)count * n);
        for (int s = 0; s < count; s++)
            for (int j = 0; j < n; j++) real[s * n + j] = Score(j, sums[s * n + j]);
    }

    /// <summary>Bit rows [count, ceil(k / 64) words] to bytes [count, k] of 0 and 1, 8 bytes per lookup.</summary>
    private static void UnpackBits(ReadOnlySpan<ulong> words, int count, int k, Span<byte> bytes)
    {
        int rowWords = BitMatrix.WordsFor(k), whole = k / 8;
        for (int s = 0; s < count; s++)
        {
            ReadOnlySpan<byte> packed = MemoryMarshal.AsBytes(words.Slice(s * rowWords, rowWords));
            Span<byte> row = bytes.Slice(s * k, k);
            for (int b = 0; b < whole; b++) Unsafe.WriteUnaligned(ref row[8 * b], Spread[packed[b]]);
            for (int i = 8 * whole; i < k; i++) row[i] = (byte)((packed[i >> 3] >> (i & 7)) & 1);
        }
    }

    private static ulong[] MakeSpread()
    {
        var table = new ulong[256];
        for (int b = 0; b < 256; b++)
            for (int i = 0; i < 8; i++) table[b] |= (ulong)((b >> i) & 1) << (8 * i); // little-endian: bit i -> byte i
        return table;
    }

    /// <inheritdoc />
    public override LayerRecord ToRecord()
    {
        LayerRecord record = NewRecord().With("input", InputKind == ValueKind.Bytes ? "bytes" : "bits")
            .With(new TensorRecord("weight", TensorType.Int8, [Outputs, InputShape.Size], Weights));
        if (InputKind == ValueKind.Bytes) record.With("input-scale", (double)InputScale);
        if (Bias is not null) record.With(new TensorRecord("bias", TensorType.Int32, [Outputs], Bias));
        Rule?.AddTo(record);
        return record;
    }

    /// <summary>Reads the layer from its record; a weight of -128 (outside -127..127) is refused.</summary>
    public static Int8DenseLayer FromRecord(LayerRecord record)
    {
        if (!record.OutputShape.IsVector) throw record.Fault("output must be a flat vector");
        int k = record.InputShape.Size, n = record.OutputShape.Channels;
        if (k > Int8Gemm.MaximumDepth) throw record.Fault($"{k} inputs per sample: an int8 layer takes at most {Int8Gemm.MaximumDepth}");
        ValueKind kind = record.GetText("input") switch
        {
            "bytes" => ValueKind.Bytes,
            "bits" => ValueKind.Bits,
            string other => throw record.Fault($"unknown input kind '{other}' (bytes or bits)"),
        };
        if (kind == ValueKind.Bits && !record.InputShape.IsVector) throw record.Fault("bit input must be a flat vector");
        var weights = (sbyte[])record.GetTensor("weight", TensorType.Int8, n, k).Data;
        int bad = Array.IndexOf(weights, sbyte.MinValue);
        if (bad >= 0) throw record.Fault($"weight [{bad / k}, {bad % k}] is -128, outside -127..127");
        int[]? bias = record.HasTensor("bias") ? record.GetInts("bias", n) : null;
        ThresholdRule? rule = record.HasTensor("threshold") || record.HasTensor("flip") ? ThresholdRule.From(record, n) : null;
        if (rule is not null && bias is not null) throw record.Fault("a layer with a folded threshold has no separate bias");
        float scale = kind == ValueKind.Bytes ? (float)record.GetReal("input-scale") : 1f;
        return new Int8DenseLayer(record.InputShape, weights, n, kind, bias, rule, scale) { Source = record.GetText("source", "") }.WithCommon<Int8DenseLayer>(record);
    }
}
