using BoolNet.Core.Bits;
using BoolNet.Core.Operators;
using BoolNet.Inference.Serialization;

using BoolNet.Layers;

namespace BoolNet.Inference;

/// <summary>
/// Folded first layer on 8-bit input with Boolean weights (docs/ALGORITHMS.md section 2, bit-serial):
/// <code>
///   u_i = x_i &gt;&gt; (8 - B)                       (x: raw bytes, B input bit-planes)
///   D_j = sum_i e(w_ji) u_i                       (exact integer, <see cref="BitPlaneDense"/>)
///   bits output:  y_j = [D_j &lt;= T_j] XOR f_j            (batch norm + threshold folded)
///   real output:  a_j = scale * (float)D_j               (the training layer's own expression)
/// </code>
/// </summary>
public sealed class BitPlaneDenseLayer : InferenceLayer
{
    private readonly BitPlaneDense.PreparedWeights _prepared; // W in the layout of the process ISA's path

    /// <summary>Creates the layer with a folded rule (bits out) or a scale (real out).</summary>
    public BitPlaneDenseLayer(TensorShape input, BitMatrix weights, int inputBits, ThresholdRule? rule, float scale)
        : base(input, TensorShape.Vector(weights.Rows))
    {
        if (weights.Columns != input.Size) throw new ArgumentException($"weights have {weights.Columns} columns for {input.Size} inputs");
        if (inputBits is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(inputBits));
        if (rule is not null && rule.Count != weights.Rows) throw new ArgumentException("rule size differs from the neuron count");
        Weights = weights;
        InputBits = inputBits;
        Rule = rule;
        Scale = scale;
        _prepared = BitPlaneDense.Prepare(weights, inputBits);
    }

    /// <summary>The file kind.</summary>
    public const string KindName = "bitplane-dense";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>W [n, m].</summary>
    public BitMatrix Weights { get; }

    /// <summary>B, input planes kept (most significant).</summary>
    public int InputBits { get; }

    /// <summary>Folded rule (bits output) or null (real output).</summary>
    public ThresholdRule? Rule { get; }

    /// <summary>Scale of the real output.</summary>
    public float Scale { get; }

    /// <inheritdoc />
    public override bool Accepts(ValueKind kind) => kind == ValueKind.Bytes;

    /// <inheritdoc />
    public override ValueKind Output => Rule is null ? ValueKind.Real : ValueKind.Bits;

    /// <inheritdoc />
    public override LayerCost Cost
    {
        get
        {
            long weights = (long)Weights.Rows * Weights.Columns;
            return MakeCost(weights + (Rule is null ? 0 : Weights.Rows), 0, Rule is null ? 1 : Weights.Rows, 0, weights, 0);
        }
    }

    /// <summary>The smallest and largest possible D (the fold's search range).</summary>
    public (int Min, int Max) Range => (-Weights.Columns * ((1 << InputBits) - 1), Weights.Columns * ((1 << InputBits) - 1));

    /// <summary>Forward: bytes [count, m] -> bits [count, n] or reals [count, n].</summary>
    public override void Forward(Activations input, ValueKind inputKind, Activations output, int count, Scratch scratch)
    {
        int n = Weights.Rows;
        (long words, long ints) = BitPlaneDense.ScratchSize(_prepared, count);
        Span<int> intScratch = scratch.Ints((long)count * n + ints);
        Span<int> sums = intScratch[..(count * n)]; // D [count, n]
        BitPlaneDense.Sums(_prepared, input.Bytes, count, sums, scratch.Words(words), intScratch[(count * n)..]);
        int outWords = BitMatrix.WordsFor(n);
        if (Rule is not null)
        {
            Span<ulong> bits = output.RequireWords((long)count * outWords);
            for (int k = 0; k < count; k++) Rule.Pack(sums.Slice(k * n, n), bits.Slice(k * outWords, outWords));
        }
        else
        {
            Span<float> real = output.RequireReal((long)count * n);
            for (int i = 0; i < count * n; i++) real[i] = Scale * sums[i];
        }
    }

    /// <inheritdoc />
    public override LayerRecord ToRecord()
    {
        LayerRecord record = NewRecord().With("input-bits", (long)InputBits).With("scale", (double)Scale)
            .With(TensorRecord.FromBits("weight", Weights));
        Rule?.AddTo(record);
        return record;
    }

    /// <summary>Reads the layer from its record.</summary>
    public static BitPlaneDenseLayer FromRecord(LayerRecord record)
    {
        if (!record.OutputShape.IsVector) throw record.Fault("output must be a flat vector");
        int m = record.InputShape.Size, n = record.OutputShape.Channels;
        int bits = (int)record.GetInteger("input-bits", 1, 8);
        ThresholdRule? rule = record.HasTensor("threshold") ? ThresholdRule.From(record, n) : null;
        return new BitPlaneDenseLayer(record.InputShape, record.GetBits("weight", n, m), bits, rule, (float)record.GetReal("scale")) { Source = record.GetText("source", "") }.WithCommon<BitPlaneDenseLayer>(record);
    }
}
