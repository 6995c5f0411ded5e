using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BoolNet.Core.Operators;

/// <summary>
/// Plain AVX-512 lookup tiles (4 A rows x 4 B rows, one vpermb popcount per 512-bit input) for what the
/// interleaved Harley-Seal kernel does not cover: the last n % 8 B rows, and the whole product when
/// n &lt; 8 (64x784x1, say: padding B groups with zero rows would waste most of the work) or a row has
/// fewer than 8 words.
/// </summary>
internal unsafe struct Avx512LookupTiles : ITileSet
{
    public static int TileRows => 4;
    public static int TileColumns => 4;
    public static int WordsPerChunk => 8;

    // A byte counts at most 8 per chunk, so 31 chunks fit a byte accumulator (31 * 8 = 248 <= 255).
    private const int ChunksPerFlush = 31;

    private static readonly Vector512<byte> LowTable = Avx512Popcount.LowTable, HighTable = Avx512Popcount.HighTable;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TOperation>(ulong* a, ulong* b, int words, int* c, int n)
        where TOperation : struct, IVectorOperation
    {
        Vector512<byte> low = LowTable, high = HighTable;
        ulong* a0 = a, a1 = a + words, a2 = a + 2 * words, a3 = a + 3 * words;
        ulong* b0 = b, b1 = b + words, b2 = b + 2 * words, b3 = b + 3 * words;
        int chunks = words / 8;
        for (int start = 0; start < chunks; start += ChunksPerFlush)
        {
            int end = Math.Min(chunks, start + ChunksPerFlush) * 8;
            Vector512<byte> c00 = default, c01 = default, c02 = default, c03 = default;
            Vector512<byte> c10 = default, c11 = default, c12 = default, c13 = default;
            Vector512<byte> c20 = default, c21 = default, c22 = default, c23 = default;
            Vector512<byte> c30 = default, c31 = default, c32 = default, c33 = default;
            for (int k = start * 8; k < end; k += 8)
            {
                Vector512<ulong> x0 = Vector512.Load(a0 + k), x1 = Vector512.Load(a1 + k);
                Vector512<ulong> x2 = Vector512.Load(a2 + k), x3 = Vector512.Load(a3 + k);
                Vector512<ulong> y = Vector512.Load(b0 + k);
                c00 += Avx512Popcount.Bytes(TOperation.Apply(x0, y), low, high);
                c10 += Avx512Popcount.Bytes(TOperation.Apply(x1, y), low, high);
                c20 += Avx512Popcount.Bytes(TOperation.Apply(x2, y), low, high);
                c30 += Avx512Popcount.Bytes(TOperation.Apply(x3, y), low, high);
                y = Vector512.Load(b1 + k);
                c01 += Avx512Popcount.Bytes(TOperation.Apply(x0, y), low, high);
                c11 += Avx512Popcount.Bytes(TOperation.Apply(x1, y), low, high);
                c21 += Avx512Popcount.Bytes(TOperation.Apply(x2, y), low, high);
                c31 += Avx512Popcount.Bytes(TOperation.Apply(x3, y), low, high);
                y = Vector512.Load(b2 + k);
                c02 += Avx512Popcount.Bytes(TOperation.Apply(x0, y), low, high);
                c12 += Avx512Popcount.Bytes(TOperation.Apply(x1, y), low, high);
                c22 += Avx512Popcount.Bytes(TOperation.Apply(x2, y), low, high);
                c32 += Avx512Popcount.Bytes(TOperation.Apply(x3, y), low, high);
                y = Vector512.Load(b3 + k);
                c03 += Avx512Popcount.Bytes(TOperation.Apply(x0, y), low, high);
                c13 += Avx512Popcount.Bytes(TOperation.Apply(x1, y), low, high);
                c23 += Avx512Popcount.Bytes(TOperation.Apply(x2, y), low, high);
                c33 += Avx512Popcount.Bytes(TOperation.Apply(x3, y), low, high);
            }
            int* r0 = c, r1 = c + n, r2 = c + 2 * n, r3 = c + 3 * n;
            r0[0] += Avx512Popcount.Total(c00); r0[1] += Avx512Popcount.Total(c01); r0[2] += Avx512Popcount.Total(c02); r0[3] += Avx512Popcount.Total(c03);
            r1[0] += Avx512Popcount.Total(c10); r1[1] += Avx512Popcount.Total(c11); r1[2] += Avx512Popcount.Total(c12); r1[3] += Avx512Popcount.Total(c13);
            r2[0] += Avx512Popcount.Total(c20); r2[1] += Avx512Popcount.Total(c21); r2[2] += Avx512Popcount.Total(c22); r2[3] += Avx512Popcount.Total(c23);
            r3[0] += Avx512Popcount.Total(c30); r3[1] += Avx512Popcount.Total(c31); r3[2] += Avx512Popcount.Total(c32); r3[3] += Avx512Popcount.Total(c33);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OneVsFour<TOperation>(ulong* one, ulong* four, int words, int* c, int cStride)
        where TOperation : struct, IVectorOperation
    {
        Vector512<byte> low = LowTable, high = HighTable;
        ulong* y0 = four, y1 = four + words, y2 = four + 2 * words, y3 = four + 3 * words;
        int chunks = words / 8;
        for (int start = 0; start < chunks; start += ChunksPerFlush)
        {
            int end = Math.Min(chunks, start + ChunksPerFlush) * 8;
            Vector512<byte> c0 = default, c1 = default, c2 = default, c3 = default;
            for (int k = start * 8; k < end; k += 8)
            {
                Vector512<ulong> x = Vector512.Load(one + k);
                c0 += Avx512Popcount.Bytes(TOperation.Apply(x, Vector512.Load(y0 + k)), low, high);
                c1 += Avx512Popcount.Bytes(TOperation.Apply(x, Vector512.Load(y1 + k)), low, high);
                c2 += Avx512Popcount.Bytes(TOperation.Apply(x, Vector512.Load(y2 + k)), low, high);
                c3 += Avx512Popcount.Bytes(TOperation.Apply(x, Vector512.Load(y3 + k)), low, high);
            }
            c[0] += Avx512Popcount.Total(c0);
            c[cStride] += Avx512Popcount.Total(c1);
            c[2 * cStride] += Avx512Popcount.Total(c2);
            c[3 * cStride] += Avx512Popcount.Total(c3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OneVsOne<TOperation>(ulong* x, ulong* y, int words, int* c)
        where TOperation : struct, IVectorOperation
    {
        Vector512<byte> low = LowTable, high = HighTable;
        int chunks = words / 8;
        for (int start = 0; start < chunks; start += ChunksPerFlush)
        {
            int end = Math.Min(chunks, start + ChunksPerFlush) * 8;
            Vector512<byte> total = default;
            for (int k = start * 8; k < end; k += 8)
                total += Avx512Popcount.Bytes(TOperation.Apply(Vector512.Load(x + k), Vector512.Load(y + k)), low, high);
            *c += Avx512Popcount.Total(total);
        }
    }
}

/// <summary>Byte-wise popcount on AVX-512 VBMI by table lookup.</summary>
internal static class Avx512Popcount
{
    /// <summary>Shared <see cref="Table"/>(1, 0): vpermb uses only the low 6 bits of an index byte, so this counts bits 0..5.</summary>
    public static readonly Vector512<byte> LowTable = Table(weight: 1, lowBit: 0);

    /// <summary>Shared <see cref="Table"/>(1, 4): indexed by the byte shifted right by 2 (bits 2..7 land in 0..5), counts bits 6..7.</summary>
    public static readonly Vector512<byte> HighTable = Table(weight: 1, lowBit: 4);

    /// <summary>
    /// A 64-entry vpermb table: entry i = weight * popcount(i &gt;&gt; lowBit). With lowBit 0 it counts bits
    /// 0..5 of a byte; applied to the byte shifted right by 2 with lowBit 4 it counts the byte's bits 6..7.
    /// The two windows together cover the 8 bits exactly once.
    /// </summary>
    public static Vector512<byte> Table(int weight, int lowBit)
    {
        Span<byte> entries = stackalloc byte[64];
        for (int i = 0; i < 64; i++) entries[i] = (byte)(weight * int.PopCount(i >> lowBit));
        return Vector512.Create((ReadOnlySpan<byte>)entries);
    }

    /// <summary>
    /// popcount of every byte of <paramref name="x"/> (times the tables' weight). vpermb ignores index
    /// bits 6..7, so the first lookup needs no mask; the qword shift by 2 brings bits 6..7 into the window
    /// of the second lookup (bits shifted in from the next byte land in 6..7, which vpermb ignores again).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Bytes(Vector512<ulong> x, Vector512<byte> low, Vector512<byte> high) =>
        Avx512Vbmi.PermuteVar64x8(low, x.AsByte()) + Avx512Vbmi.PermuteVar64x8(high, Avx512F.ShiftRightLogical(x, 2).AsByte());

    /// <summary>Sum of all 64 byte counters: vpsadbw against zero widens 8 bytes into each qword.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Total(Vector512<byte> counters) =>
        (int)Vector512.Sum(Avx512BW.SumAbsoluteDifferences(counters, Vector512<byte>.Zero).AsUInt64());
}
