using System.Numerics;
using System.Runtime.CompilerServices;

namespace BoolNet.Core.Bits;

/// <summary>
/// A row-major matrix of bits packed 64 to a <see cref="ulong"/>.
/// Bit <c>c</c> of row <c>r</c> is bit <c>c % 64</c> of word <c>r * WordsPerRow + c / 64</c>
/// (little-endian within the word, docs/ALGORITHMS.md section 1). A set bit is TRUE and stands for +1,
/// a clear bit is FALSE and stands for -1.
/// </summary>
/// <remarks>
/// Invariant: the bits of the last word of a row past <see cref="Columns"/> (the tail) are always zero.
/// Every kernel relies on it: two zero tails XOR to zero and AND to zero, so a popcount over whole
/// words counts only real positions. Every mutator in this type keeps the invariant; code that writes
/// <see cref="Words"/> directly must call <see cref="ClearTails"/> or write zeros there itself.
/// </remarks>
public sealed class BitMatrix
{
    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of logical bit columns per row.</summary>
    public int Columns { get; }

    /// <summary>Number of <see cref="ulong"/> words per row: ceil(Columns / 64).</summary>
    public int WordsPerRow { get; }

    /// <summary>The packed words, <see cref="Rows"/> x <see cref="WordsPerRow"/>, row-major.</summary>
    public ulong[] Words { get; }

    /// <summary>Creates an all-FALSE matrix.</summary>
    public BitMatrix(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Rows = rows;
        Columns = columns;
        WordsPerRow = WordsFor(columns);
        Words = new ulong[checked((long)rows * WordsPerRow)];
    }

    /// <summary>Wraps existing words (length must be rows * ceil(columns/64)); tails are cleared.</summary>
    public BitMatrix(int rows, int columns, ulong[] words)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Rows = rows;
        Columns = columns;
        WordsPerRow = WordsFor(columns);
        if (words.LongLength != (long)rows * WordsPerRow)
            throw new ArgumentException($"expected {(long)rows * WordsPerRow} words for {rows}x{columns} bits, got {words.LongLength}", nameof(words));
        Words = words;
        ClearTails();
    }

    /// <summary>ceil(bits / 64).</summary>
    public static int WordsFor(int bits) => (int)(((long)bits + 63) >> 6);

    /// <summary>Mask of the valid bits in the last word of a row (all ones when Columns % 64 == 0).</summary>
    public ulong TailMask => TailMaskFor(Columns);

    /// <summary>Mask of the valid bits in the last word of a <paramref name="bits"/>-long row.</summary>
    public static ulong TailMaskFor(int bits) => (bits & 63) == 0 ? ulong.MaxValue : (1UL << (bits & 63)) - 1;

    /// <summary>The words of one row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<ulong> Row(int row) => Words.AsSpan(row * WordsPerRow, WordsPerRow);

    /// <summary>Words of rows [start, start + count).</summary>
    public Span<ulong> RowRange(int start, int count) => Words.AsSpan(start * WordsPerRow, count * WordsPerRow);

    /// <summary>Reads one bit.</summary>
    public bool this[int row, int column]
    {
        get
        {
            CheckIndex(row, column);
            return ((Words[row * WordsPerRow + (column >> 6)] >> (column & 63)) & 1UL) != 0;
        }
        set
        {
            CheckIndex(row, column);
            ref ulong word = ref Words[row * WordsPerRow + (column >> 6)];
            ulong bit = 1UL << (column & 63);
            word = value ? word | bit : word & ~bit;
        }
    }

    /// <summary>The +-1 value of one bit: e(b) = 2b - 1.</summary>
    public int Sign(int row, int column) => this[row, column] ? 1 : -1;

    /// <summary>Flips one bit.</summary>
    public void Flip(int row, int column)
    {
        CheckIndex(row, column);
        Words[row * WordsPerRow + (column >> 6)] ^= 1UL << (column & 63);
    }

    /// <summary>Number of TRUE bits in one row.</summary>
    public int PopCount(int row)
    {
        int count = 0;
        foreach (ulong word in Row(row)) count += BitOperations.PopCount(word);
        return count;
    }

    /// <summary>Zeros the bits past <see cref="Columns"/> in every row (restores the invariant).</summary>
    public void ClearTails()
    {
        if ((Columns & 63) == 0 || WordsPerRow == 0) return;
        ulong mask = TailMask;
        for (int r = 0; r < Rows; r++) Words[r * WordsPerRow + WordsPerRow - 1] &= mask;
    }

    /// <summary>A deep copy.</summary>
    public BitMatrix Clone() => new(Rows, Columns, (ulong[])Words.Clone());

    /// <summary>Fills with independent fair random bits from <paramref name="random"/> (tails stay zero).</summary>
    public void Randomize(Random random)
    {
        for (int i = 0; i < Words.Length; i++) Words[i] = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
        ClearTails();
    }

    /// <summary>True when both matrices have the same shape and the same bits.</summary>
    public bool ContentEquals(BitMatrix other) =>
        Rows == other.Rows && Columns == other.Columns && Words.AsSpan().SequenceEqual(other.Words);

    private void CheckIndex(int row, int column)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), row, $"row outside 0..{Rows - 1}");
        if ((uint)column >= (uint)Columns) throw new ArgumentOutOfRangeException(nameof(column), column, $"column outside 0..{Columns - 1}");
    }

    /// <inheritdoc />
    public override string ToString() => $"BitMatrix {Rows}x{Columns} ({WordsPerRow} words/row)";
}
