using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BoolNet.Core.Bits;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// Weighted sums of bit-plane products on the AND-popcount kernel (docs/ALGORITHMS.md sections 2-3,
/// "bit-serial"). A holds <c>R * P</c> rows (row <c>r * P + p</c> is plane p of operand row r, weight
/// <c>aWeights[p]</c>), B holds <c>n * Q</c> rows (row <c>i * Q + c</c> is plane c of row i, weight
/// <c>bWeights[c]</c>), both packed along the contraction K. Then
/// <code>
///   uncentred: out[r, i] = scale * sum_p sum_c aW[p] bW[c] popcount(A[rP+p] AND B[iQ+c])
///   centred (Q = 1, B read as e(b) = +-1):
///              out[r, i] = scale * sum_p aW[p] (2 popcount(A[rP+p] AND B[i]) - popcount(A[rP+p]))
///                        = scale * (2 sum_k Y[r,k] b[i,k] - sum_k Y[r,k])   for the integers Y = sum_p aW[p] A-plane p
/// </code>
/// Every contraction runs as ONE counting GEMM per task over stacked plane rows. Sums are exact
/// integers and scaled once, so results are identical for any thread count and ISA. Used by the
/// bit-plane first layer's forward (Y = pixel levels u, B = W) and as the popcount algorithm of
/// <see cref="SignalProducts"/> (Y = signal levels Z).
/// </summary>
public static class PlaneProducts
{
    private const int BufferInts = 1 << 16; // per-task count buffer: 256 KiB stays in L2 next to B

    /// <summary>Computes <paramref name="output"/>[R, n] as described on the class, on <see cref="IsaSelection.Current"/>.</summary>
    public static void Run(BitMatrix a, ReadOnlySpan<int> aWeights, BitMatrix b, ReadOnlySpan<int> bWeights,
        bool centred, float scale, float[] output, int threads = 0) =>
        Run(a, aWeights, b, bWeights, centred, scale, output, threads, IsaSelection.Current);

    /// <summary>Computes <paramref name="output"/>[R, n] as described on the class, on the given ISA path.</summary>
    public static void Run(BitMatrix a, ReadOnlySpan<int> aWeights, BitMatrix b, ReadOnlySpan<int> bWeights,
        bool centred, float scale, float[] output, int threads, Isa isa) =>
        Run(a, aWeights, b, bWeights, centred, excludedSums: null, scale, output, threads, isa, default(NoRowEpilogue));

    /// <summary>
    /// The class formula with optional exclusions and a row epilogue. <paramref name="excludedSums"/>
    /// [R, G] (centred only) drops the entries of column group g (columns g*n/G .. (g+1)*n/G - 1) that
    /// read 0 rather than +-1 (a convolution's excluded padding, whose bits are 0): their rows' Y
    /// summed, subtracted from the centring sum. <paramref name="rowsDone"/> receives every finished
    /// output row range once, on the thread that wrote it.
    /// </summary>
    internal static void Run<TRows>(BitMatrix a, ReadOnlySpan<int> aWeights, BitMatrix b, ReadOnlySpan<int> bWeights,
        bool centred, int[]? excludedSums, float scale, float[] output, int threads, Isa isa, TRows rowsDone)
        where TRows : struct, IRowEpilogue
    {
        int p = aWeights.Length, q = bWeights.Length;
        if (a.Columns != b.Columns) throw new ArgumentException($"contraction lengths differ: {a.Columns} and {b.Columns}");
        if (p == 0 || a.Rows % p != 0) throw new ArgumentException($"A has {a.Rows} rows, not a multiple of {p} planes");
        if (q == 0 || b.Rows % q != 0) throw new ArgumentException($"B has {b.Rows} rows, not a multiple of {q} planes");
        if (centred && q != 1) throw new ArgumentException("the centred form takes one plane of B");
        int rows = a.Rows / p, n = b.Rows / q;
        if (output.Length < (long)rows * n) throw new ArgumentException($"output holds {output.Length}, needs {(long)rows * n}");
        int groups = excludedSums is null || rows == 0 ? 1 : excludedSums.Length / rows;
        if (excludedSums is not null && (!centred || groups * rows != excludedSums.Length || n % groups != 0))
            throw new ArgumentException($"excluded sums [{rows}, G] must divide {n} columns into G equal groups (centred form only)");
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
                        a.WordsPerRow, counts, threads: 1, isa);
                    for (int r = r0; r < r1; r++)
                    {
                        Span<int> block = counts.AsSpan((r - r0) * p * b.Rows, p * b.Rows);
                        Span<float> target = output.AsSpan(r * n, n);
                        if (!centred) CombineUncentred(block, aw, bw, n, scale, target);
                        else if (excludedSums is null) CombineCentred(block, aw, rowCounts!.AsSpan(r * p, p), n, scale, target);
                        else CombineCentredExcluding(block, aw, rowCounts!.AsSpan(r * p, p), excludedSums.AsSpan(r * groups, groups), n, scale, target);
                    }
                    rowsDone.Apply(r0, r1);
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(counts);
            }
        }, work: work);
    }

    /// <summary>Weight of plane p of a two's-complement level: 2^p, and -2^(P-1) for the sign plane.</summary>
    public static int[] SignedWeights(int planes)
    {
        SignalQuantizer.CheckPlanes(planes);
        var weights = new int[planes];
        for (int p = 0; p < planes; p++) weights[p] = p == planes - 1 ? -(1 << p) : 1 << p;
        return weights;
    }

    /// <summary>Weight of plane b of an unsigned level: 2^b.</summary>
    public static int[] UnsignedWeights(int planes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(planes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(planes, 8);
        var weights = new int[planes];
        for (int p = 0; p < planes; p++) weights[p] = 1 << p;
        return weights;
    }

    /// <summary>
    /// Bit-planes of byte values v [rows, columns] stacked row-wise: result [rows * P, columns], row
    /// r*P + p holds bit p of v[r, :] (two's-complement levels as their bytes, or unsigned levels),
    /// packed along columns.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static BitMatrix Pack(ReadOnlySpan<byte> values, int rows, int columns, int planes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(planes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(planes, 8);
        var result = new BitMatrix(rows * planes, columns);
        int wordsPerRow = result.WordsPerRow;
        ulong[] words = result.Words;
        Span<ulong> accumulated = stackalloc ulong[8];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<byte> row = values.Slice(r * columns, columns);
            int w = 0;
            // 64 values per word: shifting plane p into each byte's top bit and reading the 32 top
            // bits with one vpmovmskb packs a plane of 32 values in two instructions.
            for (; (w + 1) * 64 <= columns; w++)
            {
                Vector256<byte> low = Vector256.Create(row.Slice(w * 64, 32)), high = Vector256.Create(row.Slice(w * 64 + 32, 32));
                for (int p = 0; p < planes; p++)
                {
                    ulong bits = Vector256.ShiftLeft(low, 7 - p).ExtractMostSignificantBits()
                               | ((ulong)Vector256.ShiftLeft(high, 7 - p).ExtractMostSignificantBits() << 32);
                    words[(r * planes + p) * wordsPerRow + w] = bits;
                }
            }
            for (; w < wordsPerRow; w++)
            {
                accumulated.Clear();
                int start = w << 6, end = Math.Min(columns, start + 64);
                for (int c = start; c < end; c++)
                {
                    int v = row[c];
                    if (v == 0) continue;
                    ulong bit = 1UL << (c - start);
                    for (int p = 0; p < planes; p++)
                        if (((v >> p) & 1) != 0) accumulated[p] |= bit;
                }
                for (int p = 0; p < planes; p++) words[(r * planes + p) * wordsPerRow + w] = accumulated[p];
            }
        }
        return result;
    }

    /// <summary>
    /// Bit-planes of byte values v [rows, columns] stacked per column: result [columns * P, rows],
    /// row c*P + p holds bit p of v[:, c], packed along rows (a contraction over rows, e.g. the batch of Eq. 4).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static BitMatrix PackTransposed(ReadOnlySpan<byte> values, int rows, int columns, int planes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(planes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(planes, 8);
        var result = new BitMatrix(columns * planes, rows);
        int wordsPerRow = result.WordsPerRow;
        ulong[] words = result.Words;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<byte> row = values.Slice(r * columns, columns);
            int word = r >> 6;
            ulong bit = 1UL << (r & 63);
            for (int c = 0; c < columns; c++)
            {
                int v = row[c];
                if (v == 0) continue;
                int baseRow = c * planes;
                for (int p = 0; p < planes; p++)
                    if (((v >> p) & 1) != 0) words[(baseRow + p) * wordsPerRow + word] |= bit;
            }
        }
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CombineCentred(ReadOnlySpan<int> counts, int[] weights, ReadOnlySpan<int> rowCounts, int n, float scale, Span<float> target)
    {
        // sum_p w_p (2 C_p - pop_p) = 2 sum_p w_p C_p - sum_p w_p pop_p
        int offset = Offset(weights, rowCounts);
        Span<int> sum = n <= 4096 ? stackalloc int[n] : new int[n];
        WeightedSum(counts, weights, n, sum);
        int j = 0;
        var offsetVector = new Vector<int>(offset);
        var scaleVector = new Vector<float>(scale);
        for (; j + Vector<int>.Count <= n; j += Vector<int>.Count)
            (scaleVector * Vector.ConvertToSingle(new Vector<int>(sum.Slice(j)) - offsetVector)).CopyTo(target.Slice(j));
        for (; j < n; j++) target[j] = scale * (sum[j] - offset);
    }

    /// <summary><see cref="CombineCentred"/> with the centring sum reduced per column group by the excluded rows' sum.</summary>
    private static void CombineCentredExcluding(ReadOnlySpan<int> counts, int[] weights, ReadOnlySpan<int> rowCounts,
        ReadOnlySpan<int> excluded, int n, float scale, Span<float> target)
    {
        int offset = Offset(weights, rowCounts), width = n / excluded.Length;
        Span<int> sum = n <= 4096 ? stackalloc int[n] : new int[n];
        WeightedSum(counts, weights, n, sum);
        for (int j = 0; j < n; j++) target[j] = scale * (sum[j] - (offset - excluded[j / width]));
    }

    /// <summary>sum_p w_p pop_p: the row's sum of Y over K.</summary>
    private static int Offset(int[] weights, ReadOnlySpan<int> rowCounts)
    {
        int offset = 0;
        for (int plane = 0; plane < weights.Length; plane++) offset += weights[plane] * rowCounts[plane];
        return offset;
    }

    /// <summary>sum[i] = sum_p 2 w_p counts[p, i].</summary>
    private static void WeightedSum(ReadOnlySpan<int> counts, int[] weights, int n, Span<int> sum)
    {
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
