using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BoolNet.Core.Kernels;

/// <summary>
/// AVX2 counting GEMM: bytes counted with the <c>vpshufb</c> nibble lookup (a 16-entry table per
/// 128-bit lane, indexed by the low and the high nibble), accumulated as bytes and widened with
/// <c>vpsadbw</c>. Register tiles of 2 A rows x 4 B rows fit AVX2's 16 ymm registers.
/// </summary>
public sealed class Avx2BinaryGemmKernel : IBinaryGemmKernel
{
    /// <summary>The shared instance.</summary>
    public static Avx2BinaryGemmKernel Instance { get; } = new();

    /// <inheritdoc />
    public Isa Isa => Isa.Avx2;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Count(CountOperation operation, ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b,
        int rowStart, int rowEnd, int n, int words, Span<int> counts)
    {
        if (!Avx2.IsSupported) throw new PlatformNotSupportedException("AVX2 is not supported on this machine");
        if (operation == CountOperation.Xor) TileDriver.Run<Avx2Tiles, XorVectors>(a, b, rowStart, rowEnd, n, words, counts);
        else TileDriver.Run<Avx2Tiles, AndVectors>(a, b, rowStart, rowEnd, n, words, counts);
    }
}

/// <summary>The AVX2 register tiles (see <see cref="Avx2BinaryGemmKernel"/>).</summary>
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
    public static Vector256<byte> NibbleTable => Vector256.Create(
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
