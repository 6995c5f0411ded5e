using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BoolNet.Core.Operators;

// The AVX2 paths of BinaryGemm. Bytes are counted with the vpshufb nibble lookup (a 16-entry table per
// 128-bit lane, indexed by the low and the high nibble), accumulated as bytes and widened with vpsadbw.
// With n >= 4 and K >= 512, B is packed four rows to a group interleaved by words (PackedDriver) so one
// ymm input op(broadcast A word, B words) feeds four outputs, and a Harley-Seal carry-save tree (five
// plain logic ops per adder, AVX2 has no vpternlogq) makes the 6-op lookups eight times rarer
// (Avx2PackedKernel). Otherwise register tiles of 2 A rows x 4 B rows, which fit AVX2's 16 ymm
// registers, count every input (Avx2Tiles). BinaryGemm.Choose decides which runs.

/// <summary>
/// The AVX2 Harley-Seal kernel over 4-row packed B groups (see the note at the top of this file): one A row
/// at a time, so the bit-sliced counters ones, twos, fours, the byte counters of the eights and the
/// transients of a tree stay within AVX2's 16 ymm registers.
/// </summary>
internal unsafe struct Avx2PackedKernel : IPackedKernel
{
    private const int GroupRowCount = 4;

    public static int GroupRows => GroupRowCount;
    public static int TileRows => 2;

    // A byte counts at most 8 per lookup, so 31 lookups fit a byte accumulator (31 * 8 = 248 <= 255).
    private const int LookupsPerFlush = 31;

    /// <summary>
    /// Two A rows against one group: each B load feeds both rows' trees, and the two independent adder
    /// chains overlap in the out-of-order core. (About 20 live ymm values: on a 16-register AVX2 machine
    /// a few spill to L1; the JIT on an AVX-512 machine has 32.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TOperation>(ulong* a, int words, ulong* group, int* c, int n)
        where TOperation : struct, IVectorOperation
    {
        Vector256<byte> table = Avx2Popcount.NibbleTable, nibble = Vector256.Create((byte)0x0F);
        ulong* a0 = a, a1 = a + words;
        Vector256<ulong> ones0 = default, twos0 = default, fours0 = default, flushed0 = default;
        Vector256<ulong> ones1 = default, twos1 = default, fours1 = default, flushed1 = default;
        Vector256<byte> eights0 = default, eights1 = default;
        int treeWords = words - words % 8;
        int lookups = 0;
        for (int t = 0; t < treeWords; t += 8)
        {
            ulong* y = group + GroupRowCount * t;
            ulong* x0 = a0 + t, x1 = a1 + t;
            Vector256<ulong> p = Vector256.Load(y), q = Vector256.Load(y + 4);
            Vector256<ulong> twosA0 = CarrySave(ref ones0, TOperation.Apply(p, Vector256.Create(x0[0])), TOperation.Apply(q, Vector256.Create(x0[1])));
            Vector256<ulong> twosA1 = CarrySave(ref ones1, TOperation.Apply(p, Vector256.Create(x1[0])), TOperation.Apply(q, Vector256.Create(x1[1])));
            p = Vector256.Load(y + 8); q = Vector256.Load(y + 12);
            Vector256<ulong> twosB0 = CarrySave(ref ones0, TOperation.Apply(p, Vector256.Create(x0[2])), TOperation.Apply(q, Vector256.Create(x0[3])));
            Vector256<ulong> twosB1 = CarrySave(ref ones1, TOperation.Apply(p, Vector256.Create(x1[2])), TOperation.Apply(q, Vector256.Create(x1[3])));
            Vector256<ulong> foursA0 = CarrySave(ref twos0, twosA0, twosB0);
            Vector256<ulong> foursA1 = CarrySave(ref twos1, twosA1, twosB1);
            p = Vector256.Load(y + 16); q = Vector256.Load(y + 20);
            twosA0 = CarrySave(ref ones0, TOperation.Apply(p, Vector256.Create(x0[4])), TOperation.Apply(q, Vector256.Create(x0[5])));
            twosA1 = CarrySave(ref ones1, TOperation.Apply(p, Vector256.Create(x1[4])), TOperation.Apply(q, Vector256.Create(x1[5])));
            p = Vector256.Load(y + 24); q = Vector256.Load(y + 28);
            twosB0 = CarrySave(ref ones0, TOperation.Apply(p, Vector256.Create(x0[6])), TOperation.Apply(q, Vector256.Create(x0[7])));
            twosB1 = CarrySave(ref ones1, TOperation.Apply(p, Vector256.Create(x1[6])), TOperation.Apply(q, Vector256.Create(x1[7])));
            Vector256<ulong> foursB0 = CarrySave(ref twos0, twosA0, twosB0);
            Vector256<ulong> foursB1 = CarrySave(ref twos1, twosA1, twosB1);
            eights0 += Avx2Popcount.Bytes(CarrySave(ref fours0, foursA0, foursB0), table, nibble);
            eights1 += Avx2Popcount.Bytes(CarrySave(ref fours1, foursA1, foursB1), table, nibble);
            if (++lookups == LookupsPerFlush)
            {
                flushed0 += Widen(eights0); eights0 = default;
                flushed1 += Widen(eights1); eights1 = default;
                lookups = 0;
            }
        }
        Finish<TOperation>(a0, group, treeWords, words, ones0, twos0, fours0, eights0, flushed0, table, nibble, c);
        Finish<TOperation>(a1, group, treeWords, words, ones1, twos1, fours1, eights1, flushed1, table, nibble, c + n);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OneRow<TOperation>(ulong* a, int words, ulong* group, int* c)
        where TOperation : struct, IVectorOperation
    {
        Vector256<byte> table = Avx2Popcount.NibbleTable, nibble = Vector256.Create((byte)0x0F);
        Vector256<ulong> ones = default, twos = default, fours = default, flushed = default;
        Vector256<byte> eights = default;
        int treeWords = words - words % 8;
        int lookups = 0;
        for (int t = 0; t < treeWords; t += 8)
        {
            ulong* y = group + GroupRowCount * t;
            ulong* x = a + t;
            Vector256<ulong> twosA = CarrySave(ref ones, Input<TOperation>(x, y, 0), Input<TOperation>(x, y, 1));
            Vector256<ulong> twosB = CarrySave(ref ones, Input<TOperation>(x, y, 2), Input<TOperation>(x, y, 3));
            Vector256<ulong> foursA = CarrySave(ref twos, twosA, twosB);
            twosA = CarrySave(ref ones, Input<TOperation>(x, y, 4), Input<TOperation>(x, y, 5));
            twosB = CarrySave(ref ones, Input<TOperation>(x, y, 6), Input<TOperation>(x, y, 7));
            Vector256<ulong> foursB = CarrySave(ref twos, twosA, twosB);
            eights += Avx2Popcount.Bytes(CarrySave(ref fours, foursA, foursB), table, nibble);
            if (++lookups == LookupsPerFlush)
            {
                flushed += Widen(eights);
                eights = default;
                lookups = 0;
            }
        }
        Finish<TOperation>(a, group, treeWords, words, ones, twos, fours, eights, flushed, table, nibble, c);
    }

    /// <summary>
    /// c[0..3] += the counts of one row: 8 * eights + ones + 2 twos + 4 fours (at most 56 per byte left in the
    /// counters) plus under 8 words after the last tree counted directly (at most 56 more): no byte overflows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish<TOperation>(ulong* a, ulong* group, int start, int words,
        Vector256<ulong> ones, Vector256<ulong> twos, Vector256<ulong> fours, Vector256<byte> eights, Vector256<ulong> flushed,
        Vector256<byte> table, Vector256<byte> nibble, int* c)
        where TOperation : struct, IVectorOperation
    {
        Vector256<byte> rest = Avx2Popcount.Bytes(ones, table, nibble);
        for (int t = start; t < words; t++) rest += Avx2Popcount.Bytes(Input<TOperation>(a + t, group + GroupRowCount * t, 0), table, nibble);
        Vector256<byte> weighted = Avx2Popcount.Bytes(fours, table, nibble);
        weighted += weighted;
        weighted += Avx2Popcount.Bytes(twos, table, nibble);
        rest += weighted + weighted;
        Vector256<ulong> lanes = ((flushed + Widen(eights)) << 3) + Widen(rest);
        // The four qword totals (each under 2^31) narrowed to ints: vpermd gathers their low dwords.
        Vector128<int> totals = Avx2.PermuteVar8x32(lanes.AsInt32(), Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6)).GetLower();
        Vector128.Store(Vector128.Load(c) + totals, c);
    }

    /// <summary>Input t of a tree: op(A word t broadcast to the four lanes, word t of the group's four B rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Input<TOperation>(ulong* x, ulong* y, int t)
        where TOperation : struct, IVectorOperation =>
        TOperation.Apply(Vector256.Load(y + GroupRowCount * t), Vector256.Create(x[t]));

    /// <summary>
    /// Full adder of the bit-sliced counter <paramref name="sum"/> with inputs p, q: sum ^= p ^ q and the
    /// returned carry is majority(sum, p, q) = (p AND q) OR (sum AND (p XOR q)), five logic ops in AVX2.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> CarrySave(ref Vector256<ulong> sum, Vector256<ulong> p, Vector256<ulong> q)
    {
        Vector256<ulong> either = p ^ q;
        Vector256<ulong> carry = (p & q) | (sum & either);
        sum ^= either;
        return carry;
    }

    /// <summary>vpsadbw against zero: each qword lane gets the sum of its 8 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Widen(Vector256<byte> counters) =>
        Avx2.SumAbsoluteDifferences(counters, Vector256<byte>.Zero).AsUInt64();
}

/// <summary>The AVX2 register tiles (see the note at the top of this file).</summary>
internal unsafe struct Avx2Tiles : ITileSet
{
    public static int TileRows => 2;
    public static int TileColumns => 4;
    public static int WordsPerChunk => 4;

    // A byte counts at most 8 per chunk, so 31 chunks fit a byte accumulator (31 * 8 = 248 <= 255).
    private const int ChunksPerFlush = 31;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TOperation>(ulong* a, ulong* b, int words, int* c, int n)
        where TOperation : struct, IVectorOperation
    {
        Vector256<byte> table = Avx2Popcount.NibbleTable, nibble = Vector256.Create((byte)0x0F);
        ulong* a0 = a, a1 = a + words;
        ulong* b0 = b, b1 = b + words, b2 = b + 2 * words, b3 = b + 3 * words;
        int chunks = words / 4;
        for (int start = 0; start < chunks; start += ChunksPerFlush)
        {
            int end = Math.Min(chunks, start + ChunksPerFlush) * 4;
            Vector256<byte> c00 = default, c01 = default, c02 = default, c03 = default;
            Vector256<byte> c10 = default, c11 = default, c12 = default, c13 = default;
            for (int k = start * 4; k < end; k += 4)
            {
                Vector256<ulong> x0 = Vector256.Load(a0 + k), x1 = Vector256.Load(a1 + k);
                Vector256<ulong> y = Vector256.Load(b0 + k);
                c00 += Avx2Popcount.Bytes(TOperation.Apply(x0, y), table, nibble);
                c10 += Avx2Popcount.Bytes(TOperation.Apply(x1, y), table, nibble);
                y = Vector256.Load(b1 + k);
                c01 += Avx2Popcount.Bytes(TOperation.Apply(x0, y), table, nibble);
                c11 += Avx2Popcount.Bytes(TOperation.Apply(x1, y), table, nibble);
                y = Vector256.Load(b2 + k);
                c02 += Avx2Popcount.Bytes(TOperation.Apply(x0, y), table, nibble);
                c12 += Avx2Popcount.Bytes(TOperation.Apply(x1, y), table, nibble);
                y = Vector256.Load(b3 + k);
                c03 += Avx2Popcount.Bytes(TOperation.Apply(x0, y), table, nibble);
                c13 += Avx2Popcount.Bytes(TOperation.Apply(x1, y), table, nibble);
            }
            int* r0 = c, r1 = c + n;
            r0[0] += Avx2Popcount.Total(c00); r0[1] += Avx2Popcount.Total(c01); r0[2] += Avx2Popcount.Total(c02); r0[3] += Avx2Popcount.Total(c03);
            r1[0] += Avx2Popcount.Total(c10); r1[1] += Avx2Popcount.Total(c11); r1[2] += Avx2Popcount.Total(c12); r1[3] += Avx2Popcount.Total(c13);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OneVsFour<TOperation>(ulong* one, ulong* four, int words, int* c, int cStride)
        where TOperation : struct, IVectorOperation
    {
        Vector256<byte> table = Avx2Popcount.NibbleTable, nibble = Vector256.Create((byte)0x0F);
        ulong* y0 = four, y1 = four + words, y2 = four + 2 * words, y3 = four + 3 * words;
        int chunks = words / 4;
        for (int start = 0; start < chunks; start += ChunksPerFlush)
        {
            int end = Math.Min(chunks, start + ChunksPerFlush) * 4;
            Vector256<byte> c0 = default, c1 = default, c2 = default, c3 = default;
            for (int k = start * 4; k < end; k += 4)
            {
                Vector256<ulong> x = Vector256.Load(one + k);
                c0 += Avx2Popcount.Bytes(TOperation.Apply(x, Vector256.Load(y0 + k)), table, nibble);
                c1 += Avx2Popcount.Bytes(TOperation.Apply(x, Vector256.Load(y1 + k)), table, nibble);
                c2 += Avx2Popcount.Bytes(TOperation.Apply(x, Vector256.Load(y2 + k)), table, nibble);
                c3 += Avx2Popcount.Bytes(TOperation.Apply(x, Vector256.Load(y3 + k)), table, nibble);
            }
            c[0] += Avx2Popcount.Total(c0);
            c[cStride] += Avx2Popcount.Total(c1);
            c[2 * cStride] += Avx2Popcount.Total(c2);
            c[3 * cStride] += Avx2Popcount.Total(c3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OneVsOne<TOperation>(ulong* x, ulong* y, int words, int* c)
        where TOperation : struct, IVectorOperation
    {
        Vector256<byte> table = Avx2Popcount.NibbleTable, nibble = Vector256.Create((byte)0x0F);
        int chunks = words / 4;
        for (int start = 0; start < chunks; start += ChunksPerFlush)
        {
            int end = Math.Min(chunks, start + ChunksPerFlush) * 4;
            Vector256<byte> total = default;
            for (int k = start * 4; k < end; k += 4)
                total += Avx2Popcount.Bytes(TOperation.Apply(Vector256.Load(x + k), Vector256.Load(y + k)), table, nibble);
            *c += Avx2Popcount.Total(total);
        }
    }
}

/// <summary>Byte-wise popcount on AVX2 by nibble lookup.</summary>
internal static class Avx2Popcount
{
    /// <summary>popcount of 0..15, repeated in both 128-bit lanes (vpshufb looks up within a lane).</summary>
    public static readonly Vector256<byte> NibbleTable = Vector256.Create(
        (byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
        0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);

    /// <summary>
    /// popcount of every byte: vpshufb zeroes a byte whose index has bit 7 set, so both nibbles are masked
    /// to 0..15 before the lookup; the 16-bit shift by 4 brings each high nibble into the low position.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Bytes(Vector256<ulong> x, Vector256<byte> table, Vector256<byte> nibble)
    {
        Vector256<byte> bytes = x.AsByte();
        Vector256<byte> lowNibbles = bytes & nibble;
        Vector256<byte> highNibbles = Avx2.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & nibble;
        return Avx2.Shuffle(table, lowNibbles) + Avx2.Shuffle(table, highNibbles);
    }

    /// <summary>Sum of all 32 byte counters: vpsadbw against zero widens 8 bytes into each qword.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Total(Vector256<byte> counters) =>
        (int)Vector256.Sum(Avx2.SumAbsoluteDifferences(counters, Vector256<byte>.Zero).AsUInt64());
}
