using BoolNet.Core.Bits;

namespace BoolNet.Core.Convolution;

/// <summary>
/// A real signal z [rows, columns] quantised to integers L = round(z / Scale), |L| &lt;= 2^Bits - 1,
/// and held as sign-magnitude bit-planes so sums of z times +-1 values run on the AND-popcount
/// kernel (ALGORITHMS.md section 2, "bit-serial"): for bits v,
/// <c>sum_i L_i e(v_i) = 2 sum_b 2^b (popcount(P_b AND v) - popcount(N_b AND v)) - sum_i L_i</c>,
/// where P_b (N_b) holds bit b of |L| where L &gt; 0 (L &lt; 0).
/// Rounding is to nearest (deterministic); Scale defaults to max|z| / (2^Bits - 1).
/// </summary>
public sealed class SignalPlanes
{
    /// <summary>Quantises <paramref name="signal"/> [rows, columns].</summary>
    /// <param name="signal">[rows * columns] row-major</param>
    /// <param name="rows">rows</param>
    /// <param name="columns">columns</param>
    /// <param name="bits">magnitude bits (1..15)</param>
    /// <param name="transposed">pack planes as [columns, rows] (contraction over rows) instead of [rows, columns]</param>
    /// <param name="scale">quantisation step, or null for max|z| / (2^bits - 1)</param>
    public SignalPlanes(ReadOnlySpan<float> signal, int rows, int columns, int bits, bool transposed, float? scale = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bits, 15);
        if (signal.Length < rows * columns) throw new ArgumentException($"signal holds {signal.Length} values, needs {rows}x{columns}");
        Bits = bits;
        Rows = rows;
        Columns = columns;
        Transposed = transposed;
        int maxLevel = (1 << bits) - 1;
        float step;
        if (scale is float given)
        {
            if (!(given > 0f) || !float.IsFinite(given)) throw new ArgumentOutOfRangeException(nameof(scale), given, "scale must be positive and finite");
            step = given;
        }
        else
        {
            float max = 0f;
            for (int i = 0; i < rows * columns; i++) max = Math.Max(max, Math.Abs(signal[i]));
            if (!float.IsFinite(max)) throw new ArgumentException("signal contains a non-finite value");
            step = max > 0f ? max / maxLevel : 1f;
        }
        Scale = step;
        Levels = new int[rows * columns];
        int planeRows = transposed ? columns : rows, planeColumns = transposed ? rows : columns;
        Planes = new BitMatrix(2 * bits * planeRows, planeColumns);
        ulong[] words = Planes.Words;
        int wordsPerRow = Planes.WordsPerRow;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                int level = (int)MathF.Round(signal[r * columns + c] / step, MidpointRounding.ToEven);
                level = Math.Clamp(level, -maxLevel, maxLevel);
                Levels[r * columns + c] = level;
                if (level == 0) continue;
                int magnitude = Math.Abs(level), planeOffset = level > 0 ? 0 : bits;
                int planeRow = transposed ? c : r, planeColumn = transposed ? r : c;
                ulong bit = 1UL << (planeColumn & 63);
                for (int b = 0; b < bits; b++)
                    if (((magnitude >> b) & 1) != 0)
                        words[((planeOffset + b) * planeRows + planeRow) * wordsPerRow + (planeColumn >> 6)] |= bit;
            }
    }

    /// <summary>Magnitude bits B.</summary>
    public int Bits { get; }

    /// <summary>Rows of the signal.</summary>
    public int Rows { get; }

    /// <summary>Columns of the signal.</summary>
    public int Columns { get; }

    /// <summary>Whether planes are packed [columns, rows].</summary>
    public bool Transposed { get; }

    /// <summary>z ~ Scale * L.</summary>
    public float Scale { get; }

    /// <summary>Integer levels L [rows * columns].</summary>
    public int[] Levels { get; }

    /// <summary>
    /// 2B stacked planes: plane p in 0..B-1 is P_p (positive levels, bit p), B..2B-1 is N_(p-B);
    /// each plane is [rows, columns] (or [columns, rows] when transposed), plane p at rows
    /// p * planeRows ...
    /// </summary>
    public BitMatrix Planes { get; }

    /// <summary>Rows of one plane.</summary>
    public int PlaneRows => Transposed ? Columns : Rows;
}
