using System.Runtime.CompilerServices;
using BoolNet.Core.Bits;

namespace BoolNet.Core.Convolution;

/// <summary>
/// Re-packing between the map layout [Count * P, C] (one row per position, channels packed) and the
/// flat layout [Count, P * C] (one row per sample, feature p * C + c: NHWC flattening).
/// </summary>
public static class BitRepacking
{
    /// <summary>Flattens a map batch: result row n is the concatenation of its P position rows' C bits.</summary>
    /// <param name="map">[count * positions, C]</param>
    /// <param name="count">samples</param>
    /// <returns>[count, positions * C]</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static BitMatrix Flatten(BitMatrix map, int count)
    {
        if (count <= 0 || map.Rows % count != 0) throw new ArgumentException($"{map.Rows} rows do not split into {count} samples");
        int positions = map.Rows / count, channels = map.Columns;
        var result = new BitMatrix(count, checked(positions * channels));
        if (channels % 64 == 0)
        {
            // Whole words: the flat row is the position rows laid end to end.
            Array.Copy(map.Words, result.Words, map.Words.Length);
            return result;
        }
        for (int n = 0; n < count; n++)
        {
            Span<ulong> target = result.Row(n);
            for (int p = 0; p < positions; p++)
                AppendBits(map.Row(n * positions + p), channels, target, p * channels);
        }
        return result;
    }

    /// <summary>Inverse of <see cref="Flatten"/>: [count, positions * C] to [count * positions, C].</summary>
    public static BitMatrix Unflatten(BitMatrix flat, int positions, int channels)
    {
        if (flat.Columns != positions * channels) throw new ArgumentException($"{flat.Columns} columns are not {positions} positions of {channels} channels");
        var result = new BitMatrix(flat.Rows * positions, channels);
        for (int n = 0; n < flat.Rows; n++)
            for (int p = 0; p < positions; p++)
                BitLowering.CopyBits(flat.Row(n), p * channels, result.Row(n * positions + p), channels);
        return result;
    }

    /// <summary>
    /// ORs the low <paramref name="count"/> bits of <paramref name="source"/> (zero above count) into
    /// <paramref name="target"/> at bit <paramref name="targetBit"/> (the target range must be zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AppendBits(ReadOnlySpan<ulong> source, int count, Span<ulong> target, int targetBit)
    {
        int words = (count + 63) >> 6, shift = targetBit & 63, first = targetBit >> 6;
        for (int w = 0; w < words; w++)
        {
            ulong value = source[w];
            int remaining = count - (w << 6);
            if (remaining < 64) value &= (1UL << remaining) - 1;
            target[first + w] |= value << shift;
            if (shift != 0 && first + w + 1 < target.Length) target[first + w + 1] |= value >> (64 - shift);
        }
    }
}
