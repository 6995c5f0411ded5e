using BoolNet.Core.Bits;

namespace BoolNet.Layers;

/// <summary>A trainable tensor of a layer, with the signal its optimizer consumes.</summary>
public abstract class Parameter
{
    /// <summary>Creates a named parameter.</summary>
    protected Parameter(string name) => Name = name;

    /// <summary>Name within its layer, e.g. "weight".</summary>
    public string Name { get; }

    /// <summary>Number of scalar parameters.</summary>
    public abstract int Count { get; }

    /// <summary>Bits per parameter as stored for inference (1, 32, ...).</summary>
    public abstract int BitsPerValue { get; }
}

/// <summary>
/// Boolean weights [Rows, Columns] as packed bits, with no float copy. <see cref="Signal"/> is the
/// optimisation signal q = dL/de(w) of docs/ALGORITHMS.md Eq. 4 for the last batch, [Rows * Columns]
/// row-major; the flip-with-reset optimizer consumes it.
/// </summary>
public sealed class BooleanParameter : Parameter
{
    /// <summary>Creates Boolean weights of the given shape, all FALSE.</summary>
    public BooleanParameter(string name, int rows, int columns) : base(name)
    {
        Weights = new BitMatrix(rows, columns);
        Signal = new float[(long)rows * columns];
    }

    /// <summary>The packed weights.</summary>
    public BitMatrix Weights { get; }

    /// <summary>q for the last batch, [Rows * Columns].</summary>
    public float[] Signal { get; }

    /// <summary>
    /// Factor on the optimizer's eta for this tensor (default 1). A layer whose signal q is on a
    /// different scale from the others (a bit-plane first layer on pixel levels in [0, 1], mostly
    /// zero background, against +-1 hidden inputs) otherwise flips at a very different rate under one eta.
    /// </summary>
    public float LearningRateScale { get; set; } = 1f;

    /// <inheritdoc />
    public override int Count => Weights.Rows * Weights.Columns;

    /// <inheritdoc />
    public override int BitsPerValue => 1;
}

/// <summary>Real (float32) parameters with their gradient for the last batch.</summary>
public sealed class RealParameter : Parameter
{
    /// <summary>Creates zero-initialised real parameters of <paramref name="count"/> values.</summary>
    public RealParameter(string name, int count) : base(name)
    {
        Value = new float[count];
        Gradient = new float[count];
    }

    /// <summary>The values.</summary>
    public float[] Value { get; }

    /// <summary>dL/d(value) for the last batch.</summary>
    public float[] Gradient { get; }

    /// <inheritdoc />
    public override int Count => Value.Length;

    /// <inheritdoc />
    public override int BitsPerValue => 32;
}

/// <summary>Integer (int32) parameters, used as numbers in the forward pass, with a real gradient.</summary>
public sealed class IntegerParameter : Parameter
{
    /// <summary>
    /// Creates zero-initialised integer parameters of <paramref name="count"/> values, laid out as
    /// <paramref name="dimensions"/> (e.g. [out, in] or [out, kh, kw, in]; their product must be the count;
    /// none given: one dimension). ZIM's per-tensor mode reads the rank (docs/ALGORITHMS.md section 5).
    /// </summary>
    public IntegerParameter(string name, int count, params int[] dimensions) : this(name, IntegerRange.Int32, count, dimensions)
    {
    }

    /// <summary>
    /// Creates zero-initialised integer parameters whose values must stay in <paramref name="range"/>
    /// (e.g. <see cref="IntegerRange.Int8"/> for weights stored as int8 at export); updates saturate there.
    /// </summary>
    public IntegerParameter(string name, IntegerRange range, int count, params int[] dimensions) : base(name)
    {
        if (range.Minimum > 0 || range.Maximum < 0) throw new ArgumentException($"integer range {range} of {name} must contain 0");
        Range = range;
        long product = 1;
        foreach (int dimension in dimensions) product *= dimension;
        if (dimensions.Length > 0 && product != count)
            throw new ArgumentException($"dimensions [{string.Join(", ", dimensions)}] do not hold {count} values of {name}");
        Value = new int[count];
        Gradient = new float[count];
        Dimensions = dimensions.Length > 0 ? (int[])dimensions.Clone() : [count];
    }

    /// <summary>The tensor's dimensions (their product is <see cref="Count"/>).</summary>
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>The values every update keeps them in (saturating).</summary>
    public IntegerRange Range { get; }

    /// <summary>The values.</summary>
    public int[] Value { get; }

    /// <summary>dL/d(value) for the last batch.</summary>
    public float[] Gradient { get; }

    /// <inheritdoc />
    public override int Count => Value.Length;

    /// <inheritdoc />
    public override int BitsPerValue => Range.Bits;
}
