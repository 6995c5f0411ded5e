using BoolNet.Core.Bits;

namespace BoolNet.Layers;

/// <summary>
/// Input binarisation by thermometer coding: each raw intensity v (0..255) becomes T bits,
/// bit t = [v &gt;= 256 (t + 1) / (T + 1)], so the count of TRUE bits grows with v.
/// <code>  x: [N, H*W*C] real -> y: [N, H*W*C*T] bits, bit (i*T + t)  (flattened) </code>
/// With <c>flatten: false</c> the output keeps the map: [N*H*W, C*T] bits, channel c*T + t.
/// No parameters; it is a first layer (it passes no gradient down).
/// </summary>
public sealed class ThermometerEncoding : ILayer
{
    private readonly float[] _thresholds;

    /// <summary>Creates the encoder with <paramref name="levels"/> bits per value.</summary>
    public ThermometerEncoding(TensorShape input, int levels, bool flatten = true)
    {
        if (levels is < 1 or > 255) throw new ArgumentOutOfRangeException(nameof(levels), levels, "thermometer levels must be 1..255");
        InputShape = input;
        Levels = levels;
        OutputShape = flatten ? TensorShape.Vector(input.Size * levels) : new TensorShape(input.Height, input.Width, input.Channels * levels);
        _thresholds = Enumerable.Range(0, levels).Select(t => 256f * (t + 1) / (levels + 1)).ToArray();
    }

    /// <inheritdoc />
    public string Kind => "thermometer";

    /// <inheritdoc />
    public TensorShape InputShape { get; }

    /// <inheritdoc />
    public TensorShape OutputShape { get; }

    /// <inheritdoc />
    public bool OutputIsBits => true;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; } = [];

    /// <summary>T, bits per input value.</summary>
    public int Levels { get; }

    /// <summary>The thresholds 256 (t + 1) / (T + 1).</summary>
    public IReadOnlyList<float> Thresholds => _thresholds;

    /// <summary>Forward: see the class formula (the flat and the map layout enumerate the same bits).</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        float[] x = input.RequireReal(Kind);
        int count = input.Count, rows = count * OutputShape.Positions, columns = OutputShape.Channels;
        int valuesPerRow = columns / Levels;
        var bits = new BitMatrix(rows, columns);
        for (int r = 0; r < rows; r++)
        {
            Span<ulong> row = bits.Row(r);
            for (int i = 0; i < valuesPerRow; i++)
            {
                float v = x[r * valuesPerRow + i];
                int bit = i * Levels;
                for (int t = 0; t < Levels && v >= _thresholds[t]; t++, bit++) row[bit >> 6] |= 1UL << (bit & 63);
            }
        }
        return Batch.FromBits(bits, count, OutputShape);
    }

    /// <summary>Backward: the encoder is a first layer; nothing is learned and no gradient passes.</summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        if (context.NeedInputGradient) throw new InvalidOperationException($"{Kind} must be the first layer: it passes no gradient to its input");
        return null;
    }
}
