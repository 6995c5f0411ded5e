using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Bits;

/// <summary>
/// Packing of numbers into bits and back. A value becomes TRUE (+1) when it is at or above the
/// threshold (sign packing uses threshold 0, so +0 and -0 both map to TRUE, matching the
/// activation rule y = 1 if a &gt;= tau). Unpacking gives e(b) = 2b - 1.
/// </summary>
public static class BitPacking
{
    /// <summary>Packs x &gt;= 0 into <paramref name="words"/> (length ceil(n/64)); tail bits are written zero.</summary>
    public static void PackSigns(ReadOnlySpan<float> values, Span<ulong> words) => PackThreshold(values, 0f, words);

    /// <summary>Packs x &gt;= threshold into <paramref name="words"/>; tail bits are written zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackThreshold(ReadOnlySpan<float> values, float threshold, Span<ulong> words)
    {
        int n = values.Length;
        CheckWords(n, words.Length);
        for (int w = 0; w < words.Length; w++)
        {
            int start = w << 6, end = Math.Min(start + 64, n);
            ulong word = 0;
            for (int i = start; i < end; i++)
                if (values[i] >= threshold) word |= 1UL << (i - start);
            words[w] = word;
        }
    }

    /// <summary>Packs x &gt;= 0 for signed bytes.</summary>
    public static void PackSigns(ReadOnlySpan<sbyte> values, Span<ulong> words)
    {
        int n = values.Length;
        CheckWords(n, words.Length);
        for (int w = 0; w < words.Length; w++)
        {
            int start = w << 6, end = Math.Min(start + 64, n);
            ulong word = 0;
            for (int i = start; i < end; i++)
                if (values[i] >= 0) word |= 1UL << (i - start);
            words[w] = word;
        }
    }

    /// <summary>Packs booleans (true is TRUE).</summary>
    public static void PackBools(ReadOnlySpan<bool> values, Span<ulong> words)
    {
        int n = values.Length;
        CheckWords(n, words.Length);
        for (int w = 0; w < words.Length; w++)
        {
            int start = w << 6, end = Math.Min(start + 64, n);
            ulong word = 0;
            for (int i = start; i < end; i++)
                if (values[i]) word |= 1UL << (i - start);
            words[w] = word;
        }
    }

    /// <summary>Unpacks <paramref name="destination"/>.Length bits to +-1 floats, e(b) = 2b - 1.</summary>
    /// <param name="words">ceil(n / 64) packed words</param>
    /// <param name="destination">n floats</param>
    /// <param name="isa">null for <see cref="IsaSelection.Current"/>: scalar runs the per-bit reference loop, AVX2 and AVX-512 the 8-lane one, NEON two 4-lane halves</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void UnpackSigns(ReadOnlySpan<ulong> words, Span<float> destination, Isa? isa = null)
    {
        CheckWords(destination.Length, words.Length);
        int i = 0;
        Isa path = IsaSelection.Require(isa ?? IsaSelection.Current);
        if (path == Isa.Neon)
        {
            NeonBitPacking.UnpackSigns(words, destination, destination.Length / 8);
            i = destination.Length / 8 * 8;
        }
        else if (path != Isa.Scalar)
        {
            // Eight bits per step: broadcast the byte, isolate bit t in lane t (AND with 1 << t), and
            // turn "bit set" into +1 / -1 with one compare and a select; no per-bit branch or shift chain.
            var lanesBits = Vector256.Create(1, 2, 4, 8, 16, 32, 64, 128);
            var plus = Vector256.Create(1f);
            var minus = Vector256.Create(-1f);
            for (; i + 8 <= destination.Length; i += 8)
            {
                int bits = (int)(words[i >> 6] >> (i & 63)) & 0xFF;
                Vector256<int> set = Vector256.Equals(Vector256.Create(bits) & lanesBits, lanesBits);
                Vector256.ConditionalSelect(set.AsSingle(), plus, minus).CopyTo(destination.Slice(i, 8));
            }
        }
        for (; i < destination.Length; i++)
            destination[i] = ((words[i >> 6] >> (i & 63)) & 1UL) != 0 ? 1f : -1f;
    }

    /// <summary>Unpacks <paramref name="destination"/>.Length bits to +-1 bytes.</summary>
    public static void UnpackSigns(ReadOnlySpan<ulong> words, Span<sbyte> destination)
    {
        CheckWords(destination.Length, words.Length);
        for (int i = 0; i < destination.Length; i++)
            destination[i] = ((words[i >> 6] >> (i & 63)) & 1UL) != 0 ? (sbyte)1 : (sbyte)-1;
    }

    /// <summary>Unpacks <paramref name="destination"/>.Length bits to booleans.</summary>
    public static void UnpackBools(ReadOnlySpan<ulong> words, Span<bool> destination)
    {
        CheckWords(destination.Length, words.Length);
        for (int i = 0; i < destination.Length; i++)
            destination[i] = ((words[i >> 6] >> (i & 63)) & 1UL) != 0;
    }

    /// <summary>Packs a row-major [rows, columns] float matrix by sign (x &gt;= 0 is TRUE).</summary>
    public static BitMatrix PackSigns(ReadOnlySpan<float> values, int rows, int columns)
    {
        CheckShape(values.Length, rows, columns);
        var matrix = new BitMatrix(rows, columns);
        for (int r = 0; r < rows; r++) PackSigns(values.Slice(r * columns, columns), matrix.Row(r));
        return matrix;
    }

    /// <summary>Packs a row-major [rows, columns] signed-byte matrix by sign.</summary>
    public static BitMatrix PackSigns(ReadOnlySpan<sbyte> values, int rows, int columns)
    {
        CheckShape(values.Length, rows, columns);
        var matrix = new BitMatrix(rows, columns);
        for (int r = 0; r < rows; r++) PackSigns(values.Slice(r * columns, columns), matrix.Row(r));
        return matrix;
    }

    /// <summary>Packs a row-major [rows, columns] boolean matrix.</summary>
    public static BitMatrix PackBools(ReadOnlySpan<bool> values, int rows, int columns)
    {
        CheckShape(values.Length, rows, columns);
        var matrix = new BitMatrix(rows, columns);
        for (int r = 0; r < rows; r++) PackBools(values.Slice(r * columns, columns), matrix.Row(r));
        return matrix;
    }

    /// <summary>Bytes 0/1 of the 8 bits of each byte value, little-endian in a ulong (bit t -> byte t).</summary>
    private static readonly ulong[] ByteSpread = Enumerable.Range(0, 256)
        .Select(v => Enumerable.Range(0, 8).Aggregate(0UL, (word, t) => word | ((ulong)((v >> t) & 1) << (8 * t)))).ToArray();

    /// <summary>Unpacks a whole matrix to row-major bytes 0/1 (one table lookup per 8 bits), rows over <paramref name="threads"/> threads (0: every processor).</summary>
    public static byte[] UnpackBytes(BitMatrix matrix, int threads)
    {
        int columns = matrix.Columns;
        var result = GC.AllocateUninitializedArray<byte>(matrix.Rows * columns); // every byte is written below
        Threading.For(matrix.Rows, threads, (start, end) => UnpackByteRows(matrix, result, start, end), work: (long)matrix.Rows * columns);
        return result;
    }

    private static void UnpackByteRows(BitMatrix matrix, byte[] result, int start, int end)
    {
        int columns = matrix.Columns;
        for (int r = start; r < end; r++)
        {
            ReadOnlySpan<ulong> words = matrix.Row(r);
            Span<byte> target = result.AsSpan(r * columns, columns);
            int c = 0;
            for (; c + 8 <= columns; c += 8)
            {
                int bits = (int)((words[c >> 6] >> (c & 63)) & 0xFF);
                System.Runtime.InteropServices.MemoryMarshal.Write(target.Slice(c, 8), ByteSpread[bits]);
            }
            for (; c < columns; c++) target[c] = (byte)((words[c >> 6] >> (c & 63)) & 1UL);
        }
    }

    /// <summary>Unpacks a whole matrix to row-major +-1 floats.</summary>
    public static float[] UnpackSigns(BitMatrix matrix)
    {
        var result = new float[(long)matrix.Rows * matrix.Columns];
        UnpackSigns(matrix, result);
        return result;
    }

    /// <summary>Unpacks a whole matrix to row-major +-1 floats in <paramref name="result"/> (Rows * Columns of it).</summary>
    public static void UnpackSigns(BitMatrix matrix, Span<float> result)
    {
        if (result.Length < (long)matrix.Rows * matrix.Columns)
            throw new ArgumentException($"{result.Length} floats for a {matrix.Rows}x{matrix.Columns} matrix");
        for (int r = 0; r < matrix.Rows; r++)
            UnpackSigns(matrix.Row(r), result.Slice(r * matrix.Columns, matrix.Columns));
    }

    /// <summary>
    /// Packs the transpose of a row-major [rows, columns] float matrix by sign: the result is
    /// [columns, rows], bit (c, r) = values[r, c] &gt;= 0. The backward pass contracts over the
    /// batch and conv over positions; both need the other dimension contiguous in words.
    /// </summary>
    public static BitMatrix PackSignsTransposed(ReadOnlySpan<float> values, int rows, int columns)
    {
        CheckShape(values.Length, rows, columns);
        var result = new BitMatrix(columns, rows);
        int wordsPerRow = result.WordsPerRow;
        ulong[] words = result.Words;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = values.Slice(r * columns, columns);
            int word = r >> 6;
            ulong bit = 1UL << (r & 63);
            for (int c = 0; c < columns; c++)
                if (row[c] >= 0f) words[c * wordsPerRow + word] |= bit;
        }
        return result;
    }

    /// <summary>
    /// Transposes a bit matrix: result is [Columns, Rows] with bit (c, r) = source bit (r, c).
    /// Works in 64x64 blocks so each source word is read once. Threads take 64-column strips of the
    /// source, i.e. disjoint 64-row strips of the result (<paramref name="threads"/> 0: every processor).
    /// </summary>
    public static BitMatrix Transpose(BitMatrix source, int threads)
    {
        var result = new BitMatrix(source.Columns, source.Rows);
        Threading.For(source.WordsPerRow, threads, (start, end) => TransposeStrips(source, result, start, end),
            work: (long)source.Rows * source.WordsPerRow * 64);
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeStrips(BitMatrix source, BitMatrix result, int firstWord, int endWord)
    {
        Span<ulong> block = stackalloc ulong[64];
        for (int rowBlock = 0; rowBlock < source.Rows; rowBlock += 64)
        {
            int rowCount = Math.Min(64, source.Rows - rowBlock);
            for (int wordIndex = firstWord; wordIndex < endWord; wordIndex++)
            {
                block.Clear();
                for (int i = 0; i < rowCount; i++) block[i] = source.Words[(rowBlock + i) * source.WordsPerRow + wordIndex];
                Transpose64(block);
                int columnBase = wordIndex << 6;
                int columnCount = Math.Min(64, source.Columns - columnBase);
                int targetWord = rowBlock >> 6;
                for (int j = 0; j < columnCount; j++)
                    result.Words[(columnBase + j) * result.WordsPerRow + targetWord] = block[j];
            }
        }
    }

    /// <summary>
    /// In-place transpose of a 64x64 bit block (row i = block[i], column j = bit j), by the
    /// recursive block-swap method (Hacker's Delight 7-3): 6 rounds of masked swaps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose64(Span<ulong> block)
    {
        if (block.Length < 64) throw new ArgumentException("a 64x64 block needs 64 words", nameof(block));
        int width = 32;
        ulong mask = 0x00000000FFFFFFFFUL;
        while (width != 0)
        {
            for (int k = 0; k < 64; k = ((k | width) + 1) & ~width)
            {
                ulong t = ((block[k] >> width) ^ block[k | width]) & mask;
                block[k] ^= t << width;
                block[k | width] ^= t;
            }
            width >>= 1;
            mask ^= mask << width;
        }
    }

    private static void CheckWords(int bits, int words)
    {
        if (words != BitMatrix.WordsFor(bits))
            throw new ArgumentException($"{bits} bits need {BitMatrix.WordsFor(bits)} words, got {words}");
    }

    private static void CheckShape(int length, int rows, int columns)
    {
        if ((long)rows * columns != length)
            throw new ArgumentException($"{length} values do not form a {rows}x{columns} matrix");
    }
}
