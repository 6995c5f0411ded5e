using System.Numerics;
using System.Runtime.CompilerServices;

namespace BoolNet.Core.Operators;

/// <summary>
/// The reference path of <see cref="BinaryGemm"/>: one 64-bit word at a time with scalar popcount
/// (<c>BitOperations.PopCount</c> compiles to <c>popcnt</c> on x64). Every SIMD path is tested
/// bit-exact against this. Four B rows per pass so each A word is loaded once per four outputs.
/// </summary>
internal static class ScalarBinaryGemm
{
    /// <summary>counts[(i - rowStart) * n + j] = popcount(op(A[i], B[j])) for i in [rowStart, rowEnd), j &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Count(CountOperation operation, ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b,
        int rowStart, int rowEnd, int n, int words, Span<int> counts)
    {
        if (operation == CountOperation.Xor) CountCore<XorVectors>(a, b, rowStart, rowEnd, n, words, counts);
        else CountCore<AndVectors>(a, b, rowStart, rowEnd, n, words, counts);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CountCore<TOperation>(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b,
        int rowStart, int rowEnd, int n, int words, Span<int> counts)
        where TOperation : struct, IVectorOperation
    {
        for (int i = rowStart; i < rowEnd; i++)
        {
            ReadOnlySpan<ulong> rowA = a.Slice(i * words, words);
            Span<int> output = counts.Slice((i - rowStart) * n, n);
            int j = 0;
            for (; j + 4 <= n; j += 4)
            {
                ReadOnlySpan<ulong> b0 = b.Slice(j * words, words), b1 = b.Slice((j + 1) * words, words);
                ReadOnlySpan<ulong> b2 = b.Slice((j + 2) * words, words), b3 = b.Slice((j + 3) * words, words);
                int c0 = 0, c1 = 0, c2 = 0, c3 = 0;
                for (int w = 0; w < words; w++)
                {
                    ulong x = rowA[w];
                    c0 += BitOperations.PopCount(TOperation.Apply(x, b0[w]));
                    c1 += BitOperations.PopCount(TOperation.Apply(x, b1[w]));
                    c2 += BitOperations.PopCount(TOperation.Apply(x, b2[w]));
                    c3 += BitOperations.PopCount(TOperation.Apply(x, b3[w]));
                }
                output[j] = c0; output[j + 1] = c1; output[j + 2] = c2; output[j + 3] = c3;
            }
            for (; j < n; j++)
            {
                ReadOnlySpan<ulong> rowB = b.Slice(j * words, words);
                int c = 0;
                for (int w = 0; w < words; w++) c += BitOperations.PopCount(TOperation.Apply(rowA[w], rowB[w]));
                output[j] = c;
            }
        }
    }
}
