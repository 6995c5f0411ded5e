namespace BoolNet.Core.Bits;

/// <summary>
/// A packed vector of bits: a one-row <see cref="BitMatrix"/> with a vector's vocabulary.
/// Same encoding and tail invariant (bits past <see cref="Length"/> are zero).
/// </summary>
public sealed class BitVector
{
    /// <summary>The single-row matrix holding the bits.</summary>
    public BitMatrix Matrix { get; }

    /// <summary>Creates an all-FALSE vector of <paramref name="length"/> bits.</summary>
    public BitVector(int length) => Matrix = new BitMatrix(1, length);

    /// <summary>Views row 0 of a one-row matrix as a vector.</summary>
    public BitVector(BitMatrix matrix)
    {
        if (matrix.Rows != 1) throw new ArgumentException($"a BitVector wraps a one-row matrix, got {matrix.Rows} rows", nameof(matrix));
        Matrix = matrix;
    }

    /// <summary>Number of logical bits.</summary>
    public int Length => Matrix.Columns;

    /// <summary>The packed words (tail bits zero).</summary>
    public ulong[] Words => Matrix.Words;

    /// <summary>Reads or writes bit <paramref name="index"/>.</summary>
    public bool this[int index]
    {
        get => Matrix[0, index];
        set => Matrix[0, index] = value;
    }

    /// <summary>Number of TRUE bits.</summary>
    public int PopCount() => Matrix.PopCount(0);

    /// <summary>Packs the signs of <paramref name="values"/> (x &gt;= 0 is TRUE).</summary>
    public static BitVector FromSigns(ReadOnlySpan<float> values)
    {
        var vector = new BitVector(values.Length);
        BitPacking.PackSigns(values, vector.Words);
        return vector;
    }

    /// <summary>Packs booleans.</summary>
    public static BitVector FromBools(ReadOnlySpan<bool> values)
    {
        var vector = new BitVector(values.Length);
        BitPacking.PackBools(values, vector.Words);
        return vector;
    }
}
