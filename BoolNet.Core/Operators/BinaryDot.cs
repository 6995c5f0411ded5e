using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BoolNet.Core.Kernels;

/// <summary>
/// The single dot product popcount(a XOR b) over <c>words</c> words, the last one masked, without the
/// GEMM machinery (no padding copies, no allocation): used by <see cref="BinaryGemm.Dot(ReadOnlySpan{ulong}, ReadOnlySpan{ulong}, int, BinaryLogic, Isa?)"/>.
/// Each ISA path equals the scalar loop bit for bit.
/// </summary>
internal static unsafe class BinaryDot
{
    // A byte counts at most 8 per vector, so 31 vectors fit a byte accumulator (31 * 8 = 248 <= 255).
    private const int VectorsPerFlush = 31;

    /// <summary>popcount((a XOR b) over words [0, words - 1)) + popcount((a XOR b) AND tailMask) of the last word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int XorCount(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, int words, ulong tailMask, Isa isa)
    {
        if (words == 0) return 0;
        int full = words - 1;
        int count = BitOperations.PopCount((a[full] ^ b[full]) & tailMask);
        fixed (ulong* pa = a)
        fixed (ulong* pb = b)
        {
            int w = 0;
            if (isa == Isa.Avx512 && IsaSelection.IsSupported(Isa.Avx512)) count += Avx512(pa, pb, full, ref w);
            else if (isa >= Isa.Avx2 && Avx2.IsSupported) count += Avx2Words(pa, pb, full, ref w);
            for (; w < full; w++) count += BitOperations.PopCount(pa[w] ^ pb[w]);
        }
        return count;
    }

    /// <summary>8 words per step, vpermb lookups (see <see cref="Avx512Popcount"/>); advances w past them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Avx512(ulong* a, ulong* b, int words, ref int w)
    {
        Vector512<byte> low = Avx512Popcount.LowTable, high = Avx512Popcount.HighTable;
        int count = 0;
        while (w + 8 <= words)
        {
            Vector512<byte> bytes = default;
            for (int step = 0; step < VectorsPerFlush && w + 8 <= words; step++, w += 8)
                bytes += Avx512Popcount.Bytes(Vector512.Load(a + w) ^ Vector512.Load(b + w), low, high);
            count += Avx512Popcount.Total(bytes);
        }
        return count;
    }

    /// <summary>4 words per step, vpshufb nibble lookups (see <see cref="Avx2Popcount"/>); advances w past them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Avx2Words(ulong* a, ulong* b, int words, ref int w)
    {
        Vector256<byte> table = Avx2Popcount.NibbleTable, nibble = Vector256.Create((byte)0x0F);
        int count = 0;
        while (w + 4 <= words)
        {
            Vector256<byte> bytes = default;
            for (int step = 0; step < VectorsPerFlush && w + 4 <= words; step++, w += 4)
                bytes += Avx2Popcount.Bytes(Vector256.Load(a + w) ^ Vector256.Load(b + w), table, nibble);
            count += Avx2Popcount.Total(bytes);
        }
        return count;
    }
}
