using System.Numerics;
using System.Runtime.CompilerServices;
using BoolNet.Core.Bits;

namespace BoolNet.Core.Convolution;

/// <summary>
/// A real signal z [rows, columns] as P-bit two's-complement integers Z with one scale
/// (z ~ Scale * Z, |Z| &lt;= 2^(P-1) - 1) packed into bit-planes, so sums of z times +-1 values run on
/// the AND-popcount kernel (ALGORITHMS.md sections 2-3, "bit-serial"):
/// <code>
///   Z = -2^(P-1) b_(P-1) + sum_(p &lt; P-1) 2^p b_p
///   sum_i Z_i e(v_i) = 2 sum_p weight_p popcount(b_p AND v) - sum_i Z_i
/// </code>
/// Same encoding and plane layout as the Boolean linear layer's quantiser (BoolNet.Layers
/// SignalQuantizer): row-major planes are [rows * P, columns] with row r*P + p holding bit p of
/// Z[r, :]; transposed planes are [columns * P, rows] with row c*P + p holding bit p of Z[:, c].
/// Layers quantise with that quantiser and hand the levels here; <see cref="Quantize"/> is a
/// round-to-nearest quantiser for standalone use and tests.
/// </summary>
public sealed class SignalPlanes
{
    /// <summary>Packs given levels.</summary>
    /// <param name="levels">Z [rows * columns], |Z| &lt;= 2^(P-1) - 1</param>
    /// <param name="scale">z ~ scale * Z</param>
    /// <param name="rows">rows</param>
    /// <param name="columns">columns</param>
    /// <param name="planes">P in 2..15</param>
    /// <param name="transposed">pack [columns * P, rows] (contraction over rows) instead of [rows * P, columns]</param>
    public SignalPlanes(ReadOnlySpan<sbyte> levels, float scale, int rows, int columns, int planes, bool transposed)
        : this(ToInts(levels), scale, rows, columns, planes, transposed)
    {
    }

    /// <summary>Packs given levels.</summary>
    public SignalPlanes(int[] levels, float scale, int rows, int columns, int planes, bool transposed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(planes, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(planes, 15);
        if (levels.Length < rows * columns) throw new ArgumentException($"levels hold {levels.Length} values, needs {rows}x{columns}");
        int top = (1 << (planes - 1)) - 1;
        Rows = rows;
        Columns = columns;
        PlaneCount = planes;
        Transposed = transposed;
        Scale = scale;
        Levels = levels;
        PlaneWeights = new long[planes];
        for (int p = 0; p < planes; p++) PlaneWeights[p] = p == planes - 1 ? -(1L << p) : 1L << p;
        int planeRows = transposed ? columns : rows, planeColumns = transposed ? rows : columns;
        for (int i = 0; i < rows * columns; i++)
            if (levels[i] > top || levels[i] < -top)
                throw new ArgumentOutOfRangeException(nameof(levels), levels[i], $"level outside +-{top} for {planes} planes");
        Planes = new BitMatrix(planeRows * planes, planeColumns);
        if (transposed) PackTransposed(levels, rows, columns, planes, Planes);
        else PackRows(levels, rows, columns, planes, Planes);
    }

    /// <summary>Row r*P + p = bit p of Z[r, :]; each output word gathers 64 consecutive columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRows(int[] levels, int rows, int columns, int planes, BitMatrix target)
    {
        int wordsPerRow = target.WordsPerRow, mask = (1 << planes) - 1;
        ulong[] words = target.Words;
        Span<ulong> accumulated = stackalloc ulong[planes];
        for (int r = 0; r < rows; r++)
            for (int w = 0; w < wordsPerRow; w++)
            {
                accumulated.Clear();
                int start = w << 6, end = Math.Min(columns, start + 64);
                for (int c = start; c < end; c++)
                {
                    int pattern = levels[r * columns + c] & mask;
                    ulong bit = 1UL << (c - start);
                    while (pattern != 0)
                    {
                        accumulated[BitOperations.TrailingZeroCount(pattern)] |= bit;
                        pattern &= pattern - 1;
                    }
                }
                for (int p = 0; p < planes; p++) words[(r * planes + p) * wordsPerRow + w] = accumulated[p];
            }
    }

    /// <summary>Row c*P + p = bit p of Z[:, c]; each output word gathers 64 consecutive rows (an L1-sized block of Z).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTransposed(int[] levels, int rows, int columns, int planes, BitMatrix target)
    {
        int wordsPerRow = target.WordsPerRow, mask = (1 << planes) - 1;
        ulong[] words = target.Words;
        Span<ulong> accumulated = stackalloc ulong[planes];
        for (int w = 0; w < wordsPerRow; w++)
        {
            int start = w << 6, end = Math.Min(rows, start + 64);
            for (int c = 0; c < columns; c++)
            {
                accumulated.Clear();
                for (int r = start; r < end; r++)
                {
                    int pattern = levels[r * columns + c] & mask;
                    ulong bit = 1UL << (r - start);
                    while (pattern != 0)
                    {
                        accumulated[BitOperations.TrailingZeroCount(pattern)] |= bit;
                        pattern &= pattern - 1;
                    }
                }
                for (int p = 0; p < planes; p++) words[(c * planes + p) * wordsPerRow + w] = accumulated[p];
            }
        }
    }

    /// <summary>
    /// Round-to-nearest quantisation: Z = round(z / scale) clamped to +-(2^(P-1) - 1), scale
    /// = max|z| / (2^(P-1) - 1) unless given.
    /// </summary>
    public static SignalPlanes Quantize(ReadOnlySpan<float> signal, int rows, int columns, int planes, bool transposed, float? scale = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(planes, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(planes, 15);
        if (signal.Length < rows * columns) throw new ArgumentException($"signal holds {signal.Length} values, needs {rows}x{columns}");
        int top = (1 << (planes - 1)) - 1;
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
            step = max > 0f ? max / top : 1f;
        }
        var levels = new int[rows * columns];
        for (int i = 0; i < levels.Length; i++)
            levels[i] = Math.Clamp((int)MathF.Round(signal[i] / step, MidpointRounding.AwayFromZero), -top, top);
        return new SignalPlanes(levels, step, rows, columns, planes, transposed);
    }

    /// <summary>Plane count P.</summary>
    public int PlaneCount { get; }

    /// <summary>Rows of the signal.</summary>
    public int Rows { get; }

    /// <summary>Columns of the signal.</summary>
    public int Columns { get; }

    /// <summary>Whether planes are packed [columns * P, rows].</summary>
    public bool Transposed { get; }

    /// <summary>z ~ Scale * Z.</summary>
    public float Scale { get; }

    /// <summary>Z [rows * columns].</summary>
    public int[] Levels { get; }

    /// <summary>Weight of plane p: 2^p, and -2^(P-1) for the sign plane.</summary>
    public long[] PlaneWeights { get; }

    /// <summary>The packed planes (layout in the type's remarks).</summary>
    public BitMatrix Planes { get; }

    private static int[] ToInts(ReadOnlySpan<sbyte> levels)
    {
        var result = new int[levels.Length];
        for (int i = 0; i < levels.Length; i++) result[i] = levels[i];
        return result;
    }
}
