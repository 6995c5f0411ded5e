using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BoolNet.Core.Bits;

using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// The binary dot product of two bit vectors, s = sum_k B(a_k, b_k) for the neuron logic B
/// (docs/ALGORITHMS.md section 2; Leconte, "Boolean Logic as an Error feedback mechanism", Eq. 2), without the GEMM machinery (no padding copies, no allocation).
/// One entry point; the ISA (<see cref="IsaSelection.Current"/> unless the caller passes one) picks
/// the popcount loop: AVX-512 vpermb lookups, AVX2 vpshufb lookups, or the scalar popcnt reference,
/// which every path equals bit for bit.
/// </summary>
public static unsafe class BinaryDot
{
    // A byte counts at most 8 per vector, so 31 vectors fit a byte accumulator (31 * 8 = 248 <= 255).
    private const int VectorsPerFlush = 31;

    /// <summary>sum_k B(a_k, b_k) over <paramref name="bits"/> logical bits; bits past them may be anything (they are masked).</summary>
    /// <param name="a">ceil(bits / 64) words or more</param>
    /// <param name="b">ceil(bits / 64) words or more</param>
    /// <param name="bits">K, the logical length</param>
    /// <param name="logic">XNOR (agreements) or XOR (disagreements)</param>
    /// <param name="isa">null for <see cref="IsaSelection.Current"/></param>
    public static int Dot(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, int bits, BinaryLogic logic, Isa? isa = null)
    {
        int words = BitMatrix.WordsFor(bits);
        if (a.Length < words || b.Length < words) throw new ArgumentException($"{bits} bits need {words} words in each operand");
        Isa path = IsaSelection.Require(isa ?? IsaSelection.Current);
        if (bits == 0) return 0;
        int mismatches = XorCount(a, b, words, BitMatrix.TailMaskFor(bits), path);
        return logic == BinaryLogic.Xnor ? bits - mismatches : mismatches;
    }

    /// <summary>Dot product of two bit vectors of equal length.</summary>
    /// <param name="a">K bits</param>
    /// <param name="b">K bits</param>
    /// <param name="logic">XNOR (agreements) or XOR (disagreements)</param>
    /// <param name="isa">null for <see cref="IsaSelection.Current"/></param>
    public static int Dot(BitVector a, BitVector b, BinaryLogic logic, Isa? isa = null)
    {
        if (a.Length != b.Length) throw new ArgumentException($"lengths differ: {a.Length} and {b.Length}");
        return Dot(a.Words, b.Words, a.Length, logic, isa);
    }

    /// <summary>popcount((a XOR b) over words [0, words - 1)) + popcount((a XOR b) AND tailMask) of the last word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int XorCount(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, int words, ulong tailMask, Isa isa)
    {
        int full = words - 1;
        int count = BitOperations.PopCount((a[full] ^ b[full]) & tailMask);
        fixed (ulong* pa = a)
        fixed (ulong* pb = b)
        {
            int w = 0;
            // The vector loops stop before the last whole vector that would not fit; scalar popcnt finishes.
            if (isa == Isa.Avx512) count += Avx512(pa, pb, full, ref w);
            else if (isa == Isa.Avx2) count += Avx2Words(pa, pb, full, ref w);
            else if (isa == Isa.Neon)
            {
                count += NeonBinaryGemm.XorCount(pa, pb, full);
                w = full;
            }
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
