using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BoolNet.Core.Operators;

// The AVX2 XOR count on prefix-packed operands (PrefixPacking), after bgemm_avx2.cpp's pfx_bc_1x2.
// A Harley-Seal tree counts 8 words of inputs d_t = a_t ^ b_t with one nibble lookup. Its running "ones"
// state s before a word pair (d1, d2) is the XOR of all earlier inputs, so e = s ^ d1 and e2 = e ^ d2 are
// prefix(a) ^ prefix(b) at the pair's two words, one vpxor each from the packed operands, and
//   carry = majority(s, d1, d2) = s ^ (e AND NOT (s ^ e2))    (d1 == d2: s ^ e = d1; otherwise s),
// after which s = e2. A pair costs 5 ops (2 of them the vpxor that form e, e2), the carries (weight 2)
// go through the twos and fours carry-save adders (5 ops each), and the eights are looked up: 42 ops
// per 8 ymm inputs against 50 for the plain tree (Avx2PackedKernel) whose first level is an adder too.
// Tile: 1 A row (its prefix words broadcast) x 2 B groups of 4 rows: 8 outputs, about 15 live ymm.

/// <summary>The AVX2 prefix-XOR Harley-Seal tiles (see the note at the top of this file).</summary>
internal readonly unsafe struct Avx2PrefixKernel : IPrefixKernel
{
    public static int GroupRows => PrefixPacking.GroupRows;

    /// <summary>A rows [0, rows) (4-row prefix groups at packedA) against B groups [groupStart, groupEnd), two at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block(ulong* packedA, int rows, ulong* packedB, int padded, int groupStart, int groupEnd, int n, int* counts)
    {
        const int groupRows = PrefixPacking.GroupRows;
        long groupWords = (long)groupRows * padded;
        for (int i = 0; i < rows; i++)
        {
            ulong* aRow = packedA + (i / groupRows) * groupWords + i % groupRows;
            int* cRow = counts + (long)i * n;
            int g = groupStart;
            for (; g + 2 <= groupEnd; g += 2)
                Tile(aRow, packedB + g * groupWords, padded, cRow + groupRows * g, Math.Min(2 * groupRows, n - groupRows * g));
            if (g < groupEnd)
                OneGroup(aRow, packedB + g * groupWords, padded, cRow + groupRows * g, Math.Min(groupRows, n - groupRows * g));
        }
    }

    // Words per Harley-Seal tree (PrefixDriver pads rows to a multiple of it).
    private const int TreeWords = 8;

    // A byte counts at most 8 per lookup, so 31 lookups fit a byte accumulator (31 * 8 = 248 <= 255).
    private const int TreesPerFlush = 31;

    /// <summary>
    /// counts[0..8) = popcount(A XOR B[q]) for the 8 rows of two consecutive prefix groups at
    /// <paramref name="group"/>; <paramref name="a"/> is the A row's prefix word 0, its word t at a[4t]
    /// (a row of an interleaved group). Writes the first <paramref name="valid"/> counts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(ulong* a, ulong* group, int paddedWords, int* counts, int valid)
    {
        Vector256<byte> table = Avx2Popcount.NibbleTable, nibble = Vector256.Create((byte)0x0F);
        ulong* y0 = group, y1 = group + PrefixPacking.GroupRows * paddedWords;
        Vector256<ulong> s0 = default, twos0 = default, fours0 = default, flushed0 = default;
        Vector256<ulong> s1 = default, twos1 = default, fours1 = default, flushed1 = default;
        int trees = paddedWords / TreeWords;
        for (int start = 0; start < trees; start += TreesPerFlush)
        {
            int end = Math.Min(trees, start + TreesPerFlush);
            Vector256<byte> eights0 = default, eights1 = default;
            for (int t = start; t < end; t++)
            {
                int o = 4 * TreeWords * t;
                ulong* x = a + o;
                Vector256<ulong> p = Vector256.Create(x[0]), q = Vector256.Create(x[4]);
                Vector256<ulong> c0 = Pair(ref s0, p ^ Vector256.Load(y0 + o), q ^ Vector256.Load(y0 + o + 4));
                Vector256<ulong> c1 = Pair(ref s1, p ^ Vector256.Load(y1 + o), q ^ Vector256.Load(y1 + o + 4));
                p = Vector256.Create(x[8]); q = Vector256.Create(x[12]);
                Vector256<ulong> f0 = CarrySave(ref twos0, c0, Pair(ref s0, p ^ Vector256.Load(y0 + o + 8), q ^ Vector256.Load(y0 + o + 12)));
                Vector256<ulong> f1 = CarrySave(ref twos1, c1, Pair(ref s1, p ^ Vector256.Load(y1 + o + 8), q ^ Vector256.Load(y1 + o + 12)));
                p = Vector256.Create(x[16]); q = Vector256.Create(x[20]);
                c0 = Pair(ref s0, p ^ Vector256.Load(y0 + o + 16), q ^ Vector256.Load(y0 + o + 20));
                c1 = Pair(ref s1, p ^ Vector256.Load(y1 + o + 16), q ^ Vector256.Load(y1 + o + 20));
                p = Vector256.Create(x[24]); q = Vector256.Create(x[28]);
                Vector256<ulong> g0 = CarrySave(ref twos0, c0, Pair(ref s0, p ^ Vector256.Load(y0 + o + 24), q ^ Vector256.Load(y0 + o + 28)));
                Vector256<ulong> g1 = CarrySave(ref twos1, c1, Pair(ref s1, p ^ Vector256.Load(y1 + o + 24), q ^ Vector256.Load(y1 + o + 28)));
                eights0 += Avx2Popcount.Bytes(CarrySave(ref fours0, f0, g0), table, nibble);
                eights1 += Avx2Popcount.Bytes(CarrySave(ref fours1, f1, g1), table, nibble);
            }
            flushed0 += Widen(eights0);
            flushed1 += Widen(eights1);
        }
        Vector128<int> low = Totals(s0, twos0, fours0, flushed0, table, nibble);
        Vector128<int> high = Totals(s1, twos1, fours1, flushed1, table, nibble);
        Store(low, high, counts, valid);
    }

    /// <summary>As <see cref="Tile"/> against one prefix group: counts[0..4), the first <paramref name="valid"/> written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OneGroup(ulong* a, ulong* group, int paddedWords, int* counts, int valid)
    {
        Vector256<byte> table = Avx2Popcount.NibbleTable, nibble = Vector256.Create((byte)0x0F);
        Vector256<ulong> s = default, twos = default, fours = default, flushed = default;
        int trees = paddedWords / TreeWords;
        for (int start = 0; start < trees; start += TreesPerFlush)
        {
            int end = Math.Min(trees, start + TreesPerFlush);
            Vector256<byte> eights = default;
            for (int t = start; t < end; t++)
            {
                int o = 4 * TreeWords * t;
                ulong* x = a + o, y = group + o;
                Vector256<ulong> c = Pair(ref s, Vector256.Create(x[0]) ^ Vector256.Load(y), Vector256.Create(x[4]) ^ Vector256.Load(y + 4));
                Vector256<ulong> f = CarrySave(ref twos, c, Pair(ref s, Vector256.Create(x[8]) ^ Vector256.Load(y + 8), Vector256.Create(x[12]) ^ Vector256.Load(y + 12)));
                c = Pair(ref s, Vector256.Create(x[16]) ^ Vector256.Load(y + 16), Vector256.Create(x[20]) ^ Vector256.Load(y + 20));
                Vector256<ulong> g = CarrySave(ref twos, c, Pair(ref s, Vector256.Create(x[24]) ^ Vector256.Load(y + 24), Vector256.Create(x[28]) ^ Vector256.Load(y + 28)));
                eights += Avx2Popcount.Bytes(CarrySave(ref fours, f, g), table, nibble);
            }
            flushed += Widen(eights);
        }
        Vector128<int> totals = Totals(s, twos, fours, flushed, table, nibble);
        if (valid == 4) Vector128.Store(totals, counts);
        else for (int q = 0; q < valid; q++) counts[q] = totals.GetElement(q);
    }

    /// <summary>
    /// The carry of the word pair whose running prefixes are <paramref name="e"/>, <paramref name="e2"/>
    /// (see the note at the top of this file); advances the ones state <paramref name="s"/> to e2.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Pair(ref Vector256<ulong> s, Vector256<ulong> e, Vector256<ulong> e2)
    {
        Vector256<ulong> carry = s ^ Avx2.AndNot(s ^ e2, e);
        s = e2;
        return carry;
    }

    /// <summary>
    /// Full adder into the bit-sliced counter <paramref name="sum"/>; returns the carry, majority(sum, p, q)
    /// = (p XOR q) ? sum : p, a bitwise select: 3 logic ops in AVX2 (5 for the adder), and one vpternlogq
    /// (3 for the adder) where the JIT may use AVX-512VL encodings.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> CarrySave(ref Vector256<ulong> sum, Vector256<ulong> p, Vector256<ulong> q)
    {
        Vector256<ulong> either = p ^ q;
        Vector256<ulong> carry = Vector256.ConditionalSelect(either, sum, p);
        sum ^= either;
        return carry;
    }

    /// <summary>
    /// The four lane totals: 8 * flushed eights + 4 fours + 2 twos + ones (at most 56 per byte in the
    /// weighted bytes), narrowed from qwords (each under 2^31) to ints.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Totals(Vector256<ulong> ones, Vector256<ulong> twos, Vector256<ulong> fours,
        Vector256<ulong> flushed, Vector256<byte> table, Vector256<byte> nibble)
    {
        Vector256<byte> rest = Avx2Popcount.Bytes(fours, table, nibble);
        rest += rest;
        rest += Avx2Popcount.Bytes(twos, table, nibble);
        rest += rest;
        rest += Avx2Popcount.Bytes(ones, table, nibble);
        Vector256<ulong> lanes = (flushed << 3) + Widen(rest);
        return Avx2.PermuteVar8x32(lanes.AsInt32(), Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6)).GetLower();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector128<int> low, Vector128<int> high, int* counts, int valid)
    {
        if (valid == 8)
        {
            Vector128.Store(low, counts);
            Vector128.Store(high, counts + 4);
            return;
        }
        for (int q = 0; q < valid; q++) counts[q] = q < 4 ? low.GetElement(q) : high.GetElement(q - 4);
    }

    /// <summary>vpsadbw against zero: each qword lane gets the sum of its 8 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Widen(Vector256<byte> counters) =>
        Avx2.SumAbsoluteDifferences(counters, Vector256<byte>.Zero).AsUInt64();
}
