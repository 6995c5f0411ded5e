using BoolNet.Inference.Serialization;

using BoolNet.Layers;
using BoolNet.Core.Operators;

namespace BoolNet.Inference;

/// <summary>How a batch of activations is held between inference layers.</summary>
public enum ValueKind
{
    /// <summary>Raw 8-bit intensities (0..255), the model input: byte[count * H * W * C].</summary>
    Bytes,

    /// <summary>Packed bits [count * H * W, C], rows of ceil(C/64) words, zero tails.</summary>
    Bits,

    /// <summary>float[count * H * W * C], NHWC.</summary>
    Real,
}

/// <summary>
/// What one inference layer costs, per sample, for the summary. The stored values by tensor type
/// (int32 and float32 apart) come from the layer's record: <see cref="StoredValues"/>.
/// </summary>
/// <param name="ParametersByBits">stored values per bit width (1, 8, 32; int8 weights count under 8; width 32 holds int32 and float32 alike)</param>
/// <param name="BinaryMacs">1-bit x 1-bit multiply-accumulates (XNOR/XOR + popcount)</param>
/// <param name="MixedMacs">8-bit x 1-bit multiply-accumulates (bit-plane first layer)</param>
/// <param name="FloatMacs">float32 multiply-accumulates</param>
public sealed record LayerCost(IReadOnlyDictionary<int, long> ParametersByBits, long BinaryMacs, long MixedMacs, long FloatMacs)
{
    /// <summary>8-bit x 8-bit integer multiply-accumulates (int8 weights on bytes or bits, <see cref="Int8DenseLayer"/>).</summary>
    public long IntegerMacs { get; init; }

    /// <summary>Bytes the parameters take (bits rounded up per width).</summary>
    public long ParameterBytes => ParametersByBits.Sum(p => (p.Key * p.Value + 7) / 8);

    /// <summary>All stored values.</summary>
    public long ParameterCount => ParametersByBits.Values.Sum();

    /// <summary>
    /// The values a layer stores, by tensor type, counted from its model-file record (<see cref="InferenceLayer.ToRecord"/>):
    /// every tensor's elements, bits one by one (not their words), so any layer is counted right without
    /// knowing its kind. Scalar attributes (scales, epsilon) are hyper-parameters, not counted. Types the
    /// layer does not use are absent.
    /// </summary>
    public static IReadOnlyDictionary<TensorType, long> StoredValues(LayerRecord record)
    {
        var counts = new SortedDictionary<TensorType, long>();
        foreach (TensorRecord tensor in record.Tensors)
        {
            long count = 1;
            foreach (int dimension in tensor.Dimensions) count *= dimension;
            counts[tensor.Type] = counts.GetValueOrDefault(tensor.Type) + count;
        }
        return counts;
    }

    /// <summary>Bytes the tensors of <paramref name="record"/> take (bit rows padded to whole words, as stored and held).</summary>
    public static long StoredBytes(LayerRecord record) => record.Tensors.Sum(t => t.DataBytes);
}

/// <summary>
/// Buffers for one batch of activations. Only the field matching the producing layer's
/// <see cref="InferenceLayer.Output"/> is meaningful. Buffers grow on demand and are then reused,
/// so a steady stream of batches allocates nothing.
/// </summary>
public sealed class Activations
{
    /// <summary>Bytes (model input).</summary>
    public byte[] Bytes = [];

    /// <summary>Packed bit rows.</summary>
    public ulong[] Words = [];

    /// <summary>Reals.</summary>
    public float[] Real = [];

    /// <summary>Makes sure <see cref="Words"/> holds at least <paramref name="count"/> words.</summary>
    public Span<ulong> RequireWords(long count)
    {
        if (Words.Length < count) Words = new ulong[count];
        return Words.AsSpan(0, (int)count);
    }

    /// <summary>Makes sure <see cref="Real"/> holds at least <paramref name="count"/> floats.</summary>
    public Span<float> RequireReal(long count)
    {
        if (Real.Length < count) Real = new float[count];
        return Real.AsSpan(0, (int)count);
    }
}

/// <summary>Per-thread scratch memory shared by the layers of one model.</summary>
public sealed class Scratch
{
    private int[] _ints = [];
    private ulong[] _words = [];

    /// <summary>At least <paramref name="count"/> ints (contents undefined).</summary>
    public Span<int> Ints(long count)
    {
        if (_ints.Length < count) _ints = new int[count];
        return _ints.AsSpan(0, (int)count);
    }

    /// <summary>At least <paramref name="count"/> words (contents undefined).</summary>
    public Span<ulong> Words(long count)
    {
        if (_words.Length < count) _words = new ulong[count];
        return _words.AsSpan(0, (int)count);
    }
}

/// <summary>
/// A layer of the folded inference network: a forward pass only, over reusable buffers, with
/// the exact arithmetic of the training layer(s) it replaces (see <see cref="NetworkFolder"/>).
/// </summary>
public abstract class InferenceLayer
{
    /// <summary>Creates the layer.</summary>
    protected InferenceLayer(TensorShape input, TensorShape output)
    {
        InputShape = input;
        OutputShape = output;
    }

    /// <summary>Kind name used in the model file.</summary>
    public abstract string Kind { get; }

    /// <summary>Shape of one input sample.</summary>
    public TensorShape InputShape { get; }

    /// <summary>Shape of one output sample.</summary>
    public TensorShape OutputShape { get; }

    /// <summary>Representations this layer accepts (the model input is always <see cref="ValueKind.Bytes"/>).</summary>
    public abstract bool Accepts(ValueKind kind);

    /// <summary>Representation of the output.</summary>
    public abstract ValueKind Output { get; }

    /// <summary>Which training layers were folded into this one, for the summary ("boolean-linear + batch-norm + threshold").</summary>
    public string Source { get; init; } = "";

    /// <summary>Boolean (1-bit) training parameters of the training layers folded into this one.</summary>
    public long TrainingBooleanParameters { get; set; }

    /// <summary>Real (float32) training parameters of the training layers folded into this one (BN scale/shift included).</summary>
    public long TrainingRealParameters { get; set; }

    /// <summary>Integer (int32) training parameters of the training layers folded into this one.</summary>
    public long TrainingIntegerParameters { get; set; }

    /// <summary>Cost per sample.</summary>
    public abstract LayerCost Cost { get; }

    /// <summary>Runs <paramref name="count"/> samples from <paramref name="input"/> (of kind <paramref name="inputKind"/>) into <paramref name="output"/>.</summary>
    public abstract void Forward(Activations input, ValueKind inputKind, Activations output, int count, Scratch scratch);

    /// <summary>The layer as a model-file record.</summary>
    public abstract LayerRecord ToRecord();

    /// <summary>A new record with this layer's kind and shapes.</summary>
    protected LayerRecord NewRecord()
    {
        var record = new LayerRecord(Kind, InputShape, OutputShape);
        if (Source.Length > 0) record.With("source", Source);
        if (TrainingBooleanParameters > 0) record.With("training-boolean-parameters", TrainingBooleanParameters);
        if (TrainingRealParameters > 0) record.With("training-real-parameters", TrainingRealParameters);
        if (TrainingIntegerParameters > 0) record.With("training-integer-parameters", TrainingIntegerParameters);
        return record;
    }

    /// <summary>Largest training-parameter count a model file may state per layer: 2^48.</summary>
    public const long MaximumTrainingParameters = 1L << 48;

    /// <summary>Reads the common attributes written by <see cref="NewRecord"/>.</summary>
    internal T WithCommon<T>(LayerRecord record) where T : InferenceLayer
    {
        // Informational (summary's training memory); bounded so that no sum or product of them overflows.
        TrainingBooleanParameters = record.GetInteger("training-boolean-parameters", 0, 0, MaximumTrainingParameters);
        TrainingRealParameters = record.GetInteger("training-real-parameters", 0, 0, MaximumTrainingParameters);
        TrainingIntegerParameters = record.GetInteger("training-integer-parameters", 0, 0, MaximumTrainingParameters);
        return (T)this;
    }

    /// <summary>
    /// C[m, n] = popcount(op(A[i], B[j])) by the binary GEMM on this thread (the model spreads samples over
    /// threads itself); one thread allocates nothing, which the batch-1 path relies on.
    /// </summary>
    protected static void CountRows(CountOperation operation, ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, int m, int n, int words, Span<int> counts) =>
        BinaryGemm.Count(operation, a, b, m, n, words, counts, threads: 1);

    /// <summary>Words per bit row of a shape (ceil(C / 64)).</summary>
    protected static int WordsPerRow(TensorShape shape) => Core.Bits.BitMatrix.WordsFor(shape.Channels);

    /// <summary>Cost record helper.</summary>
    protected static LayerCost MakeCost(long oneBit, long eightBit, long thirtyTwoBit, long binary, long mixed, long floating)
    {
        var parameters = new Dictionary<int, long>();
        if (oneBit > 0) parameters[1] = oneBit;
        if (eightBit > 0) parameters[8] = eightBit;
        if (thirtyTwoBit > 0) parameters[32] = thirtyTwoBit;
        return new LayerCost(parameters, binary, mixed, floating);
    }
}
