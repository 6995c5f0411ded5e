using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using BoolNet.Core.Bits;
using BoolNet.Core.Kernels;

namespace BoolNet.Layers.Numerics;

/// <summary>
/// Weighted sums of bit-plane products on the AND-popcount kernel (ALGORITHMS.md sections 2-3).
/// A holds <c>R * P</c> rows (row <c>r * P + p</c> is plane p of operand row r, weight
/// <c>aWeights[p]</c>), B holds <c>n * Q</c> rows (row <c>i * Q + c</c> is plane c of row i,
/// weight <c>bWeights[c]</c>), both packed along the contraction K. Then
/// <code>
///   uncentred: out[r, i] = scale * sum_p sum_c aW[p] bW[c] popcount(A[rP+p] AND B[iQ+c])
///   centred (Q = 1, B read as e(b) = +-1):
///              out[r, i] = scale * sum_p aW[p] (2 popcount(A[rP+p] AND B[i]) - popcount(A[rP+p]))
/// </code>
/// The centred form is sum_k Z[r,k] e(B[i,k]) for the integer Z = sum_p aW[p] A-plane p; every
/// contraction runs as ONE counting GEMM per task over stacked plane rows. Sums are exact integers
/// (long where they may overflow) and scaled once, so results are identical for any thread count.
/// </summary>
public static class PlaneProducts
{
    private const int BufferInts = 1 << 16; // per-task count buffer: 256 KiB stays in L2 next to B

    /// <summary>Computes <paramref name="output"/>[R, n] as described on the class.</summary>
    public static void Run(BitMatrix a, ReadOnlySpan<int> aWeights, BitMatrix b, ReadOnlySpan<int> bWeights,
        bool centred, float scale, float[] output, int threads = 0, Isa? isa = null)
    {
        int p = aWeights.Length, q = bWeights.Length;
        if (a.Columns != b.Columns) throw new ArgumentException($"contraction lengths differ: {a.Columns} and {b.Columns}");
        if (p == 0 || a.Rows % p != 0) throw new ArgumentException($"A has {a.Rows} rows, not a multiple of {p} planes");
        if (q == 0 || b.Rows % q != 0) throw new ArgumentException($"B has {b.Rows} rows, not a multiple of {q} planes");
        if (centred && q != 1) throw new ArgumentException("the centred form takes one plane of B");
        int rows = a.Rows / p, n = b.Rows / q;
        if (output.Length < (long)rows * n) throw new ArgumentException($"output holds {output.Length}, needs {(long)rows * n}");
        if (rows == 0 || n == 0) return;
        int[] aw = aWeights.ToArray(), bw = bWeights.ToArray();
        int[]? rowCounts = null;
        if (centred)
        {
            rowCounts = new int[a.Rows];
            for (int r = 0; r < a.Rows; r++) rowCounts[r] = a.PopCount(r);
        }
        int rowsPerTask = Math.Max(1, BufferInts / Math.Max(1, p * b.Rows));
        int tasks = (rows + rowsPerTask - 1) / rowsPerTask;
        long work = (long)a.Rows * b.Rows * Math.Max(1, a.WordsPerRow);
        Isa chosen = isa ?? IsaSelection.Current;
        Threading.For(tasks, threads, (start, end) =>
        {
            int[] counts = ArrayPool<int>.Shared.Rent(rowsPerTask * p * b.Rows);
            try
            {
                for (int task = start; task < end; task++)
                {
                    int r0 = task * rowsPerTask, r1 = Math.Min(rows, r0 + rowsPerTask);
                    int planeRows = (r1 - r0) * p;
                    BinaryGemm.Count(CountOperation.And, a.RowRange(r0 * p, planeRows), b.Words, planeRows, b.Rows,
                        a.WordsPerRow, counts, threads: 1, chosen);
                    for (int r = r0; r < r1; r++)
                    {
                        Span<int> block = counts.AsSpan((r - r0) * p * b.Rows, p * b.Rows);
                        Span<float> target = output.AsSpan(r * n, n);
                        if (centred) CombineCentred(block, aw, rowCounts!.AsSpan(r * p, p), n, scale, target);
                        else CombineUncentred(block, aw, bw, n, scale, target);
                    }
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(counts);
            }
        }, work: work);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CombineCentred(ReadOnlySpan<int> counts, int[] weights, ReadOnlySpan<int> rowCounts, int n, float scale, Span<float> target)
    {
        // sum_p w_p (2 C_p - pop_p) = 2 sum_p w_p C_p - sum_p w_p pop_p
        int offset = 0;
        for (int plane = 0; plane < weights.Length; plane++) offset += weights[plane] * rowCounts[plane];
        Span<int> sum = n <= 4096 ? stackalloc int[n] : new int[n];
        sum.Clear();
        for (int plane = 0; plane < weights.Length; plane++)
        {
            int w = 2 * weights[plane];
            if (w == 0) continue;
            ReadOnlySpan<int> c = counts.Slice(plane * n, n);
            int i = 0;
            var wv = new Vector<int>(w);
            for (; i + Vector<int>.Count <= n; i += Vector<int>.Count)
                (new Vector<int>(sum.Slice(i)) + wv * new Vector<int>(c.Slice(i))).CopyTo(sum.Slice(i));
            for (; i < n; i++) sum[i] += w * c[i];
        }
        int j = 0;
        var offsetVector = new Vector<int>(offset);
        var scaleVector = new Vector<float>(scale);
        for (; j + Vector<int>.Count <= n; j += Vector<int>.Count)
            (scaleVector * Vector.ConvertToSingle(new Vector<int>(sum.Slice(j)) - offsetVector)).CopyTo(target.Slice(j));
        for (; j < n; j++) target[j] = scale * (sum[j] - offset);
    }

    private static void CombineUncentred(ReadOnlySpan<int> counts, int[] aWeights, int[] bWeights, int n, float scale, Span<float> target)
    {
        int q = bWeights.Length, width = n * q;
        for (int i = 0; i < n; i++)
        {
            long sum = 0;
            for (int plane = 0; plane < aWeights.Length; plane++)
            {
                ReadOnlySpan<int> c = counts.Slice(plane * width + i * q, q);
                long inner = 0;
                for (int bp = 0; bp < q; bp++) inner += (long)bWeights[bp] * c[bp];
                sum += aWeights[plane] * inner;
            }
            target[i] = scale * sum;
        }
    }
}
