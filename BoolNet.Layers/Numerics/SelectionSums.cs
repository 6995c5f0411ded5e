using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BoolNet.Core.Bits;
using BoolNet.Core.Kernels;

namespace BoolNet.Layers.Numerics;

/// <summary>
/// Weight signals (ALGORITHMS.md Eq. 4) as sums of integer signal rows selected by bits: for a
/// contraction over a short batch the bit-plane AND-popcount GEMM produces P * out * m outputs of
/// two or three words each, where tile overhead dominates. Reading the bits as selectors instead,
/// <code>
///   q[j, i] = sum_k Z[k, j] e(x_ki) = 2 sum_(k: x_ki = 1) Z[k, j] - sum_k Z[k, j]
/// </code>
/// is, per input i, a sum of the int16 rows Z[k, :] over the set bits of X^T[i, :]: exact integers
/// (hence identical to the bit-plane path and independent of the thread count).
/// <para>
/// Four Russians: the batch is cut into groups of 4 samples, and a table holds the 16 subset sums
/// of each group, so a selector costs one row add per non-zero nibble (about half the set bits).
/// The work is split over blocks of 32 outputs j: a thread builds the table of its block alone,
/// groups x 16 rows of 32 int16 = one 64-byte line each (25 KiB for a batch of 100), which stays
/// in L1 while every selector of every input reads it. A table over all outputs (800 KiB) would
/// live in L2, and its rows, 2 KiB apart, would all fall into the same few L1 sets.
/// </para>
/// </summary>
public static class SelectionSums
{
    /// <summary>Outputs j per block: 32 int16 lanes, two 256-bit registers, one cache line.</summary>
    private const int BlockWidth = 32;

    /// <summary>Inputs whose sums are buffered before one transposed write.</summary>
    private const int InputsPerFlush = 32;

    /// <summary>
    /// output[j, i] = scale * (sum_b planeWeights[b] * sum_(k: selectors[i*B + b, k] = 1) values[k, j] - offsets[j])
    /// for i &lt; I = selectors.Rows / B, j &lt; J = <paramref name="columns"/>.
    /// </summary>
    /// <param name="selectors">[I * B, K] bits (B = planeWeights.Length planes per input)</param>
    /// <param name="planeWeights">weight of each selector plane</param>
    /// <param name="values">[K, J] integers with |v| &lt;= <paramref name="maxAbs"/></param>
    /// <param name="columns">J</param>
    /// <param name="maxAbs">bound on |values| (sets how many rows an int16 lane may add safely)</param>
    /// <param name="offsets">[J] subtracted before scaling, or null</param>
    /// <param name="scale">final factor</param>
    /// <param name="output">[J, I] row-major</param>
    /// <param name="threads">0 for the default</param>
    /// <param name="planeMajor">false: row i*B + b holds plane b of input i; true: row b*I + i</param>
    public static void Run(BitMatrix selectors, ReadOnlySpan<int> planeWeights, short[] values, int columns, int maxAbs,
        int[]? offsets, float scale, float[] output, int threads = 0, bool planeMajor = false)
    {
        int planes = planeWeights.Length, count = selectors.Columns;
        if (planes == 0 || selectors.Rows % planes != 0) throw new ArgumentException($"{selectors.Rows} selector rows are not a multiple of {planes} planes");
        int inputs = selectors.Rows / planes;
        if (values.Length < (long)count * columns) throw new ArgumentException($"values hold {values.Length}, need {(long)count * columns}");
        if (output.Length < (long)inputs * columns) throw new ArgumentException($"output holds {output.Length}, needs {(long)inputs * columns}");
        if (offsets is not null && offsets.Length < columns) throw new ArgumentException($"offsets hold {offsets.Length}, need {columns}");
        if (inputs == 0 || columns == 0) return;
        int[] weights = planeWeights.ToArray();
        int groups = (count + 3) / 4;
        // A subset sum is at most 4 * maxAbs, so an int16 lane stays exact over this many of them.
        int chunk = Math.Max(1, short.MaxValue / Math.Max(1, 4 * maxAbs));
        // When the whole weighted sum is bounded by the int16 range (the usual case: a batch of 100
        // and 4-plane signals give at most 2 * 25 * 28 = 1400), every plane adds into one int16
        // accumulator and the sum is widened once, with no per-chunk flushes.
        long bound = 0;
        foreach (int weight in weights) bound += Math.Abs((long)weight) * groups * 4 * Math.Max(1, maxAbs);
        bool narrow = bound <= short.MaxValue;
        (int[] tableRows, int[] rowCounts) = NibbleRows(selectors, groups, threads);
        int blocks = (columns + BlockWidth - 1) / BlockWidth;
        // A block's outputs are a strip of 32 rows of q, filled 32 inputs at a time. Written in place,
        // those 32 short runs land on 32 rows 4*inputs bytes apart in a 4 MiB array: the writes miss
        // cache, each line is fetched for ownership at memory latency, and no prefetcher sees a stream
        // (measured: 1.1 of 1.7 ms for a 1024x1024 q). The strip is filled in a thread-local buffer
        // (128 KiB, in L2), padded by 16 floats so its rows do not share L1 sets, then copied out row
        // by row.
        int stripStride = inputs + 16;
        try
        {
            Threading.For(blocks, threads, (start, end) =>
            {
                short[] table = ArrayPool<short>.Shared.Rent(Math.Max(1, groups) * 16 * BlockWidth);
                int[] sums = ArrayPool<int>.Shared.Rent(InputsPerFlush * BlockWidth);
                float[] strip = ArrayPool<float>.Shared.Rent(BlockWidth * stripStride);
                try
                {
                    for (int block = start; block < end; block++)
                    {
                        int j0 = block * BlockWidth, width = Math.Min(BlockWidth, columns - j0);
                        BuildTable(values, count, columns, groups, j0, width, table);
                        for (int i0 = 0; i0 < inputs; i0 += InputsPerFlush)
                        {
                            int i1 = Math.Min(inputs, i0 + InputsPerFlush);
                            for (int i = i0; i < i1; i++)
                                if (narrow) SumInputNarrow(table, tableRows, rowCounts, groups, i, inputs, planeMajor, weights, sums.AsSpan((i - i0) * BlockWidth, BlockWidth));
                                else SumInput(table, tableRows, rowCounts, groups, i, inputs, planeMajor, weights, chunk, sums.AsSpan((i - i0) * BlockWidth, BlockWidth));
                            WriteTransposed(sums, BlockWidth, i1 - i0, width, j0, offsets, scale, strip, stripStride, i0);
                        }
                        // The block's rows leave as whole contiguous rows, which the prefetchers stream.
                        for (int j = 0; j < width; j++)
                            strip.AsSpan(j * stripStride, inputs).CopyTo(output.AsSpan((j0 + j) * inputs, inputs));
                    }
                }
                finally
                {
                    ArrayPool<short>.Shared.Return(table);
                    ArrayPool<int>.Shared.Return(sums);
                    ArrayPool<float>.Shared.Return(strip);
                }
            }, work: (long)selectors.Rows * count * columns / 32);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(tableRows);
            ArrayPool<int>.Shared.Return(rowCounts);
        }
    }

    /// <summary>
    /// For each selector row r, the table rows g * 16 + s of its non-zero nibbles s (group g), at
    /// tableRows[r * groups ..], and how many there are in rowCounts[r]. Shared by every block.
    /// </summary>
    private static (int[] TableRows, int[] RowCounts) NibbleRows(BitMatrix selectors, int groups, int threads)
    {
        int rows = selectors.Rows;
        int[] tableRows = ArrayPool<int>.Shared.Rent(Math.Max(1, rows * groups));
        int[] rowCounts = ArrayPool<int>.Shared.Rent(Math.Max(1, rows));
        Threading.For(rows, threads, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                ReadOnlySpan<ulong> selector = selectors.Row(r);
                Span<int> target = tableRows.AsSpan(r * groups, groups);
                int n = 0;
                for (int w = 0; w < selector.Length; w++)
                {
                    ulong word = selector[w];
                    while (word != 0)
                    {
                        int nibble = BitOperations.TrailingZeroCount(word) >> 2;
                        target[n++] = (w * 16 + nibble) * 16 + (int)((word >> (4 * nibble)) & 15);
                        word &= ~(15UL << (4 * nibble));
                    }
                }
                rowCounts[r] = n;
            }
        }, work: (long)rows * selectors.WordsPerRow * 16);
        return (tableRows, rowCounts);
    }

    /// <summary>
    /// table[(g * 16 + s) * 32 + c] = sum over the bits t of s of values[4g + t, j0 + c] for c &lt; width
    /// (zero past width and past the last sample): each subset is its lowest bit's row plus an
    /// earlier subset, one vector add per 16 lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BuildTable(short[] values, int count, int columns, int groups, int j0, int width, short[] table)
    {
        Span<short> row = stackalloc short[BlockWidth];
        ref short t = ref table[0];
        for (int g = 0; g < groups; g++)
        {
            nuint groupBase = (nuint)(g * 16 * BlockWidth);
            Vector256<short>.Zero.StoreUnsafe(ref t, groupBase);
            Vector256<short>.Zero.StoreUnsafe(ref t, groupBase + 16);
            // Highest bit first, so the earlier subset (this one without its lowest bit, which has
            // only higher bits) is always filled before it is read.
            for (int bit = 3; bit >= 0; bit--)
            {
                int k = 4 * g + bit;
                row.Clear();
                if (k < count) values.AsSpan(k * columns + j0, width).CopyTo(row);
                Vector256<short> low = Vector256.Create<short>(row[..16]), high = Vector256.Create<short>(row[16..]);
                // Subsets whose lowest set bit is `bit`: (1 << bit) | (higher bits) = earlier subset + this row.
                for (int subset = 1 << bit; subset < 16; subset += 2 << bit)
                {
                    nuint target = groupBase + (nuint)(subset * BlockWidth), source = groupBase + (nuint)((subset & (subset - 1)) * BlockWidth);
                    (Vector256.LoadUnsafe(ref t, source) + low).StoreUnsafe(ref t, target);
                    (Vector256.LoadUnsafe(ref t, source + 16) + high).StoreUnsafe(ref t, target + 16);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="SumInput"/> when |sum_b weights[b] * rows| provably fits int16: one int16 total,
    /// each plane's rows added into its own accumulator and multiplied in (vpmullw) once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumInputNarrow(short[] table, int[] tableRows, int[] rowCounts, int groups, int i, int inputs, bool planeMajor,
        int[] weights, Span<int> sums)
    {
        Vector256<short> totalLow = default, totalHigh = default;
        for (int b = 0; b < weights.Length; b++)
        {
            int r = planeMajor ? b * inputs + i : i * weights.Length + b;
            int first = r * groups;
            (Vector256<short> low, Vector256<short> high) = AddTableRows(table, tableRows, first, first + rowCounts[r]);
            short weight = (short)weights[b];
            totalLow += low * weight;
            totalHigh += high * weight;
        }
        (Vector256<int> s0, Vector256<int> s1) = Vector256.Widen(totalLow);
        (Vector256<int> s2, Vector256<int> s3) = Vector256.Widen(totalHigh);
        ref int target = ref sums[0];
        s0.StoreUnsafe(ref target);
        s1.StoreUnsafe(ref target, 8);
        s2.StoreUnsafe(ref target, 16);
        s3.StoreUnsafe(ref target, 24);
    }

    /// <summary>
    /// The int16 sums over 32 lanes (low 16, high 16) of the table rows tableRows[first .. last).
    /// Each row is two loads and two adds from L1; two rows per iteration into separate
    /// accumulators keep four independent add chains in flight.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<short> Low, Vector256<short> High) AddTableRows(short[] table, int[] tableRows, int first, int last)
    {
        ref short t = ref table[0];
        ref int rowIndex = ref tableRows[0];
        Vector256<short> low = default, high = default, low2 = default, high2 = default;
        int c = first;
        for (; c + 2 <= last; c += 2)
        {
            nuint one = (nuint)(Unsafe.Add(ref rowIndex, c) * BlockWidth), two = (nuint)(Unsafe.Add(ref rowIndex, c + 1) * BlockWidth);
            low += Vector256.LoadUnsafe(ref t, one);
            high += Vector256.LoadUnsafe(ref t, one + 16);
            low2 += Vector256.LoadUnsafe(ref t, two);
            high2 += Vector256.LoadUnsafe(ref t, two + 16);
        }
        if (c < last)
        {
            nuint one = (nuint)(Unsafe.Add(ref rowIndex, c) * BlockWidth);
            low += Vector256.LoadUnsafe(ref t, one);
            high += Vector256.LoadUnsafe(ref t, one + 16);
        }
        return (low + low2, high + high2);
    }

    /// <summary>sums[c] = sum_b weights[b] * sum of the table rows of selector (i, b), for the 32 lanes of a block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumInput(short[] table, int[] tableRows, int[] rowCounts, int groups, int i, int inputs, bool planeMajor,
        int[] weights, int chunk, Span<int> sums)
    {
        Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int b = 0; b < weights.Length; b++)
        {
            int r = planeMajor ? b * inputs + i : i * weights.Length + b;
            int first = r * groups, last = first + rowCounts[r];
            for (int c0 = first; c0 < last; c0 += chunk)
            {
                int c1 = Math.Min(last, c0 + chunk);
                (Vector256<short> low, Vector256<short> high) = AddTableRows(table, tableRows, c0, c1);
                int weight = weights[b];
                (Vector256<int> w0, Vector256<int> w1) = Vector256.Widen(low);
                (Vector256<int> w2, Vector256<int> w3) = Vector256.Widen(high);
                s0 += w0 * weight;
                s1 += w1 * weight;
                s2 += w2 * weight;
                s3 += w3 * weight;
            }
        }
        ref int target = ref sums[0];
        s0.StoreUnsafe(ref target);
        s1.StoreUnsafe(ref target, 8);
        s2.StoreUnsafe(ref target, 16);
        s3.StoreUnsafe(ref target, 24);
    }

    /// <summary>
    /// target[j * targetStride + i0 + i] = scale * (sums[i * stride + j] - offsets[j0 + j]) for i &lt; rows,
    /// j &lt; columns: 8x8 blocks are transposed in registers (unpack/permute), so each output row gets
    /// 8 contiguous floats per store instead of one strided scalar at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteTransposed(int[] sums, int stride, int rows, int columns, int j0, int[]? offsets, float scale, float[] target, int targetStride, int i0)
    {
        int fullRows = Avx2.IsSupported ? rows & ~7 : 0, fullColumns = Avx2.IsSupported ? columns & ~7 : 0;
        var scaleVector = Vector256.Create(scale);
        for (int ib = 0; ib < fullRows; ib += 8)
            for (int jb = 0; jb < fullColumns; jb += 8)
            {
                ref int source = ref sums[ib * stride + jb];
                Vector256<int> r0 = Vector256.LoadUnsafe(ref source), r1 = Vector256.LoadUnsafe(ref source, (nuint)stride);
                Vector256<int> r2 = Vector256.LoadUnsafe(ref source, (nuint)(2 * stride)), r3 = Vector256.LoadUnsafe(ref source, (nuint)(3 * stride));
                Vector256<int> r4 = Vector256.LoadUnsafe(ref source, (nuint)(4 * stride)), r5 = Vector256.LoadUnsafe(ref source, (nuint)(5 * stride));
                Vector256<int> r6 = Vector256.LoadUnsafe(ref source, (nuint)(6 * stride)), r7 = Vector256.LoadUnsafe(ref source, (nuint)(7 * stride));
                Vector256<int> t0 = Avx2.UnpackLow(r0, r1), t1 = Avx2.UnpackHigh(r0, r1), t2 = Avx2.UnpackLow(r2, r3), t3 = Avx2.UnpackHigh(r2, r3);
                Vector256<int> t4 = Avx2.UnpackLow(r4, r5), t5 = Avx2.UnpackHigh(r4, r5), t6 = Avx2.UnpackLow(r6, r7), t7 = Avx2.UnpackHigh(r6, r7);
                Vector256<int> u0 = Avx2.UnpackLow(t0.AsInt64(), t2.AsInt64()).AsInt32(), u1 = Avx2.UnpackHigh(t0.AsInt64(), t2.AsInt64()).AsInt32();
                Vector256<int> u2 = Avx2.UnpackLow(t1.AsInt64(), t3.AsInt64()).AsInt32(), u3 = Avx2.UnpackHigh(t1.AsInt64(), t3.AsInt64()).AsInt32();
                Vector256<int> u4 = Avx2.UnpackLow(t4.AsInt64(), t6.AsInt64()).AsInt32(), u5 = Avx2.UnpackHigh(t4.AsInt64(), t6.AsInt64()).AsInt32();
                Vector256<int> u6 = Avx2.UnpackLow(t5.AsInt64(), t7.AsInt64()).AsInt32(), u7 = Avx2.UnpackHigh(t5.AsInt64(), t7.AsInt64()).AsInt32();
                Store(Avx2.Permute2x128(u0, u4, 0x20), jb + 0);
                Store(Avx2.Permute2x128(u1, u5, 0x20), jb + 1);
                Store(Avx2.Permute2x128(u2, u6, 0x20), jb + 2);
                Store(Avx2.Permute2x128(u3, u7, 0x20), jb + 3);
                Store(Avx2.Permute2x128(u0, u4, 0x31), jb + 4);
                Store(Avx2.Permute2x128(u1, u5, 0x31), jb + 5);
                Store(Avx2.Permute2x128(u2, u6, 0x31), jb + 6);
                Store(Avx2.Permute2x128(u3, u7, 0x31), jb + 7);

                void Store(Vector256<int> column, int j)
                {
                    Vector256<int> shifted = offsets is null ? column : column - Vector256.Create(offsets[j0 + j]);
                    (scaleVector * Vector256.ConvertToSingle(shifted)).StoreUnsafe(ref target[j * targetStride + i0 + ib]);
                }
            }
        // Edges (rows or columns past the last full 8x8 block): scalar, same arithmetic.
        for (int j = 0; j < columns; j++)
        {
            int offset = offsets is null ? 0 : offsets[j0 + j];
            int start = j < fullColumns ? fullRows : 0;
            for (int i = start; i < rows; i++) target[j * targetStride + i0 + i] = scale * (sums[i * stride + j] - offset);
        }
    }
}
