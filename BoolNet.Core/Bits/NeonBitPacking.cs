using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace BoolNet.Core.Bits;

/// <summary>
/// ARM64 AdvSimd (NEON) forms of the packing steps (<see cref="Operators.ThresholdPacking"/>,
/// <see cref="BitPacking.UnpackSigns(ReadOnlySpan{ulong}, Span{float}, Execution.Isa?)"/>). NEON has no
/// movemask: 64 compare results are narrowed to bytes (XTN), weighted 1, 2, ..., 128 per byte lane and
/// summed by three rounds of pairwise adds (ADDP), which leave the 64 bits, in order, in one 64-bit lane.
/// </summary>
internal static unsafe class NeonBitPacking
{
    /// <summary>Bits 0..63 of the word: [values[i] &lt;= thresholds[i]] for the 64 values and thresholds given.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ulong LessOrEqualWord(ReadOnlySpan<int> values, ReadOnlySpan<int> thresholds)
    {
        if (values.Length < 64 || thresholds.Length < 64) throw new ArgumentException("a word needs 64 values and thresholds");
        if (!AdvSimd.Arm64.IsSupported) throw new PlatformNotSupportedException("NEON packing needs ARM64 AdvSimd");
        Vector128<byte> weights = Vector128.Create((byte)1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
        fixed (int* v = values)
        fixed (int* t = thresholds)
        {
            Vector128<byte> b0 = Sixteen(v, t) & weights, b1 = Sixteen(v + 16, t + 16) & weights;
            Vector128<byte> b2 = Sixteen(v + 32, t + 32) & weights, b3 = Sixteen(v + 48, t + 48) & weights;
            Vector128<byte> sums = AdvSimd.Arm64.AddPairwise(AdvSimd.Arm64.AddPairwise(b0, b1), AdvSimd.Arm64.AddPairwise(b2, b3));
            return AdvSimd.Arm64.AddPairwise(sums, sums).AsUInt64().ToScalar();
        }
    }

    /// <summary>16 compare masks v &lt;= t (0xFF or 0), narrowed to bytes in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Sixteen(int* v, int* t)
    {
        Vector128<short> low = AdvSimd.ExtractNarrowingUpper(
            AdvSimd.ExtractNarrowingLower(AdvSimd.CompareLessThanOrEqual(Vector128.Load(v), Vector128.Load(t))),
            AdvSimd.CompareLessThanOrEqual(Vector128.Load(v + 4), Vector128.Load(t + 4)));
        Vector128<short> high = AdvSimd.ExtractNarrowingUpper(
            AdvSimd.ExtractNarrowingLower(AdvSimd.CompareLessThanOrEqual(Vector128.Load(v + 8), Vector128.Load(t + 8))),
            AdvSimd.CompareLessThanOrEqual(Vector128.Load(v + 12), Vector128.Load(t + 12)));
        return AdvSimd.ExtractNarrowingUpper(AdvSimd.ExtractNarrowingLower(low), high).AsByte();
    }

    /// <summary>e(b) = 2b - 1 for the bits [start, start + 8 * steps) into destination, 8 floats per step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void UnpackSigns(ReadOnlySpan<ulong> words, Span<float> destination, int steps)
    {
        if (destination.Length < 8 * steps) throw new ArgumentException($"{destination.Length} floats for {steps} steps of 8");
        Vector128<int> low = Vector128.Create(1, 2, 4, 8), high = Vector128.Create(16, 32, 64, 128);
        Vector128<float> plus = Vector128.Create(1f), minus = Vector128.Create(-1f);
        for (int s = 0; s < steps; s++)
        {
            int i = 8 * s;
            Vector128<int> bits = Vector128.Create((int)(words[i >> 6] >> (i & 63)) & 0xFF);
            Vector128.ConditionalSelect(Vector128.Equals(bits & low, low).AsSingle(), plus, minus).CopyTo(destination.Slice(i, 4));
            Vector128.ConditionalSelect(Vector128.Equals(bits & high, high).AsSingle(), plus, minus).CopyTo(destination.Slice(i + 4, 4));
        }
    }
}
