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
/// is, per input i, a sum of the int16 rows Z[k, :] over the set bits of X^T[i, :]: vector adds
/// along the outputs, m * popcount * out / 16 of them, exact integers (hence identical to the
/// bit-plane path and independent of the thread count). Each task sums a block of inputs into an
/// L2-resident int buffer and writes its q columns directly, so no per-weight temporary is held.
/// </summary>
public static class SelectionSums
{
    private const int InputsPerTask = 32;

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
        if (inputs == 0 || columns == 0) return;
        int[] weights = planeWeights.ToArray();
        // int16 lanes stay exact while at most `chunk` rows of |v| <= maxAbs are added.
        int chunk = Math.Max(1, short.MaxValue / Math.Max(1, maxAbs));
        int tasks = (inputs + InputsPerTask - 1) / InputsPerTask;
        // Four Russians: with 16 subset sums per group of 4 samples, a selector row costs one row add
        // per non-zero nibble instead of one per set bit (about half for dense activations).
        int groups = (count + 3) / 4;
        short[]? tables = (long)groups * 16 * columns <= TableLimit ? BuildTables(values, count, columns, groups) : null;
        int tableChunk = Math.Max(1, short.MaxValue / Math.Max(1, 4 * maxAbs));
        Threading.For(tasks, threads, (start, end) =>
        {
            int[] sums = ArrayPool<int>.Shared.Rent(InputsPerTask * columns);
            int[] indices = ArrayPool<int>.Shared.Rent(Math.Max(1, count + 4));
            try
            {
                for (int task = start; task < end; task++)
                {
                    int i0 = task * InputsPerTask, i1 = Math.Min(inputs, i0 + InputsPerTask);
                    Array.Clear(sums, 0, (i1 - i0) * columns);
                    for (int i = i0; i < i1; i++)
                        for (int b = 0; b < planes; b++)
                        {
                            ReadOnlySpan<ulong> selector = selectors.Row(planeMajor ? b * inputs + i : i * planes + b);
                            if (tables is null) SumSelected(selector, values, columns, chunk, weights[b], indices, sums.AsSpan((i - i0) * columns, columns));
                            else SumNibbles(selector, tables, columns, tableChunk, weights[b], indices, sums.AsSpan((i - i0) * columns, columns));
                        }
                    WriteTransposed(sums, i1 - i0, columns, offsets, scale, output, inputs, i0);
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(sums);
                ArrayPool<int>.Shared.Return(indices);
            }
        }, work: (long)selectors.Rows * count * columns / 32);
    }

    /// <summary>
    /// output[j * inputs + i0 + i] = scale * (sums[i, j] - offsets[j]) for i &lt; rows: 8x8 blocks are
    /// transposed in registers (unpack/permute), so each output row gets 8 contiguous floats per store
    /// instead of one strided scalar at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteTransposed(int[] sums, int rows, int columns, int[]? offsets, float scale, float[] output, int inputs, int i0)
    {
        int fullRows = Avx2.IsSupported ? rows & ~7 : 0, fullColumns = Avx2.IsSupported ? columns & ~7 : 0;
        var scaleVector = Vector256.Create(scale);
        for (int ib = 0; ib < fullRows; ib += 8)
            for (int jb = 0; jb < fullColumns; jb += 8)
            {
                ref int source = ref sums[ib * columns + jb];
                Vector256<int> r0 = Vector256.LoadUnsafe(ref source), r1 = Vector256.LoadUnsafe(ref source, (nuint)columns);
                Vector256<int> r2 = Vector256.LoadUnsafe(ref source, (nuint)(2 * columns)), r3 = Vector256.LoadUnsafe(ref source, (nuint)(3 * columns));
                Vector256<int> r4 = Vector256.LoadUnsafe(ref source, (nuint)(4 * columns)), r5 = Vector256.LoadUnsafe(ref source, (nuint)(5 * columns));
                Vector256<int> r6 = Vector256.LoadUnsafe(ref source, (nuint)(6 * columns)), r7 = Vector256.LoadUnsafe(ref source, (nuint)(7 * columns));
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
                    Vector256<int> shifted = offsets is null ? column : column - Vector256.Create(offsets[j]);
                    (scaleVector * Vector256.ConvertToSingle(shifted)).StoreUnsafe(ref output[j * inputs + i0 + ib]);
                }
            }
        // Edges (rows or columns past the last full 8x8 block): scalar, same arithmetic.
        for (int j = 0; j < columns; j++)
        {
            int offset = offsets is null ? 0 : offsets[j];
            int start = j < fullColumns ? fullRows : 0;
            for (int i = start; i < rows; i++) output[j * inputs + i0 + i] = scale * (sums[i * columns + j] - offset);
        }
    }

    private const long TableLimit = 1 << 20; // int16 entries: 2 MiB of subset sums at most

    /// <summary>tables[(g * 16 + s) * columns + c] = sum over bits t of s of values[4g + t, c] (rows past count are 0).</summary>
    private static short[] BuildTables(short[] values, int count, int columns, int groups)
    {
        var tables = new short[groups * 16 * columns];
        for (int g = 0; g < groups; g++)
            for (int subset = 1; subset < 16; subset++)
            {
                int lowest = BitOperations.TrailingZeroCount(subset), k = 4 * g + lowest;
                Span<short> target = tables.AsSpan((g * 16 + subset) * columns, columns);
                tables.AsSpan((g * 16 + (subset & (subset - 1))) * columns, columns).CopyTo(target);
                if (k >= count) continue;
                ReadOnlySpan<short> row = values.AsSpan(k * columns, columns);
                for (int c = 0; c < columns; c++) target[c] += row[c];
            }
        return tables;
    }

    /// <summary>total[:] += weight * sum over the non-zero nibbles of <paramref name="selector"/> of their subset-sum rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumNibbles(ReadOnlySpan<ulong> selector, short[] tables, int columns, int chunk, int weight,
        int[] rows, Span<int> total)
    {
        int count = 0;
        for (int w = 0; w < selector.Length; w++)
        {
            ulong word = selector[w];
            for (int nibble = 0; word != 0; nibble++, word >>= 4)
            {
                int subset = (int)(word & 15);
                if (subset != 0) rows[count++] = ((w * 16 + nibble) * 16 + subset);
            }
        }
        AddRows(tables, rows, count, columns, chunk, weight, total);
    }

    /// <summary>total[:] += weight * sum over set bits k of <paramref name="selector"/> of values[k, :].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumSelected(ReadOnlySpan<ulong> selector, short[] values, int columns, int chunk, int weight,
        int[] indices, Span<int> total)
    {
        int count = 0;
        for (int w = 0; w < selector.Length; w++)
        {
            ulong word = selector[w];
            while (word != 0)
            {
                indices[count++] = (w << 6) + BitOperations.TrailingZeroCount(word);
                word &= word - 1;
            }
        }
        AddRows(values, indices, count, columns, chunk, weight, total);
    }

    /// <summary>total[:] += weight * sum of rows source[rows[t], :] for t &lt; count, in int16 chunks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddRows(short[] sourceArray, int[] indices, int count, int columns, int chunk, int weight, Span<int> total)
    {
        ref short source = ref sourceArray[0];
        for (int c0 = 0; c0 < count; c0 += chunk)
        {
            int c1 = Math.Min(count, c0 + chunk);
            int column = 0;
            // 64 int16 lanes in four registers accumulate over every selected row before one store:
            // the loop body is 4 loads + 4 adds, no stores (a load-add-store per row would double the traffic).
            for (; column + 64 <= columns; column += 64)
            {
                Vector256<short> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int t = c0; t < c1; t++)
                {
                    nuint offset = (nuint)(indices[t] * columns + column);
                    a0 += Vector256.LoadUnsafe(ref source, offset);
                    a1 += Vector256.LoadUnsafe(ref source, offset + 16);
                    a2 += Vector256.LoadUnsafe(ref source, offset + 32);
                    a3 += Vector256.LoadUnsafe(ref source, offset + 48);
                }
                AddWidened(total.Slice(column, 16), a0, weight);
                AddWidened(total.Slice(column + 16, 16), a1, weight);
                AddWidened(total.Slice(column + 32, 16), a2, weight);
                AddWidened(total.Slice(column + 48, 16), a3, weight);
            }
            for (; column + 16 <= columns; column += 16)
            {
                Vector256<short> a = default;
                for (int t = c0; t < c1; t++) a += Vector256.LoadUnsafe(ref source, (nuint)(indices[t] * columns + column));
                AddWidened(total.Slice(column, 16), a, weight);
            }
            for (; column < columns; column++)
            {
                int sum = 0;
                for (int t = c0; t < c1; t++) sum += sourceArray[indices[t] * columns + column];
                total[column] += weight * sum;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddWidened(Span<int> total, Vector256<short> sum, int weight)
    {
        (Vector256<int> low, Vector256<int> high) = Vector256.Widen(sum);
        ref int target = ref total[0];
        (Vector256.LoadUnsafe(ref target) + low * weight).StoreUnsafe(ref target);
        (Vector256.LoadUnsafe(ref target, 8) + high * weight).StoreUnsafe(ref target, 8);
    }
}
