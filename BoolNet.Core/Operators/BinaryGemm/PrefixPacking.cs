using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BoolNet.Core.Operators;

/// <summary>
/// Prefix-XOR packing for the XOR count (docs/ALGORITHMS.md section 2). The running "ones" counter of a
/// Harley-Seal tree over the inputs d_t = a_t XOR b_t is the XOR of every input so far, which is
/// prefix(a)_t XOR prefix(b)_t with prefix(x)_t = x_0 ^ ... ^ x_t: so with both operands stored as
/// prefix XORs the first adder level costs nothing (<see cref="Avx2PrefixKernel"/>). Layout: groups of
/// G = 4 (ymm) or 8 (zmm) rows interleaved by words, packed[g][t][r] = prefix(row G g + r)_t for t &lt; padded
/// words, the prefix held constant past the row's last word (zero inputs add nothing) and rows past the
/// last row zero. One vector load gives word t of the group's rows; a broadcast qword gives one row's.
/// </summary>
internal static unsafe class PrefixPacking
{
    /// <summary>Rows per interleaved group of A's packing (the qword lanes of a ymm), and of B's on AVX2.</summary>
    public const int GroupRows = 4;

    /// <summary>Words per row after padding to whole trees of <paramref name="treeWords"/>.</summary>
    public static int PaddedWords(int words, int treeWords) => (words + treeWords - 1) / treeWords * treeWords;

    /// <summary>ulongs of the packing of <paramref name="rows"/> rows in groups of <paramref name="groupRows"/>.</summary>
    public static long Length(int rows, int paddedWords, int groupRows = GroupRows) =>
        (long)(rows + groupRows - 1) / groupRows * groupRows * paddedWords;

    /// <summary>
    /// Packs rows [rowStart, rowEnd) of <paramref name="source"/> ([*, words], zero tails) into
    /// <paramref name="target"/>: group g of the packing holds rows rowStart + G g .. rowStart + G g + G - 1
    /// (G = <paramref name="groupRows"/>, 4 or 8; a group of 8 is two 4-row halves side by side).
    /// </summary>
    public static void Pack(ulong* source, int rowStart, int rowEnd, int words, int paddedWords, ulong* target, int groupRows = GroupRows)
    {
        if (groupRows is not (4 or 8)) throw new ArgumentOutOfRangeException(nameof(groupRows), groupRows, "groups of 4 or 8 rows");
        int rows = rowEnd - rowStart;
        for (int g = 0; g * groupRows < rows; g++)
            for (int half = 0; half < groupRows; half += GroupRows)
            {
                int first = g * groupRows + half;
                int valid = Math.Clamp(rows - first, 0, GroupRows);
                Group(source + (long)(rowStart + Math.Min(first, rows - 1)) * words, words, valid, paddedWords,
                    target + (long)g * groupRows * paddedWords + half, groupRows);
            }
    }

    /// <summary>
    /// One group: four rows' words j..j+3 transposed in registers (each vector then holds one word of the
    /// four rows) and XOR-scanned along the rows, two dependent XORs per four words; the tail word by word.
    /// </summary>
    private static void Group(ulong* source, int words, int valid, int paddedWords, ulong* target, int stride)
    {
        ulong* row0 = source, row1 = source + words, row2 = source + 2L * words, row3 = source + 3L * words;
        Vector256<ulong> prefix = Vector256<ulong>.Zero;
        int j = 0;
        if (valid == GroupRows && Avx2.IsSupported)
        {
            for (; j + 4 <= words; j += 4)
            {
                Vector256<ulong> r0 = Vector256.Load(row0 + j), r1 = Vector256.Load(row1 + j);
                Vector256<ulong> r2 = Vector256.Load(row2 + j), r3 = Vector256.Load(row3 + j);
                Vector256<ulong> t0 = Avx2.UnpackLow(r0, r1), t1 = Avx2.UnpackHigh(r0, r1);
                Vector256<ulong> t2 = Avx2.UnpackLow(r2, r3), t3 = Avx2.UnpackHigh(r2, r3);
                Vector256<ulong> c0 = Avx2.Permute2x128(t0, t2, 0x20), c1 = Avx2.Permute2x128(t1, t3, 0x20);
                Vector256<ulong> c2 = Avx2.Permute2x128(t0, t2, 0x31), c3 = Avx2.Permute2x128(t1, t3, 0x31);
                ulong* output = target + stride * j;
                Vector256<ulong> second = prefix ^ (c0 ^ c1);
                Vector256.Store(prefix ^ c0, output);
                Vector256.Store(second, output + stride);
                Vector256.Store(second ^ c2, output + 2 * stride);
                prefix = second ^ (c2 ^ c3);
                Vector256.Store(prefix, output + 3 * stride);
            }
        }
        ulong p0 = prefix.GetElement(0), p1 = prefix.GetElement(1), p2 = prefix.GetElement(2), p3 = prefix.GetElement(3);
        for (; j < paddedWords; j++)
        {
            if (j < words)
            {
                if (valid > 0) p0 ^= row0[j];
                if (valid > 1) p1 ^= row1[j];
                if (valid > 2) p2 ^= row2[j];
                if (valid > 3) p3 ^= row3[j];
            }
            ulong* output = target + stride * j;
            output[0] = p0; output[1] = p1; output[2] = p2; output[3] = p3;
        }
    }

    /// <summary>Scalar form of the packing for the tests: prefix(row G g + r)_t at [g][t][r].</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong[] Reference(ReadOnlySpan<ulong> source, int rows, int words, int paddedWords, int groupRows = GroupRows)
    {
        var packed = new ulong[Length(rows, paddedWords, groupRows)];
        for (int i = 0; i < rows; i++)
        {
            ulong prefix = 0;
            for (int t = 0; t < paddedWords; t++)
            {
                if (t < words) prefix ^= source[i * words + t];
                packed[(long)(i / groupRows) * groupRows * paddedWords + groupRows * t + i % groupRows] = prefix;
            }
        }
        return packed;
    }
}
