using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace BoolNet.Core.Operators;

/// <summary>
/// The ARM64 AdvSimd (NEON) path of <see cref="BitPlaneDense"/>. NEON has no u8 x s8 product, but the
/// weights are +-1: with N_j = sum of u_i over the inputs where w_ji = 0 (e = -1) and U = sum_i u_i,
/// D_j = sum_i e(w_ji) u_i = U - 2 N_j. The prepared rows hold a byte mask per input (0xFF where w = 0,
/// 0 where w = 1, 0 in the padding), so N_j is an AND and a <c>UADALP</c> (pairwise widening add of the
/// bytes into 16-bit lanes) per 16 inputs; a 16-bit lane gains at most 2 * 255 per step, so the lanes
/// are widened into 32-bit ones every <see cref="StepsPerWiden"/> steps. Exact integers: the same D as
/// the scalar planes.
/// </summary>
internal static unsafe class NeonBitPlaneDense
{
    /// <summary>Steps between widenings: 64 * 2 * 255 = 32640 fits a 16-bit lane.</summary>
    private const int StepsPerWiden = 64;

    /// <summary>The mask byte of one weight bit: 0xFF for w = 0 (e = -1), 0 for w = 1.</summary>
    public static sbyte Mask(bool bit) => bit ? (sbyte)0 : (sbyte)-1;

    /// <summary>D[j] = U - 2 N_j for one sample u [padded] (a multiple of 16 bytes) and neurons [j0, j1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotOne(sbyte* masks, byte* u, int padded, int j0, int j1, int* d)
    {
        if (!AdvSimd.Arm64.IsSupported) throw new PlatformNotSupportedException("the NEON bit-plane path needs ARM64 AdvSimd");
        int steps = padded / 16;
        int total = Sum(u, steps);
        for (int j = j0; j < j1; j++) d[j] = total - 2 * Masked(u, (byte*)masks + (long)j * padded, steps);
    }

    /// <summary>U, the sum of the bytes of u [16 * steps].</summary>
    private static int Sum(byte* u, int steps)
    {
        Vector128<uint> wide = default;
        for (int s0 = 0; s0 < steps; s0 += StepsPerWiden)
        {
            int s1 = Math.Min(steps, s0 + StepsPerWiden);
            Vector128<ushort> narrow = default;
            for (int s = s0; s < s1; s++) narrow = AdvSimd.AddPairwiseWideningAndAdd(narrow, Vector128.Load(u + 16 * s));
            wide = AdvSimd.AddPairwiseWideningAndAdd(wide, narrow);
        }
        return (int)AdvSimd.Arm64.AddAcross(wide).ToScalar();
    }

    /// <summary>N = sum of u_i where the mask byte is 0xFF.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Masked(byte* u, byte* mask, int steps)
    {
        Vector128<uint> wide = default;
        for (int s0 = 0; s0 < steps; s0 += StepsPerWiden)
        {
            int s1 = Math.Min(steps, s0 + StepsPerWiden);
            Vector128<ushort> narrow = default, other = default;
            int s = s0;
            for (; s + 2 <= s1; s += 2)
            {
                narrow = AdvSimd.AddPairwiseWideningAndAdd(narrow, Vector128.Load(u + 16 * s) & Vector128.Load(mask + 16 * s));
                other = AdvSimd.AddPairwiseWideningAndAdd(other, Vector128.Load(u + 16 * s + 16) & Vector128.Load(mask + 16 * s + 16));
            }
            if (s < s1) narrow = AdvSimd.AddPairwiseWideningAndAdd(narrow, Vector128.Load(u + 16 * s) & Vector128.Load(mask + 16 * s));
            wide = AdvSimd.AddPairwiseWideningAndAdd(wide, narrow);
            wide = AdvSimd.AddPairwiseWideningAndAdd(wide, other);
        }
        return (int)AdvSimd.Arm64.AddAcross(wide).ToScalar();
    }
}
