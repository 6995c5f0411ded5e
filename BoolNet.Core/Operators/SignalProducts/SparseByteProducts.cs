using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BoolNet.Core.Bits;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// A product of two small-integer matrices over a short shared dimension, where the first is
/// mostly zeros:
/// <code>
///   output[j, i] = scale * (factor * sum_k a[k, j] * b[k, i] - offsets[j])     a: int8 [K, J], b: uint8 [K, I]
/// </code>
/// Made for weight signals (Eq. 4): a is the quantised signal Z (batch x outputs), 80-90% zeros
/// once the surrogate and batch norm have shrunk it; b is the layer's input as bytes (bits 0/1,
/// or pixel levels). Rows k are taken in pairs, so one <c>vpmaddubsw</c> (uint8 x int8, adjacent
/// pairs summed into int16) does 2 of the K products for 32 outputs i at once, and a pair
/// (a[2p, j], a[2p+1, j]) that is zero is never visited: each row j costs its non-zero pairs times
/// I/32 vector steps, instead of K/4 table adds per bit (or per bit-plane) of a selection sum.
/// Rows j of the output are written whole and in order, which the prefetchers stream.
/// <para>
/// Exact integers: int16 lanes hold at most <c>chunk = 32767 / (2 max|a| max b)</c> pairs before
/// they are widened into int32, and a single pair can never saturate the int16 lane (checked: see
/// <see cref="Fits"/>). The result equals the reference of <see cref="SignalProducts"/> bit for bit,
/// on every ISA path and for any thread count.
/// </para>
/// </summary>
internal static class SparseByteProducts
{
    /// <summary>Weight signal q [out, m] = scale * (2 Z^T X - sum_k Z[k, :]), X [N, m] bits read as bytes 0/1.</summary>
    public static void WeightSignal<TRows>(SignalLevels z, BitMatrix inputs, float scale, float[] q, int threads, Isa isa, TRows rowsDone)
        where TRows : struct, IRowEpilogue =>
        Run(z.Levels, BitPacking.UnpackBytes(inputs, threads), z.Rows, z.Columns, inputs.Columns, factor: 2, SignalProducts.ColumnSums(z),
            scale, q, threads, isa, rowsDone);

    /// <summary>Weight signal q [out, m] = scale * Z^T u, u [N, m] unsigned byte values.</summary>
    public static void WeightSignal<TRows>(SignalLevels z, byte[] values, int columns, float scale, float[] q, int threads, Isa isa, TRows rowsDone)
        where TRows : struct, IRowEpilogue =>
        Run(z.Levels, values, z.Rows, z.Columns, columns, factor: 1, offsets: null, scale, q, threads, isa, rowsDone);

    /// <summary>Output columns per 512-bit step: 32 pairs of bytes.</summary>
    private const int Lanes512 = 32;

    /// <summary>Output columns per 256-bit step.</summary>
    private const int Lanes256 = 16;

    /// <summary>
    /// output[j * I + i] = scale * (factor * sum_k a[k * J + j] * b[k * I + i] - offsets[j]) for j &lt; J, i &lt; I.
    /// </summary>
    /// <param name="a">[K, J] signed bytes, mostly zero</param>
    /// <param name="b">[K, I] unsigned bytes</param>
    /// <param name="count">K, the shared dimension</param>
    /// <param name="rows">J, rows of the output</param>
    /// <param name="columns">I, columns of the output</param>
    /// <param name="factor">integer factor on the sums</param>
    /// <param name="offsets">[J] subtracted after the factor, or null</param>
    /// <param name="scale">final float factor</param>
    /// <param name="output">[J, I] row-major</param>
    /// <param name="threads">0 for the default</param>
    /// <param name="isa">AVX2 (256-bit rows) or AVX-512 (512-bit rows)</param>
    /// <param name="rowsDone">applied to every output row once it is final, on the thread that wrote it</param>
    public static void Run<TRows>(sbyte[] a, byte[] b, int count, int rows, int columns, int factor, int[]? offsets, float scale,
        float[] output, int threads, Isa isa, TRows rowsDone)
        where TRows : struct, IRowEpilogue
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (a.Length < (long)count * rows) throw new ArgumentException($"a holds {a.Length} values, needs {(long)count * rows}");
        if (b.Length < (long)count * columns) throw new ArgumentException($"b holds {b.Length} values, needs {(long)count * columns}");
        if (output.Length < (long)rows * columns) throw new ArgumentException($"output holds {output.Length}, needs {(long)rows * columns}");
        if (offsets is not null && offsets.Length < rows) throw new ArgumentException($"offsets hold {offsets.Length}, need {rows}");
        if (rows == 0 || columns == 0) return;
        Isa path = isa;
        if (path is not (Isa.Avx2 or Isa.Avx512) || !IsaSelection.IsSupported(path)) throw new PlatformNotSupportedException($"the sparse byte products need AVX2, not {path}");
        long pairMax = 2L * MaxAbs(a.AsSpan(0, count * rows)) * Max(b.AsSpan(0, count * columns));
        if (pairMax > short.MaxValue) throw new ArgumentException($"a pair of products reaches {pairMax}, past the int16 lanes of vpmaddubsw");
        int chunk = (int)Math.Min(int.MaxValue, short.MaxValue / Math.Max(1, pairMax));
        int pairs = (count + 1) / 2;
        int stride = (columns + Lanes512 - 1) / Lanes512 * Lanes512; // padded columns of the paired b
        byte[] paired = ArrayPool<byte>.Shared.Rent(Math.Max(1, pairs * stride * 2));
        int[] pairStart = ArrayPool<int>.Shared.Rent(rows + 1);
        try
        {
            PairColumns(b, count, columns, stride, paired);
            (int[] pairIndex, short[] pairWord) = NonZeroPairs(a, count, rows, pairStart, threads);
            try
            {
                Threading.For(rows, threads, (start, end) =>
                {
                    for (int j = start; j < end; j++)
                    {
                        int first = pairStart[j], last = pairStart[j + 1];
                        int offset = offsets is null ? 0 : offsets[j];
                        Span<float> target = output.AsSpan(j * columns, columns);
                        if (path == Isa.Avx512) Row512(paired, stride, pairIndex, pairWord, first, last, chunk, factor, offset, scale, target);
                        else Row256(paired, stride, pairIndex, pairWord, first, last, chunk, factor, offset, scale, target);
                        rowsDone.Apply(j, j + 1); // row j is whole and in this core's cache
                    }
                }, work: (long)pairStart[rows] * stride / 16 + rows * (long)columns);
            }
            finally
            {
                ArrayPool<int>.Shared.Return(pairIndex);
                ArrayPool<short>.Shared.Return(pairWord);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(paired);
            ArrayPool<int>.Shared.Return(pairStart);
        }
    }

    /// <summary>
    /// True when signed levels of <paramref name="signalPlanes"/> planes (|a| &lt;= 2^(P-1) - 1) times
    /// unsigned values of <paramref name="valueBits"/> bits cannot saturate a vpmaddubsw pair, so
    /// <see cref="Run"/> can take them.
    /// </summary>
    public static bool Fits(int signalPlanes, int valueBits) =>
        2L * ((1L << (signalPlanes - 1)) - 1) * ((1L << valueBits) - 1) <= short.MaxValue;

    /// <summary>
    /// paired[(p * stride + i) * 2 + t] = b[(2p + t) * I + i]: rows 2p and 2p+1 interleaved byte by
    /// byte, the operand layout of vpmaddubsw; zero past row K and column I.
    /// </summary>
    private static void PairColumns(byte[] b, int count, int columns, int stride, byte[] paired)
    {
        int pairs = (count + 1) / 2;
        for (int p = 0; p < pairs; p++)
        {
            Span<byte> target = paired.AsSpan(p * stride * 2, stride * 2);
            ReadOnlySpan<byte> even = b.AsSpan(2 * p * columns, columns);
            ReadOnlySpan<byte> odd = 2 * p + 1 < count ? b.AsSpan((2 * p + 1) * columns, columns) : default;
            int i = 0;
            if (Sse2.IsSupported && !odd.IsEmpty)
            {
                // punpcklbw/punpckhbw interleave 16 + 16 bytes into 16 pairs.
                for (; i + 16 <= columns; i += 16)
                {
                    Vector128<byte> e = Vector128.Create(even.Slice(i, 16)), o = Vector128.Create(odd.Slice(i, 16));
                    Sse2.UnpackLow(e, o).CopyTo(target.Slice(2 * i, 16));
                    Sse2.UnpackHigh(e, o).CopyTo(target.Slice(2 * i + 16, 16));
                }
            }
            for (; i < columns; i++)
            {
                target[2 * i] = even[i];
                target[2 * i + 1] = odd.IsEmpty ? (byte)0 : odd[i];
            }
            target[(2 * columns)..].Clear();
        }
    }

    /// <summary>max |v| (128 for -128).</summary>
    internal static int MaxAbs(ReadOnlySpan<sbyte> values)
    {
        int i = 0, max = 0;
        var vector = Vector256<byte>.Zero;
        // |v| of -128 wraps to 0x80 as a byte, which is 128 read unsigned: exactly right.
        for (; i + 32 <= values.Length; i += 32) vector = Vector256.Max(vector, Vector256.Abs(Vector256.Create(values.Slice(i, 32))).AsByte());
        for (int lane = 0; lane < 32; lane++) max = Math.Max(max, vector[lane]);
        for (; i < values.Length; i++) max = Math.Max(max, Math.Abs((int)values[i]));
        return max;
    }

    /// <summary>max v.</summary>
    private static int Max(ReadOnlySpan<byte> values)
    {
        int i = 0, max = 0;
        var vector = Vector256<byte>.Zero;
        for (; i + 32 <= values.Length; i += 32) vector = Vector256.Max(vector, Vector256.Create(values.Slice(i, 32)));
        for (int lane = 0; lane < 32; lane++) max = Math.Max(max, vector[lane]);
        for (; i < values.Length; i++) max = Math.Max(max, values[i]);
        return max;
    }

    /// <summary>
    /// Bit t of the result: a pair (even[j0 + t], odd[j0 + t]) is non-zero, for t &lt; 32 (a 256-bit
    /// compare and vpmovmskb; a missing odd row counts as zeros).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint NonZeroMask(ReadOnlySpan<sbyte> even, ReadOnlySpan<sbyte> odd, int j0)
    {
        Vector256<sbyte> either = Vector256.Create(even.Slice(j0, 32));
        if (!odd.IsEmpty) either |= Vector256.Create(odd.Slice(j0, 32));
        return ~Vector256.Equals(either, Vector256<sbyte>.Zero).ExtractMostSignificantBits();
    }

    /// <summary>
    /// For each row j, its non-zero pairs p (a[2p, j], a[2p+1, j]) as index and little-endian word,
    /// at pairStart[j] .. pairStart[j + 1] (compressed rows, p ascending). Threads take 32-row
    /// strips of j for the count and the fill (each writes only its own rows' slots); the prefix sum
    /// between them is serial and 1024 additions long.
    /// </summary>
    private static (int[] Index, short[] Word) NonZeroPairs(sbyte[] a, int count, int rows, int[] pairStart, int threads)
    {
        int pairs = (count + 1) / 2;
        int strips = (rows + 31) / 32;
        Span<int> counts = pairStart.AsSpan(0, rows + 1);
        counts.Clear();
        long work = (long)pairs * rows;
        Threading.For(strips, threads, (first, end) =>
        {
            var counter = new PairCounter(pairStart);
            for (int strip = first; strip < end; strip++) ForStrip(a, count, rows, strip, ref counter);
        }, work: work);
        for (int j = 0; j < rows; j++) counts[j + 1] += counts[j];
        int total = counts[rows];
        int[] index = ArrayPool<int>.Shared.Rent(Math.Max(1, total));
        short[] word = ArrayPool<short>.Shared.Rent(Math.Max(1, total));
        int[] next = ArrayPool<int>.Shared.Rent(rows);
        try
        {
            counts[..rows].CopyTo(next);
            Threading.For(strips, threads, (first, end) =>
            {
                var filler = new PairFiller(next, index, word);
                for (int strip = first; strip < end; strip++) ForStrip(a, count, rows, strip, ref filler);
            }, work: work);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(next);
        }
        return (index, word);
    }

    /// <summary>
    /// Visits the non-zero pairs of rows [32 strip, 32 strip + 32) in ascending p. The visitor is a
    /// struct type argument, so each use is compiled with its visit inlined (no call per pair).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForStrip<TVisitor>(sbyte[] a, int count, int rows, int strip, ref TVisitor visitor)
        where TVisitor : struct, IPairVisitor
    {
        int pairs = (count + 1) / 2;
        int j0 = strip * 32, j1 = Math.Min(rows, j0 + 32);
        for (int p = 0; p < pairs; p++)
        {
            ReadOnlySpan<sbyte> even = a.AsSpan(2 * p * rows, rows);
            ReadOnlySpan<sbyte> odd = 2 * p + 1 < count ? a.AsSpan((2 * p + 1) * rows, rows) : default;
            if (j1 - j0 == 32)
            {
                for (uint mask = NonZeroMask(even, odd, j0); mask != 0; mask &= mask - 1)
                    visitor.Visit(j0 + System.Numerics.BitOperations.TrailingZeroCount(mask), p, even, odd);
                continue;
            }
            for (int j = j0; j < j1; j++)
                if (even[j] != 0 || (!odd.IsEmpty && odd[j] != 0)) visitor.Visit(j, p, even, odd);
        }
    }

    private interface IPairVisitor
    {
        void Visit(int column, int p, ReadOnlySpan<sbyte> even, ReadOnlySpan<sbyte> odd);
    }

    /// <summary>Counts row j's non-zero pairs into counts[j + 1].</summary>
    private readonly struct PairCounter(int[] counts) : IPairVisitor
    {
        public void Visit(int column, int p, ReadOnlySpan<sbyte> even, ReadOnlySpan<sbyte> odd) => counts[column + 1]++;
    }

    /// <summary>Appends pair p of row j at row j's next slot: its index and its little-endian word.</summary>
    private readonly struct PairFiller(int[] next, int[] index, short[] word) : IPairVisitor
    {
        public void Visit(int column, int p, ReadOnlySpan<sbyte> even, ReadOnlySpan<sbyte> odd)
        {
            int slot = next[column]++;
            index[slot] = p;
            word[slot] = (short)((byte)even[column] | ((odd.IsEmpty ? 0 : odd[column]) << 8));
        }
    }

    /// <summary>
    /// One output row on 512-bit vectors: four 32-column blocks share each broadcast pair word, so
    /// the loop issues four independent vpmaddubsw/vpaddw chains per pair.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row512(byte[] paired, int stride, int[] pairIndex, short[] pairWord, int first, int last, int chunk,
        int factor, int offset, float scale, Span<float> target)
    {
        int columns = target.Length;
        ref byte basePair = ref MemoryMarshal.GetArrayDataReference(paired);
        Span<float> tail = stackalloc float[Lanes512];
        for (int i0 = 0; i0 < columns; i0 += 4 * Lanes512)
        {
            int blocks = Math.Min(4, (columns - i0 + Lanes512 - 1) / Lanes512);
            Vector512<int> w0 = default, w1 = default, w2 = default, w3 = default, w4 = default, w5 = default, w6 = default, w7 = default;
            for (int c0 = first; c0 < last; c0 += chunk)
            {
                int c1 = Math.Min(last, c0 + chunk);
                Vector512<short> s0 = default, s1 = default, s2 = default, s3 = default;
                ref short words = ref MemoryMarshal.GetArrayDataReference(pairWord);
                ref int indices = ref MemoryMarshal.GetArrayDataReference(pairIndex);
                if (blocks == 4)
                {
                    for (int n = c0; n < c1; n++)
                    {
                        Vector512<sbyte> word = Vector512.Create(Unsafe.Add(ref words, n)).AsSByte();
                        ref byte row = ref Unsafe.Add(ref basePair, (Unsafe.Add(ref indices, n) * stride + i0) * 2);
                        s0 += Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref row), word);
                        s1 += Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref row, 64), word);
                        s2 += Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref row, 128), word);
                        s3 += Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref row, 192), word);
                    }
                }
                else
                {
                    // The last 1-3 blocks of the row (loads stay inside the padded pair row).
                    for (int n = c0; n < c1; n++)
                    {
                        Vector512<sbyte> word = Vector512.Create(Unsafe.Add(ref words, n)).AsSByte();
                        ref byte row = ref Unsafe.Add(ref basePair, (Unsafe.Add(ref indices, n) * stride + i0) * 2);
                        s0 += Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref row), word);
                        if (blocks > 1) s1 += Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref row, 64), word);
                        if (blocks > 2) s2 += Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref row, 128), word);
                    }
                }
                (Vector512<int> l0, Vector512<int> h0) = Widen512(s0);
                (Vector512<int> l1, Vector512<int> h1) = Widen512(s1);
                (Vector512<int> l2, Vector512<int> h2) = Widen512(s2);
                (Vector512<int> l3, Vector512<int> h3) = Widen512(s3);
                w0 += l0; w1 += h0; w2 += l1; w3 += h1; w4 += l2; w5 += h2; w6 += l3; w7 += h3;
            }
            var factorVector = Vector512.Create(factor);
            var offsetVector = Vector512.Create(offset);
            var scaleVector = Vector512.Create(scale);
            Span<Vector512<int>> wide = [w0, w1, w2, w3, w4, w5, w6, w7];
            for (int block = 0; block < blocks; block++)
            {
                int start = i0 + block * Lanes512, width = Math.Min(Lanes512, columns - start);
                Vector512<float> low = scaleVector * Vector512.ConvertToSingle(factorVector * wide[2 * block] - offsetVector);
                Vector512<float> high = scaleVector * Vector512.ConvertToSingle(factorVector * wide[2 * block + 1] - offsetVector);
                if (width == Lanes512)
                {
                    low.StoreUnsafe(ref target[start]);
                    high.StoreUnsafe(ref target[start], 16);
                }
                else
                {
                    low.CopyTo(tail);
                    high.CopyTo(tail[16..]);
                    tail[..width].CopyTo(target.Slice(start, width));
                }
            }
        }
    }

    /// <summary>
    /// vpmaddubsw leaves the sum of pair t in 16-bit lane t, i.e. output column i0 + t; sign-extend
    /// lanes 0..15 and 16..31 into two int32 vectors in column order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<int> Low, Vector512<int> High) Widen512(Vector512<short> sums) =>
        (Avx512BW.ConvertToVector512Int32(sums.GetLower()), Avx512BW.ConvertToVector512Int32(sums.GetUpper()));

    /// <summary>
    /// One output row on 256-bit vectors (AVX2): eight 16-column blocks (128 columns) share each
    /// broadcast pair word, so the index load, address arithmetic and broadcast of a pair are paid once
    /// per 8 vpmaddubsw instead of once per 2, and eight independent add chains fill the two vector
    /// ALUs. Nine accumulators and the word fit AVX2's 16 ymm registers. The last &lt; 128 columns take
    /// 32-column passes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row256(byte[] paired, int stride, int[] pairIndex, short[] pairWord, int first, int last, int chunk,
        int factor, int offset, float scale, Span<float> target)
    {
        int columns = target.Length;
        ref byte basePair = ref MemoryMarshal.GetArrayDataReference(paired);
        ref short words = ref MemoryMarshal.GetArrayDataReference(pairWord);
        ref int indices = ref MemoryMarshal.GetArrayDataReference(pairIndex);
        Span<int> wide = stackalloc int[8 * Lanes256];
        int i0 = 0;
        for (; i0 + 8 * Lanes256 <= columns; i0 += 8 * Lanes256)
        {
            wide.Clear();
            for (int c0 = first; c0 < last; c0 += chunk)
            {
                int c1 = Math.Min(last, c0 + chunk);
                Vector256<short> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
                for (int n = c0; n < c1; n++)
                {
                    Vector256<sbyte> word = Vector256.Create(Unsafe.Add(ref words, n)).AsSByte();
                    ref byte row = ref Unsafe.Add(ref basePair, (Unsafe.Add(ref indices, n) * stride + i0) * 2);
                    s0 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref row), word);
                    s1 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref row, 32), word);
                    s2 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref row, 64), word);
                    s3 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref row, 96), word);
                    s4 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref row, 128), word);
                    s5 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref row, 160), word);
                    s6 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref row, 192), word);
                    s7 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref row, 224), word);
                }
                AddWidened(s0, wide, 0); AddWidened(s1, wide, 1); AddWidened(s2, wide, 2); AddWidened(s3, wide, 3);
                AddWidened(s4, wide, 4); AddWidened(s5, wide, 5); AddWidened(s6, wide, 6); AddWidened(s7, wide, 7);
            }
            for (int block = 0; block < 8; block++)
                StoreBlock(wide.Slice(block * Lanes256, Lanes256), factor, offset, scale, target.Slice(i0 + block * Lanes256, Lanes256));
        }
        Span<float> tail = stackalloc float[Lanes256];
        for (; i0 < columns; i0 += 2 * Lanes256)
        {
            bool two = columns - i0 > Lanes256;
            wide[..(2 * Lanes256)].Clear();
            for (int c0 = first; c0 < last; c0 += chunk)
            {
                int c1 = Math.Min(last, c0 + chunk);
                Vector256<short> s0 = default, s1 = default;
                for (int n = c0; n < c1; n++)
                {
                    Vector256<sbyte> word = Vector256.Create(Unsafe.Add(ref words, n)).AsSByte();
                    ref byte row = ref Unsafe.Add(ref basePair, (Unsafe.Add(ref indices, n) * stride + i0) * 2);
                    s0 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref row), word);
                    if (two) s1 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref row, 32), word);
                }
                AddWidened(s0, wide, 0);
                AddWidened(s1, wide, 1);
            }
            for (int block = 0; block < (two ? 2 : 1); block++)
            {
                int start = i0 + block * Lanes256, width = Math.Min(Lanes256, columns - start);
                if (width == Lanes256) StoreBlock(wide.Slice(block * Lanes256, Lanes256), factor, offset, scale, target.Slice(start, Lanes256));
                else
                {
                    StoreBlock(wide.Slice(block * Lanes256, Lanes256), factor, offset, scale, tail);
                    tail[..width].CopyTo(target.Slice(start, width));
                }
            }
        }
    }

    /// <summary>
    /// vpmaddubsw leaves the sum of pair t in 16-bit lane t (output column t of the block): sign-extend
    /// lanes 0..7 and 8..15 and add them, in column order, to block <paramref name="block"/> of <paramref name="wide"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddWidened(Vector256<short> sums, Span<int> wide, int block)
    {
        Span<int> destination = wide.Slice(block * Lanes256, Lanes256);
        (Vector256.Create<int>(destination) + Avx2.ConvertToVector256Int32(sums.GetLower())).CopyTo(destination);
        (Vector256.Create<int>(destination[8..]) + Avx2.ConvertToVector256Int32(sums.GetUpper())).CopyTo(destination[8..]);
    }

    /// <summary>target[t] = scale * (factor * sums[t] - offset) for the 16 columns of a block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreBlock(ReadOnlySpan<int> sums, int factor, int offset, float scale, Span<float> target)
    {
        var factorVector = Vector256.Create(factor);
        var offsetVector = Vector256.Create(offset);
        var scaleVector = Vector256.Create(scale);
        (scaleVector * Vector256.ConvertToSingle(factorVector * Vector256.Create<int>(sums) - offsetVector)).CopyTo(target);
        (scaleVector * Vector256.ConvertToSingle(factorVector * Vector256.Create<int>(sums[8..]) - offsetVector)).CopyTo(target[8..]);
    }
}
