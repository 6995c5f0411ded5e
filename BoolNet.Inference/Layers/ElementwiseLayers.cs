using BoolNet.Core.Bits;
using BoolNet.Core.Operators;
using BoolNet.Inference.Serialization;

using BoolNet.Layers;

namespace BoolNet.Inference;

/// <summary>
/// Batch norm with running statistics, unfolded (used when no threshold follows, e.g. on logits):
/// <code>  y = gamma * ((x - mean) * (1 / sqrt(var + eps))) + beta   per channel </code>
/// in the training layer's float operations and order (<see cref="BatchNormalization.Normalize(ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>).
/// </summary>
public sealed class BatchNormLayer : InferenceLayer
{
    private readonly float[] _inverseStd;
    private readonly float[] _gamma, _beta; // gamma and beta, or 1 and 0 (1 * h + 0 turns -0 into +0, as the training layer does)

    /// <summary>Creates the layer.</summary>
    public BatchNormLayer(TensorShape shape, float[] mean, float[] variance, float epsilon, float[]? scale, float[]? shift) : base(shape, shape)
    {
        int c = shape.Channels;
        if (mean.Length != c || variance.Length != c || (scale is null) != (shift is null) || (scale is not null && (scale.Length != c || shift!.Length != c)))
            throw new ArgumentException($"batch-norm tensors must all have {c} values");
        Mean = mean;
        Variance = variance;
        Epsilon = epsilon;
        Scale = scale;
        Shift = shift;
        _inverseStd = new float[c];
        for (int i = 0; i < c; i++) _inverseStd[i] = 1f / MathF.Sqrt(variance[i] + epsilon);
        _gamma = scale ?? Enumerable.Repeat(1f, c).ToArray();
        _beta = shift ?? new float[c];
    }

    /// <summary>The file kind.</summary>
    public const string KindName = "batch-norm";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>Running mean.</summary>
    public float[] Mean { get; }

    /// <summary>Running variance.</summary>
    public float[] Variance { get; }

    /// <summary>eps.</summary>
    public float Epsilon { get; }

    /// <summary>gamma or null.</summary>
    public float[]? Scale { get; }

    /// <summary>beta or null.</summary>
    public float[]? Shift { get; }

    /// <inheritdoc />
    public override bool Accepts(ValueKind kind) => kind == ValueKind.Real;

    /// <inheritdoc />
    public override ValueKind Output => ValueKind.Real;

    /// <inheritdoc />
    public override LayerCost Cost => MakeCost(0, 0, Mean.Length * (Scale is null ? 2 : 4), 0, 0, OutputShape.Size);

    /// <inheritdoc />
    public override void Forward(Activations input, ValueKind inputKind, Activations output, int count, Scratch scratch)
    {
        int channels = OutputShape.Channels, rows = count * OutputShape.Positions;
        BatchNormalization.Normalize(input.Real, rows, channels, Mean, _inverseStd, _gamma, _beta, output.RequireReal((long)rows * channels));
    }

    /// <inheritdoc />
    public override LayerRecord ToRecord()
    {
        int c = OutputShape.Channels;
        LayerRecord record = NewRecord().With("epsilon", (double)Epsilon)
            .With(new TensorRecord("mean", TensorType.Float32, [c], Mean))
            .With(new TensorRecord("variance", TensorType.Float32, [c], Variance));
        if (Scale is not null)
        {
            record.With(new TensorRecord("scale", TensorType.Float32, [c], Scale));
            record.With(new TensorRecord("shift", TensorType.Float32, [c], Shift!));
        }
        return record;
    }

    /// <summary>Reads the layer from its record.</summary>
    public static BatchNormLayer FromRecord(LayerRecord record)
    {
        if (record.InputShape != record.OutputShape) throw record.Fault("input and output shapes differ");
        int c = record.OutputShape.Channels;
        bool affine = record.HasTensor("scale");
        return new BatchNormLayer(record.OutputShape, record.GetFloats("mean", c), record.GetFloats("variance", c), (float)record.GetReal("epsilon"),
            affine ? record.GetFloats("scale", c) : null, affine ? record.GetFloats("shift", c) : null) { Source = record.GetText("source", "") }.WithCommon<BatchNormLayer>(record);
    }
}

/// <summary>Threshold activation, unfolded: y = [a &gt;= tau], reals -> bits [count * H * W, C].</summary>
public sealed class ThresholdLayer : InferenceLayer
{
    /// <summary>Creates the layer.</summary>
    public ThresholdLayer(TensorShape shape, float threshold) : base(shape, shape) => Threshold = threshold;

    /// <summary>The file kind.</summary>
    public const string KindName = "threshold";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>tau.</summary>
    public float Threshold { get; }

    /// <inheritdoc />
    public override bool Accepts(ValueKind kind) => kind == ValueKind.Real;

    /// <inheritdoc />
    public override ValueKind Output => ValueKind.Bits;

    /// <inheritdoc />
    public override LayerCost Cost => MakeCost(0, 0, 1, 0, 0, 0);

    /// <inheritdoc />
    public override void Forward(Activations input, ValueKind inputKind, Activations output, int count, Scratch scratch)
    {
        int rows = count * OutputShape.Positions, channels = OutputShape.Channels, words = BitMatrix.WordsFor(channels);
        Span<ulong> y = output.RequireWords((long)rows * words);
        for (int r = 0; r < rows; r++)
            BitPacking.PackThreshold(input.Real.AsSpan(r * channels, channels), Threshold, y.Slice(r * words, words));
    }

    /// <inheritdoc />
    public override LayerRecord ToRecord() => NewRecord().With("threshold", (double)Threshold);

    /// <summary>Reads the layer from its record.</summary>
    public static ThresholdLayer FromRecord(LayerRecord record)
    {
        if (record.InputShape != record.OutputShape) throw record.Fault("input and output shapes differ");
        return new ThresholdLayer(record.OutputShape, (float)record.GetReal("threshold")) { Source = record.GetText("source", "") }.WithCommon<ThresholdLayer>(record);
    }
}
