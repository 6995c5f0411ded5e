using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BoolNet.Core.Bits;

using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// The folded threshold of an inference layer (batch norm + threshold on an integer pre-activation, see
/// docs/ALGORITHMS.md section 2): output bit j = [v_j &lt;= T_j] XOR f_j, packed 64 per word with a zero tail.
/// One entry point; the ISA (<see cref="IsaSelection.Current"/> unless the caller passes one) picks the
/// compare width: 16 lanes (AVX-512, where 512-bit vectors are hardware-accelerated), 8 lanes (AVX2), a whole
/// word of 4-lane compares narrowed and summed pairwise (NEON, <see cref="NeonBitPacking"/>), or the scalar
/// reference loop. A vector compare gives all its lane masks in one vpmovmskb-style extract, so a word
/// of 64 outputs costs 4 (or 8) compares instead of 64 branches.
/// </summary>
public static class ThresholdPacking
{
    /// <summary>output bit j = [values_j &lt;= thresholds_j] XOR flips bit j, for j &lt; thresholds.Length.</summary>
    /// <param name="values">v [n]</param>
    /// <param name="thresholds">T [n]</param>
    /// <param name="flips">f [n] packed, ceil(n / 64) words</param>
    /// <param name="output">ceil(n / 64) words; bits past n are written zero</param>
    /// <param name="isa">null for <see cref="IsaSelection.Current"/></param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(ReadOnlySpan<int> values, ReadOnlySpan<int> thresholds, ReadOnlySpan<ulong> flips, Span<ulong> output, Isa? isa = null)
    {
        int n = thresholds.Length, words = BitMatrix.WordsFor(n);
        if (values.Length < n) throw new ArgumentException($"{values.Length} values for {n} thresholds");
        if (flips.Length < words || output.Length < words) throw new ArgumentException($"{n} thresholds need {words} flip and output words");
        Isa path = IsaSelection.Require(isa ?? IsaSelection.Current);
        bool wide = path == Isa.Avx512 && Vector512.IsHardwareAccelerated, narrow = path is Isa.Avx2 or Isa.Avx512 && !wide;
        for (int w = 0; w < words; w++)
        {
            int start = w << 6, end = Math.Min(n, start + 64);
            ulong word = 0;
            int j = start;
            if (path == Isa.Neon && end - start == 64)
            {
                word = NeonBitPacking.LessOrEqualWord(values.Slice(start, 64), thresholds.Slice(start, 64));
                j = end;
            }
            else if (wide)
            {
                for (; j + 16 <= end; j += 16)
                {
                    var v = Vector512.Create(values.Slice(j, 16));
                    var t = Vector512.Create(thresholds.Slice(j, 16));
                    word |= Vector512.LessThanOrEqual(v, t).ExtractMostSignificantBits() << (j - start);
                }
            }
            else if (narrow)
            {
                for (; j + 8 <= end; j += 8)
                {
                    var v = Vector256.Create(values.Slice(j, 8));
                    var t = Vector256.Create(thresholds.Slice(j, 8));
                    word |= (ulong)Vector256.LessThanOrEqual(v, t).ExtractMostSignificantBits() << (j - start);
                }
            }
            for (; j < end; j++)
                if (values[j] <= thresholds[j]) word |= 1UL << (j - start);
            output[w] = (word ^ flips[w]) & BitMatrix.TailMaskFor(end - start);
        }
    }
}
