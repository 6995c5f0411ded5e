using BoolNet.Core.Bits;
using BoolNet.Core.Operators;
using BoolNet.Inference.Serialization;

using BoolNet.Layers;

namespace BoolNet.Inference;

/// <summary>
/// Folded Boolean dense layer: bits [m] -> bits [n]. With c_j = popcount(x XOR w_j), the
/// mismatch count, the output is <c>y_j = [c_j &lt;= T_j] XOR f_j</c> (<see cref="ThresholdRule"/>),
/// which is exactly XNOR/XOR neuron + optional Boolean bias + batch norm (running statistics) +
/// threshold of the training network. One counting GEMM and one compare per neuron.
/// </summary>
public sealed class BooleanDenseLayer : InferenceLayer
{
    /// <summary>Creates the layer.</summary>
    public BooleanDenseLayer(BitMatrix weights, ThresholdRule rule)
        : base(TensorShape.Vector(weights.Columns), TensorShape.Vector(weights.Rows))
    {
        if (rule.Count != weights.Rows) throw new ArgumentException($"{weights.Rows} neurons but a rule for {rule.Count}");
        Weights = weights;
        Rule = rule;
        _packed = BinaryGemm.PackWeights(weights);
    }

    private readonly PackedWeights _packed; // W in the layout of the process ISA's path, packed once

    /// <summary>The file kind.</summary>
    public const string KindName = "boolean-dense";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>W [n, m].</summary>
    public BitMatrix Weights { get; }

    /// <summary>The folded thresholds and flips.</summary>
    public ThresholdRule Rule { get; }

    /// <inheritdoc />
    public override bool Accepts(ValueKind kind) => kind == ValueKind.Bits;

    /// <inheritdoc />
    public override ValueKind Output => ValueKind.Bits;

    /// <inheritdoc />
    public override LayerCost Cost => MakeCost((long)Weights.Rows * Weights.Columns + Weights.Rows, 0, Weights.Rows, (long)Weights.Rows * Weights.Columns, 0, 0);

    /// <summary>Forward: X [count, m] bits -> Y [count, n] bits.</summary>
    public override void Forward(Activations input, ValueKind inputKind, Activations output, int count, Scratch scratch)
    {
        int n = Weights.Rows, words = Weights.WordsPerRow, outWords = BitMatrix.WordsFor(n);
        Span<int> counts = scratch.Ints((long)count * n); // c [count, n]
        BinaryGemm.CountXor(input.Words.AsSpan(0, count * words), count, _packed, counts, threads: 1);
        Span<ulong> y = output.RequireWords((long)count * outWords);
        for (int k = 0; k < count; k++) Rule.Pack(counts.Slice(k * n, n), y.Slice(k * outWords, outWords));
    }

    /// <inheritdoc />
    public override LayerRecord ToRecord()
    {
        LayerRecord record = NewRecord().With(TensorRecord.FromBits("weight", Weights));
        Rule.AddTo(record);
        return record;
    }

    /// <summary>Reads the layer from its record.</summary>
    public static BooleanDenseLayer FromRecord(LayerRecord record)
    {
        if (!record.InputShape.IsVector || !record.OutputShape.IsVector) throw record.Fault("input and output must be flat vectors");
        int m = record.InputShape.Channels, n = record.OutputShape.Channels;
        return new BooleanDenseLayer(record.GetBits("weight", n, m), ThresholdRule.From(record, n)) { Source = record.GetText("source", "") }.WithCommon<BooleanDenseLayer>(record);
    }
}

/// <summary>
/// Boolean classifier head: bits [m] -> real logits [n], the training layer's own float expression
/// <code>  logit_j = scale * (sign * (2 s_j - m) + e(b_j)),  s_j = m - c_j (XNOR count), sign = +1 XNOR / -1 XOR </code>
/// evaluated in the same float operations, so logits are bit-identical.
/// </summary>
public sealed class BooleanLogitsLayer : InferenceLayer
{
    private readonly float[]? _biasSigns;

    /// <summary>Creates the head.</summary>
    public BooleanLogitsLayer(BitMatrix weights, BinaryLogic logic, float scale, BitMatrix? bias)
        : base(TensorShape.Vector(weights.Columns), TensorShape.Vector(weights.Rows))
    {
        if (bias is not null && (bias.Rows != 1 || bias.Columns != weights.Rows)) throw new ArgumentException("bias must be [1, n]");
        Weights = weights;
        Logic = logic;
        Scale = scale;
        Bias = bias;
        _biasSigns = bias is null ? null : BitPacking.UnpackSigns(bias);
    }

    /// <summary>The file kind.</summary>
    public const string KindName = "boolean-logits";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>W [n, m].</summary>
    public BitMatrix Weights { get; }

    /// <summary>Neuron logic.</summary>
    public BinaryLogic Logic { get; }

    /// <summary>Logit scale.</summary>
    public float Scale { get; }

    /// <summary>Boolean bias [1, n] or null.</summary>
    public BitMatrix? Bias { get; }

    /// <inheritdoc />
    public override bool Accepts(ValueKind kind) => kind == ValueKind.Bits;

    /// <inheritdoc />
    public override ValueKind Output => ValueKind.Real;

    /// <inheritdoc />
    public override LayerCost Cost => MakeCost((long)Weights.Rows * Weights.Columns + (Bias is null ? 0 : Weights.Rows), 0, 1, (long)Weights.Rows * Weights.Columns, 0, 0);

    /// <summary>Forward: X [count, m] bits -> logits [count, n].</summary>
    public override void Forward(Activations input, ValueKind inputKind, Activations output, int count, Scratch scratch)
    {
        int n = Weights.Rows, m = Weights.Columns, words = Weights.WordsPerRow;
        Span<int> counts = scratch.Ints((long)count * n);
        CountRows(CountOperation.Xor, input.Words.AsSpan(0, count * words), Weights.Words, count, n, words, counts);
        Span<float> y = output.RequireReal((long)count * n);
        float sign = Logic == BinaryLogic.Xnor ? 1f : -1f;
        for (int i = 0; i < count * n; i++)
        {
            int s = m - counts[i];
            float centred = sign * (2 * s - m);
            if (_biasSigns is not null) centred += _biasSigns[i % n];
            y[i] = Scale * centred;
        }
    }

    /// <inheritdoc />
    public override LayerRecord ToRecord()
    {
        LayerRecord record = NewRecord()
            .With("logic", Logic == BinaryLogic.Xnor ? "xnor" : "xor")
            .With("scale", (double)Scale)
            .With(TensorRecord.FromBits("weight", Weights));
        if (Bias is not null) record.With(TensorRecord.FromBits("bias", Bias));
        return record;
    }

    /// <summary>Reads the layer from its record.</summary>
    public static BooleanLogitsLayer FromRecord(LayerRecord record)
    {
        if (!record.InputShape.IsVector || !record.OutputShape.IsVector) throw record.Fault("input and output must be flat vectors");
        int m = record.InputShape.Channels, n = record.OutputShape.Channels;
        BinaryLogic logic = record.GetText("logic") switch
        {
            "xnor" => BinaryLogic.Xnor,
            "xor" => BinaryLogic.Xor,
            string other => throw record.Fault($"unknown logic '{other}'"),
        };
        BitMatrix? bias = record.HasTensor("bias") ? record.GetBits("bias", 1, n) : null;
        return new BooleanLogitsLayer(record.GetBits("weight", n, m), logic, (float)record.GetReal("scale"), bias) { Source = record.GetText("source", "") }.WithCommon<BooleanLogitsLayer>(record);
    }
}
