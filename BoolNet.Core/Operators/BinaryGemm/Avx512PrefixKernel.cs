using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BoolNet.Core.Operators;

// The AVX-512 XOR count on prefix-packed operands: Avx2PrefixKernel's free first Harley-Seal level on
// zmm, where vpternlogq makes every adder cheap. B's prefix groups hold 8 rows (one zmm = word t of 8
// rows), A's prefix words are broadcast (EVEX embedded broadcast, folded into the vpxorq). A word pair's
// carry, s ^ (e AND NOT (s ^ e2)), is one vpternlogq (0x74) after the two vpxorq that form e and e2,
// and the carry-save adders take two (0x96 sum, 0xD4 carry from the new sum): 8 + 4 + 6 = 18 logic ops
// and one vpermb lookup per 8 inputs, against 8 + 14 for the plain tree (Avx512PackedKernel).
// Tile: 4 A rows x 1 B group (32 outputs), as the plain kernel.

/// <summary>The AVX-512 prefix-XOR Harley-Seal tiles (see the note at the top of this file).</summary>
internal readonly unsafe struct Avx512PrefixKernel : IPrefixKernel
{
    private const int GroupRowCount = 8;

    // A byte counts at most 8 per lookup, so 31 lookups fit a byte accumulator (31 * 8 = 248 <= 255).
    private const int TreesPerFlush = 31;

    public static int GroupRows => GroupRowCount;

    /// <summary>A rows [0, rows) (4-row prefix groups at packedA) against B groups [groupStart, groupEnd).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block(ulong* packedA, int rows, ulong* packedB, int padded, int groupStart, int groupEnd, int n, int* counts)
    {
        long aGroupWords = (long)PrefixPacking.GroupRows * padded, bGroupWords = (long)GroupRowCount * padded;
        int i = 0;
        for (; i + 4 <= rows; i += 4)
        {
            ulong* a = packedA + (i / 4) * aGroupWords;
            for (int g = groupStart; g < groupEnd; g++)
                Tile(a, packedB + g * bGroupWords, padded, counts + (long)i * n + GroupRowCount * g, n,
                    Math.Min(GroupRowCount, n - GroupRowCount * g));
        }
        for (; i < rows; i++)
        {
            ulong* a = packedA + (i / 4) * aGroupWords + i % 4;
            for (int g = groupStart; g < groupEnd; g++)
                OneRow(a, packedB + g * bGroupWords, padded, counts + (long)i * n + GroupRowCount * g,
                    Math.Min(GroupRowCount, n - GroupRowCount * g));
        }
    }

    /// <summary>Four A rows (one 4-row prefix group: row r's word t at a[4t + r]) against one 8-row B group.</summary>
    // Compiled fully optimized on first use, as Block: left to tiering, the PGO-built tier-1 code of some
    // processes ran at about 0.8 of this (cpp-gemm, 256x4096x64: 1260-1390 GOPS against 1590).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(ulong* a, ulong* group, int padded, int* c, int n, int valid)
    {
        Vector512<byte> low = Avx512Popcount.LowTable, high = Avx512Popcount.HighTable;
        Vector512<ulong> s0 = default, twos0 = default, fours0 = default, flushed0 = default;
        Vector512<ulong> s1 = default, twos1 = default, fours1 = default, flushed1 = default;
        Vector512<ulong> s2 = default, twos2 = default, fours2 = default, flushed2 = default;
        Vector512<ulong> s3 = default, twos3 = default, fours3 = default, flushed3 = default;
        int trees = padded / 8;
        for (int start = 0; start < trees; start += TreesPerFlush)
        {
            int end = Math.Min(trees, start + TreesPerFlush);
            Vector512<byte> eights0 = default, eights1 = default, eights2 = default, eights3 = default;
            for (int t = start; t < end; t++)
            {
                ulong* y = group + 64 * t;
                ulong* x = a + 32 * t;
                Vector512<ulong> y0 = Vector512.Load(y), y1 = Vector512.Load(y + 8), y2 = Vector512.Load(y + 16), y3 = Vector512.Load(y + 24);
                Vector512<ulong> y4 = Vector512.Load(y + 32), y5 = Vector512.Load(y + 40), y6 = Vector512.Load(y + 48), y7 = Vector512.Load(y + 56);
                eights0 += Tree(ref s0, ref twos0, ref fours0, x, y0, y1, y2, y3, y4, y5, y6, y7, low, high);
                eights1 += Tree(ref s1, ref twos1, ref fours1, x + 1, y0, y1, y2, y3, y4, y5, y6, y7, low, high);
                eights2 += Tree(ref s2, ref twos2, ref fours2, x + 2, y0, y1, y2, y3, y4, y5, y6, y7, low, high);
                eights3 += Tree(ref s3, ref twos3, ref fours3, x + 3, y0, y1, y2, y3, y4, y5, y6, y7, low, high);
            }
            flushed0 += Widen(eights0);
            flushed1 += Widen(eights1);
            flushed2 += Widen(eights2);
            flushed3 += Widen(eights3);
        }
        Store(c, Totals(s0, twos0, fours0, flushed0, low, high), valid);
        Store(c + n, Totals(s1, twos1, fours1, flushed1, low, high), valid);
        Store(c + 2 * n, Totals(s2, twos2, fours2, flushed2, low, high), valid);
        Store(c + 3 * n, Totals(s3, twos3, fours3, flushed3, low, high), valid);
    }

    /// <summary>One A row (word t at a[4t]) against one 8-row B group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneRow(ulong* a, ulong* group, int padded, int* c, int valid)
    {
        Vector512<byte> low = Avx512Popcount.LowTable, high = Avx512Popcount.HighTable;
        Vector512<ulong> s = default, twos = default, fours = default, flushed = default;
        int trees = padded / 8;
        for (int start = 0; start < trees; start += TreesPerFlush)
        {
            int end = Math.Min(trees, start + TreesPerFlush);
            Vector512<byte> eights = default;
            for (int t = start; t < end; t++)
            {
                ulong* y = group + 64 * t;
                eights += Tree(ref s, ref twos, ref fours, a + 32 * t,
                    Vector512.Load(y), Vector512.Load(y + 8), Vector512.Load(y + 16), Vector512.Load(y + 24),
                    Vector512.Load(y + 32), Vector512.Load(y + 40), Vector512.Load(y + 48), Vector512.Load(y + 56), low, high);
            }
            flushed += Widen(eights);
        }
        Store(c, Totals(s, twos, fours, flushed, low, high), valid);
    }

    /// <summary>One tree of 8 words: 4 pair carries, 3 adders; returns the byte popcount of the eights.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Tree(ref Vector512<ulong> s, ref Vector512<ulong> twos, ref Vector512<ulong> fours, ulong* x,
        Vector512<ulong> y0, Vector512<ulong> y1, Vector512<ulong> y2, Vector512<ulong> y3,
        Vector512<ulong> y4, Vector512<ulong> y5, Vector512<ulong> y6, Vector512<ulong> y7,
        Vector512<byte> low, Vector512<byte> high)
    {
        Vector512<ulong> c0 = Pair(ref s, y0 ^ Vector512.Create(x[0]), y1 ^ Vector512.Create(x[4]));
        Vector512<ulong> c1 = Pair(ref s, y2 ^ Vector512.Create(x[8]), y3 ^ Vector512.Create(x[12]));
        Vector512<ulong> f0 = CarrySave(ref twos, c0, c1);
        c0 = Pair(ref s, y4 ^ Vector512.Create(x[16]), y5 ^ Vector512.Create(x[20]));
        c1 = Pair(ref s, y6 ^ Vector512.Create(x[24]), y7 ^ Vector512.Create(x[28]));
        Vector512<ulong> f1 = CarrySave(ref twos, c0, c1);
        return Avx512Popcount.Bytes(CarrySave(ref fours, f0, f1), low, high);
    }

    /// <summary>Carry of a word pair from the running prefixes e, e2: s ^ (e AND NOT (s ^ e2)) = vpternlogq 0x74; s becomes e2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Pair(ref Vector512<ulong> s, Vector512<ulong> e, Vector512<ulong> e2)
    {
        Vector512<ulong> carry = Avx512F.TernaryLogic(s, e, e2, 0x74);
        s = e2;
        return carry;
    }

    /// <summary>Full adder (see <see cref="Avx512PackedKernel"/>): sum ^= p ^ q (0x96), carry from the new sum (0xD4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> CarrySave(ref Vector512<ulong> sum, Vector512<ulong> p, Vector512<ulong> q)
    {
        sum = Avx512F.TernaryLogic(sum, p, q, 0x96);
        return Avx512F.TernaryLogic(p, q, sum, 0xD4);
    }

    /// <summary>8 * flushed eights + 4 fours + 2 twos + ones per lane (at most 56 per byte in the weighted bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Totals(Vector512<ulong> ones, Vector512<ulong> twos, Vector512<ulong> fours, Vector512<ulong> flushed,
        Vector512<byte> low, Vector512<byte> high)
    {
        Vector512<byte> rest = Avx512Popcount.Bytes(fours, low, high);
        rest += rest;
        rest += Avx512Popcount.Bytes(twos, low, high);
        rest += rest;
        rest += Avx512Popcount.Bytes(ones, low, high);
        return (flushed << 3) + Widen(rest);
    }

    /// <summary>Writes the first <paramref name="valid"/> of the eight lane totals (each under 2^31, narrowed by vpmovqd).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(int* c, Vector512<ulong> lanes, int valid)
    {
        Vector256<int> totals = Avx512F.ConvertToVector256Int32(lanes.AsInt64());
        if (valid == GroupRowCount) Vector256.Store(totals, c);
        else for (int q = 0; q < valid; q++) c[q] = totals.GetElement(q);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Widen(Vector512<byte> counters) =>
        Avx512BW.SumAbsoluteDifferences(counters, Vector512<byte>.Zero).AsUInt64();
}
