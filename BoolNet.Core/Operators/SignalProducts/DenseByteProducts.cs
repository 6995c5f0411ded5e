using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BoolNet.Core.Bits;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// A dense product of small integers over a shared dimension K taken two at a time:
/// <code>
///   output[r, i] = scale * (factor * sum_k a[r, k] * b[k, i] - offsets[r])     a: int8, b: uint8
/// </code>
/// given as the <c>vpmaddubsw</c> operands: <see cref="PairedA"/> words A2[r, p] = (a[r, 2p], a[r, 2p+1])
/// (two int8 in a little-endian 16-bit word, stored twice in an int so that the broadcast is a plain
/// 32-bit load-broadcast, a load-port op, where a 16-bit broadcast also takes a shuffle) and <see cref="PairedB"/> B2[p, i] = (b[2p, i], b[2p+1, i])
/// interleaved byte by byte, stored in 32-column panels: panel c holds, for p = 0..pairs-1, the 64
/// bytes of columns 32c..32c+31, so the tile streams one contiguous panel (rows of B2 one after the
/// other would be 2 KB apart for 1024 columns: every load in the same two L1 sets, measured 3x slower).
/// One <c>vpmaddubsw</c> of a B2 vector with a broadcast A2 word does two K steps for 16 outputs.
/// <para>
/// Made for the Boolean backward at 5-8 signal planes, where 30-50 % of the quantised signal Z is
/// non-zero and the sparse kernel (<see cref="SparseByteProducts"/>, one load per product) and the
/// bit-plane popcounts (one AND-popcount GEMM per plane) both cost more than the dense product:
/// a register tile of 4 rows x 32 columns loads each B2 vector once for 4 rows and keeps 8 int16
/// accumulators, 8 <c>vpmaddubsw</c> per 2 loads and 4 broadcasts (on AVX-512 the same on zmm, 4 rows x
/// 64 columns: DenseByteProducts.Wide.cs). Input signal g = Z e(W) uses
/// a = Z [N, out], b = W bits; weight signal q = Z^T e(X) uses a = Z^T, b = X bits.
/// </para>
/// <para>
/// Exact integers: int16 lanes take at most <c>32767 / (2 max|a| max b)</c> pairs before they are
/// widened into int32, and one pair never saturates <c>vpmaddubsw</c> (checked). The result equals
/// the reference of <see cref="SignalProducts"/> bit for bit on every path and thread count.
/// </para>
/// </summary>
internal static partial class DenseByteProducts
{
    /// <summary>Input signal g [N, m] = scale * (2 Z W - sum_j Z[:, j]): a = Z [N, out] paired along out, b = W [out, m] bits.</summary>
    public static void InputSignal(SignalLevels z, BitMatrix weights, float scale, float[] g, int threads, Isa isa, PairedBitsCache? weightPairs)
    {
        int pairs = (z.Columns + 1) / 2;
        int[] pairedA = ArrayPool<int>.Shared.Rent(Math.Max(1, z.Rows * pairs));
        try
        {
            PairedA(z.Levels, z.Rows, z.Columns, pairedA);
            RunOnBits(pairedA, z.Rows, weights, SignalProducts.RowSums(z), scale, g, threads, isa, weightPairs, default(NoRowEpilogue));
        }
        finally
        {
            ArrayPool<int>.Shared.Return(pairedA);
        }
    }

    /// <summary>Weight signal q [out, m] = scale * (2 Z^T X - sum_k Z[k, :]): a = Z^T [out, N] paired along the batch, b = X [N, m] bits.</summary>
    public static void WeightSignal<TRows>(SignalLevels z, BitMatrix inputs, float scale, float[] q, int threads, Isa isa, TRows rowsDone)
        where TRows : struct, IRowEpilogue
    {
        int pairs = (z.Rows + 1) / 2;
        int[] pairedA = ArrayPool<int>.Shared.Rent(Math.Max(1, z.Columns * pairs));
        try
        {
            PairedATransposed(z.Levels, z.Rows, z.Columns, pairedA, threads);
            RunOnBits(pairedA, z.Columns, inputs, SignalProducts.ColumnSums(z), scale, q, threads, isa, null, rowsDone);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(pairedA);
        }
    }

    /// <summary>
    /// output [rows, b.Columns] = scale * (2 A2 B2 - offsets), B2 the pair bytes of the bits b [2 pairs, columns]
    /// (kept up to date by <paramref name="pairsOfB"/> when given, else paired afresh into a pooled buffer).
    /// </summary>
    private static void RunOnBits<TRows>(int[] pairedA, int rows, BitMatrix b, int[] offsets, float scale, float[] output, int threads, Isa isa,
        PairedBitsCache? pairsOfB, TRows rowsDone)
        where TRows : struct, IRowEpilogue
    {
        int pairs = (b.Rows + 1) / 2;
        byte[]? pooledB = pairsOfB is null ? ArrayPool<byte>.Shared.Rent(Math.Max(1, PairedBytes(pairs, b.Columns))) : null;
        try
        {
            byte[] pairedB;
            if (pooledB is null) pairedB = pairsOfB!.Pair(b, threads);
            else PairedB(b, pairedB = pooledB, threads);
            Run(pairedA, pairedB, pairs, rows, b.Columns, valueMax: 1, factor: 2, offsets, scale, output, threads, isa, rowsDone);
        }
        finally
        {
            if (pooledB is not null) ArrayPool<byte>.Shared.Return(pooledB);
        }
    }

    /// <summary>Output rows per register tile.</summary>
    private const int TileRows = 4;

    /// <summary>Output columns per register tile: two ymm vectors of 16 pairs.</summary>
    private const int TileColumns = 32;

    /// <summary>
    /// Pair words of a row-major a [rows, count]: result [rows, pairs] with word (r, p) =
    /// a[r, 2p] | a[r, 2p+1] &lt;&lt; 8 (a missing last element is 0), doubled into both halves of an int.
    /// </summary>
    public static void PairedA(ReadOnlySpan<sbyte> a, int rows, int count, Span<int> result)
    {
        CheckLength(a.Length, (long)rows * count, "a");
        int pairs = (count + 1) / 2;
        CheckLength(result.Length, (long)rows * pairs, "paired a");
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<sbyte> row = a.Slice(r * count, count);
            Span<int> target = result.Slice(r * pairs, pairs);
            int p = 0;
            if (count % 2 == 0 && Avx2.IsSupported)
            {
                // 8 pair words zero-extended to 32 bits, then copied into the high halves.
                ReadOnlySpan<ushort> words = MemoryMarshal.Cast<sbyte, ushort>(row);
                for (; p + 8 <= pairs; p += 8)
                {
                    Vector256<int> wide = Avx2.ConvertToVector256Int32(Vector128.Create(words.Slice(p, 8)));
                    (wide | Avx2.ShiftLeftLogical(wide, 16)).CopyTo(target.Slice(p, 8));
                }
            }
            for (; p < pairs; p++)
            {
                int k = 2 * p;
                int high = k + 1 < count ? row[k + 1] : 0;
                target[p] = Doubled((byte)row[k] | (high << 8));
            }
        }
    }

    /// <summary>A 16-bit pair word in both halves of an int.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Doubled(int word) => (int)((uint)(ushort)word * 0x10001u);

    /// <summary>
    /// Pair words of the transpose of a row-major a [count, rows] (a signal [N, out] contracted over
    /// the batch N): result [rows, pairs] with word (r, p) = a[2p, r] | a[2p+1, r] &lt;&lt; 8.
    /// </summary>
    public static void PairedATransposed(sbyte[] a, int count, int rows, int[] result, int threads = 1)
    {
        CheckLength(a.Length, (long)count * rows, "a");
        int pairs = (count + 1) / 2;
        CheckLength(result.Length, (long)rows * pairs, "paired a");
        // Blocks of 64 rows r, split over threads: the 64 x pairs words of a block (13 KB for a batch
        // of 100) stay in L1 while the pairs are read row-major, so the strided writes do not miss.
        Threading.For((rows + 63) / 64, threads, (start, end) =>
        {
            for (int block = start; block < end; block++)
                PairBlock(a, count, rows, result, block * 64, Math.Min(rows, block * 64 + 64));
        }, work: (long)count * rows);
    }

    /// <summary>
    /// Rows [r0, r1) of <see cref="PairedATransposed"/>: 8 rows x 8 pairs at a time where both levels of
    /// every pair exist (8 pair words per pair from two 8-byte loads, then an 8 x 8 transpose of int32
    /// so that each row's 8 words are one store), the rest one word at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairBlock(sbyte[] a, int count, int rows, int[] result, int r0, int r1)
    {
        int pairs = (count + 1) / 2, wholePairs = count / 2;
        int r = r0;
        if (Avx2.IsSupported)
            for (; r + 8 <= r1; r += 8)
            {
                int p = 0;
                for (; p + 8 <= wholePairs; p += 8) PairEight(a, rows, result, pairs, r, p);
                PairWords(a, count, rows, result, r, r + 8, p);
            }
        PairWords(a, count, rows, result, r, r1, 0);
    }

    /// <summary>Pair words of rows [r0, r1) from pair <paramref name="p0"/> on, one at a time.</summary>
    private static void PairWords(sbyte[] a, int count, int rows, int[] result, int r0, int r1, int p0)
    {
        int pairs = (count + 1) / 2;
        for (int p = p0; p < pairs; p++)
        {
            ReadOnlySpan<sbyte> even = a.AsSpan(2 * p * rows, rows);
            ReadOnlySpan<sbyte> odd = 2 * p + 1 < count ? a.AsSpan((2 * p + 1) * rows, rows) : default;
            for (int r = r0; r < r1; r++)
                result[r * pairs + p] = Doubled((byte)even[r] | ((odd.IsEmpty ? 0 : odd[r]) << 8));
        }
    }

    /// <summary>Pair words of rows r .. r+7 and pairs p .. p+7 (all 16 levels of each row present).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PairEight(sbyte[] a, int rows, int[] result, int pairs, int r, int p)
    {
        ref sbyte levels = ref MemoryMarshal.GetArrayDataReference(a);
        Span<Vector256<int>> words = stackalloc Vector256<int>[8];
        for (int t = 0; t < 8; t++)
        {
            // Lane j: the word of row r + j at pair p + t.
            var even = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref levels, (2 * (p + t)) * rows + r)))).AsByte();
            var odd = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref levels, (2 * (p + t) + 1) * rows + r)))).AsByte();
            Vector256<int> wide = Avx2.ConvertToVector256Int32(Sse2.UnpackLow(even, odd).AsUInt16());
            words[t] = wide | Avx2.ShiftLeftLogical(wide, 16);
        }
        // 8 x 8 transpose: row j of the result is lane j of every word vector.
        Vector256<int> t0 = Avx2.UnpackLow(words[0], words[1]), t1 = Avx2.UnpackHigh(words[0], words[1]);
        Vector256<int> t2 = Avx2.UnpackLow(words[2], words[3]), t3 = Avx2.UnpackHigh(words[2], words[3]);
        Vector256<int> t4 = Avx2.UnpackLow(words[4], words[5]), t5 = Avx2.UnpackHigh(words[4], words[5]);
        Vector256<int> t6 = Avx2.UnpackLow(words[6], words[7]), t7 = Avx2.UnpackHigh(words[6], words[7]);
        Vector256<int> u0 = Avx2.UnpackLow(t0.AsInt64(), t2.AsInt64()).AsInt32(), u1 = Avx2.UnpackHigh(t0.AsInt64(), t2.AsInt64()).AsInt32();
        Vector256<int> u2 = Avx2.UnpackLow(t1.AsInt64(), t3.AsInt64()).AsInt32(), u3 = Avx2.UnpackHigh(t1.AsInt64(), t3.AsInt64()).AsInt32();
        Vector256<int> u4 = Avx2.UnpackLow(t4.AsInt64(), t6.AsInt64()).AsInt32(), u5 = Avx2.UnpackHigh(t4.AsInt64(), t6.AsInt64()).AsInt32();
        Vector256<int> u6 = Avx2.UnpackLow(t5.AsInt64(), t7.AsInt64()).AsInt32(), u7 = Avx2.UnpackHigh(t5.AsInt64(), t7.AsInt64()).AsInt32();
        Span<int> target = result.AsSpan(r * pairs + p);
        Avx2.Permute2x128(u0, u4, 0x20).CopyTo(target);
        Avx2.Permute2x128(u1, u5, 0x20).CopyTo(target[pairs..]);
        Avx2.Permute2x128(u2, u6, 0x20).CopyTo(target[(2 * pairs)..]);
        Avx2.Permute2x128(u3, u7, 0x20).CopyTo(target[(3 * pairs)..]);
        Avx2.Permute2x128(u0, u4, 0x31).CopyTo(target[(4 * pairs)..]);
        Avx2.Permute2x128(u1, u5, 0x31).CopyTo(target[(5 * pairs)..]);
        Avx2.Permute2x128(u2, u6, 0x31).CopyTo(target[(6 * pairs)..]);
        Avx2.Permute2x128(u3, u7, 0x31).CopyTo(target[(7 * pairs)..]);
    }

    /// <summary>Bytes of B2 for <paramref name="pairs"/> pairs and <paramref name="columns"/> columns (whole panels).</summary>
    public static int PairedBytes(int pairs, int columns) => (columns + TileColumns - 1) / TileColumns * pairs * TileColumns * 2;

    /// <summary>Index in B2 of the byte pair (b[2p, i], b[2p+1, i]) (its first byte).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int PairedIndex(int p, int i, int pairs) => ((i / TileColumns * pairs + p) * TileColumns + i % TileColumns) * 2;

    /// <summary>
    /// B2 of a bit matrix b [count, columns] read as bytes 0/1, zero past the last row and column:
    /// per 32 columns, each row's 32 bits become 32 bytes (vpshufb spreads bit-byte t/8 to byte t, a
    /// compare against 1 &lt;&lt; (t mod 8) isolates the bit) and vpunpcklbw/hbw interleave the two rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PairedB(BitMatrix b, byte[] result, int threads = 0)
    {
        int count = b.Rows, columns = b.Columns, pairs = (count + 1) / 2;
        CheckLength(result.Length, PairedBytes(pairs, columns), "paired b");
        Threading.For(pairs, threads, (start, end) =>
        {
            for (int p = start; p < end; p++) PairRows(b, result, p);
        }, work: (long)pairs * columns * 2);
    }

    /// <summary>
    /// Writes pair <paramref name="p"/> of <see cref="PairedB"/> (rows 2p and 2p+1 of b, every column)
    /// into <paramref name="result"/>; the rest of it is untouched.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PairRows(BitMatrix b, byte[] result, int p)
    {
        int count = b.Rows, columns = b.Columns, pairs = (count + 1) / 2;
        if ((uint)p >= (uint)pairs) throw new ArgumentOutOfRangeException(nameof(p), $"pair {p} of {pairs}");
        CheckLength(result.Length, PairedBytes(pairs, columns), "paired b");
        ReadOnlySpan<ulong> even = b.Row(2 * p);
        ReadOnlySpan<ulong> odd = 2 * p + 1 < count ? b.Row(2 * p + 1) : default;
        for (int c0 = 0; c0 < columns; c0 += TileColumns)
        {
            int width = Math.Min(TileColumns, columns - c0);
            uint mask = width == TileColumns ? uint.MaxValue : (1u << width) - 1;
            uint evenBits = (uint)(even[c0 >> 6] >> (c0 & 63)) & mask;
            uint oddBits = odd.IsEmpty ? 0 : (uint)(odd[c0 >> 6] >> (c0 & 63)) & mask;
            Span<byte> target = result.AsSpan(PairedIndex(p, c0, pairs), TileColumns * 2);
            if (Avx2.IsSupported)
            {
                Vector256<byte> e = SpreadBits(evenBits), o = SpreadBits(oddBits);
                Vector256<byte> low = Avx2.UnpackLow(e, o), high = Avx2.UnpackHigh(e, o); // columns 0-7|16-23, 8-15|24-31
                Avx2.Permute2x128(low, high, 0x20).CopyTo(target);
                Avx2.Permute2x128(low, high, 0x31).CopyTo(target[32..]);
                continue;
            }
            for (int t = 0; t < TileColumns; t++)
            {
                target[2 * t] = (byte)((evenBits >> t) & 1);
                target[2 * t + 1] = (byte)((oddBits >> t) & 1);
            }
        }
    }

    /// <summary>Byte t = bit t of <paramref name="bits"/> (0 or 1), t &lt; 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> SpreadBits(uint bits)
    {
        // Each 128-bit lane holds the 4 bit-bytes; bytes 0-15 take bit-bytes 0,1 and bytes 16-31 bit-bytes 2,3.
        Vector256<byte> spread = Avx2.Shuffle(Vector256.Create(bits).AsByte(),
            Vector256.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
        Vector256<byte> select = Vector256.Create((byte)1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
        return Vector256.Equals(spread & select, select) & Vector256<byte>.One;
    }

    /// <summary>
    /// output[r * columns + i] = scale * (factor * sum_p (A2[r, p] . B2[p, i]) - offsets[r]) for r &lt; rows, i &lt; columns.
    /// </summary>
    /// <param name="pairedA">[rows, pairs] doubled pair words (<see cref="PairedA"/>, <see cref="PairedATransposed"/>)</param>
    /// <param name="pairedB">B2 in panels, <see cref="PairedBytes"/> bytes (<see cref="PairedB"/>)</param>
    /// <param name="pairs">pairs of the shared dimension</param>
    /// <param name="rows">rows of the output</param>
    /// <param name="columns">columns of the output</param>
    /// <param name="valueMax">largest b value (1 for bits): bounds the int16 sums</param>
    /// <param name="factor">integer factor on the sums</param>
    /// <param name="offsets">[rows] subtracted after the factor, or null</param>
    /// <param name="scale">final float factor</param>
    /// <param name="output">[rows, columns] row-major</param>
    /// <param name="threads">0 for the default</param>
    /// <param name="isa">AVX2 (the 256-bit tile) or AVX-512 (the 512-bit tile, <see cref="WideTile4"/>, on 64-column blocks)</param>
    /// <param name="rowsDone">
    /// applied to every output row range once it is final, on the thread that wrote it and while it is
    /// still in that core's cache (an optimizer step then reads it from L1/L2 rather than from memory)
    /// </param>
    public static unsafe void Run<TRows>(int[] pairedA, byte[] pairedB, int pairs, int rows, int columns, int valueMax,
        int factor, int[]? offsets, float scale, float[] output, int threads, Isa isa, TRows rowsDone)
        where TRows : struct, IRowEpilogue
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pairs);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentOutOfRangeException.ThrowIfNegative(valueMax);
        CheckLength(pairedA.Length, (long)rows * pairs, "paired a");
        CheckLength(pairedB.Length, PairedBytes(pairs, columns), "paired b");
        CheckLength(output.Length, (long)rows * columns, "output");
        if (offsets is not null) CheckLength(offsets.Length, rows, "offsets");
        if (rows == 0 || columns == 0) return;
        if (isa is not (Isa.Avx2 or Isa.Avx512) || !IsaSelection.IsSupported(isa)) throw new PlatformNotSupportedException($"the byte-product tile needs AVX2, not {isa}");
        long pairMax = 2L * SparseByteProducts.MaxAbs(MemoryMarshal.Cast<int, sbyte>(pairedA.AsSpan(0, rows * pairs))) * valueMax;
        if (pairMax > short.MaxValue) throw new ArgumentException($"a pair of products reaches {pairMax}, past the int16 lanes of vpmaddubsw");
        int chunk = (int)Math.Min(int.MaxValue, short.MaxValue / Math.Max(1, pairMax));
        // AVX-512 takes 64-column blocks (two panels) in zmm tiles; a last block of one panel and the last
        // rows of a partial tile run the 256-bit code on each of its panels.
        int blockColumns = isa == Isa.Avx512 ? WideColumns : TileColumns;
        int blocks = (columns + blockColumns - 1) / blockColumns;
        int[] rowOffsets = offsets ?? new int[rows];
        fixed (int* aPointer = pairedA)
        fixed (byte* bPointer = pairedB)
        fixed (float* outputPointer = output)
        fixed (int* offsetPointer = rowOffsets)
        {
            nint aAddress = (nint)aPointer, bAddress = (nint)bPointer, outputAddress = (nint)outputPointer, offsetAddress = (nint)offsetPointer;
            // Loop order: when all of B2 fits in L2 (q: 50 pairs x 1024 columns = 100 KB) threads take
            // 4-row tiles and each tile sweeps the full width, so output rows are written whole (column
            // blocks outermost wrote 128-byte pieces of rows 4 KB apart: every store a cache-line miss).
            // Otherwise (g: 512 pairs, 1 MB) threads take 32-column panels and each panel (32 KB) stays
            // in L1/L2 while all row tiles pass over it.
            int rowTiles = (rows + TileRows - 1) / TileRows;
            bool rowsOuter = PairedBytes(pairs, columns) <= 256 * 1024 && rowTiles >= 4 * Threading.Resolve(threads);
            long work = (long)rows * columns * Math.Max(1, pairs);
            if (rowsOuter)
                Threading.For(rowTiles, threads, (start, end) =>
                {
                    int* sums = stackalloc int[TileRows * WideColumns];
                    for (int tile = start; tile < end; tile++)
                    {
                        for (int block = 0; block < blocks; block++) RunTile(tile * TileRows, block, sums);
                        // The tile's rows are whole now: hand them on while they are in this core's cache.
                        rowsDone.Apply(tile * TileRows, Math.Min(rows, (tile + 1) * TileRows));
                    }
                }, work: work);
            else
            {
                Threading.For(blocks, threads, (start, end) =>
                {
                    int* sums = stackalloc int[TileRows * WideColumns];
                    for (int block = start; block < end; block++)
                        for (int r0 = 0; r0 < rows; r0 += TileRows) RunTile(r0, block, sums);
                }, work: work);
                // Rows are final only once every panel is done.
                Threading.For(rows, threads, rowsDone.Apply, work: (long)rows * columns);
            }

            void RunTile(int r0, int block, int* sums)
            {
                int i0 = block * blockColumns, width = Math.Min(blockColumns, columns - i0);
                if (blockColumns == WideColumns && width > TileColumns && rows - r0 >= TileRows)
                {
                    WideTile4((int*)aAddress + (long)r0 * pairs, pairs, (byte*)bAddress + PairedIndex(0, i0, pairs), chunk, sums,
                        (float*)outputAddress + (long)r0 * columns + i0, (int*)offsetAddress + r0, new Epilogue(factor, scale, columns, width));
                    return;
                }
                for (int i = i0; i < i0 + width; i += TileColumns) RunPanel(r0, i, sums);
            }

            void RunPanel(int r0, int i0, int* sums)
            {
                var epilogue = new Epilogue(factor, scale, columns, Math.Min(TileColumns, columns - i0));
                byte* panel = (byte*)bAddress + PairedIndex(0, i0, pairs);
                int* a = (int*)aAddress + (long)r0 * pairs;
                float* target = (float*)outputAddress + (long)r0 * columns + i0;
                int* rowOffset = (int*)offsetAddress + r0;
                if (rows - r0 >= TileRows) Tile4(a, pairs, panel, chunk, sums, target, rowOffset, epilogue);
                else
                    for (int r = 0; r < rows - r0; r++)
                        Tile1(a + (long)r * pairs, pairs, panel, chunk, sums, target + (long)r * columns, rowOffset[r], epilogue);
            }
        }
    }

    /// <summary>How a tile row becomes output: <c>target[t] = scale * (factor * sum[t] - offset)</c> for t &lt; Width.</summary>
    private readonly record struct Epilogue(int Factor, float Scale, int Stride, int Width);

    /// <summary>
    /// Four output rows x 32 columns: per pair two B2 loads and four word broadcasts feed eight
    /// vpmaddubsw into eight int16 accumulators (11 of the 16 ymm registers). When all pairs fit one
    /// int16 chunk (K &lt;= 256 for a 6-plane signal on bits) the accumulators go straight to the
    /// output; otherwise each chunk is widened into the int32 <paramref name="sums"/> first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile4(int* a, int pairs, byte* panel, int chunk, int* sums, float* target, int* offsets, Epilogue epilogue)
    {
        int* a0 = a, a1 = a + pairs, a2 = a + 2 * pairs, a3 = a + 3 * pairs;
        bool single = chunk >= pairs;
        if (!single) new Span<int>(sums, TileRows * TileColumns).Clear();
        for (int c0 = 0; c0 < pairs || c0 == 0; c0 += chunk)
        {
            int c1 = Math.Min(pairs, c0 + chunk);
            Vector256<short> s00 = default, s01 = default, s10 = default, s11 = default;
            Vector256<short> s20 = default, s21 = default, s30 = default, s31 = default;
            byte* row = panel + (long)c0 * TileColumns * 2;
            for (int p = c0; p < c1; p++, row += TileColumns * 2)
            {
                Vector256<byte> b0 = Avx.LoadVector256(row), b1 = Avx.LoadVector256(row + 32);
                Vector256<sbyte> w = Vector256.Create(a0[p]).AsSByte();
                s00 = Avx2.Add(s00, Avx2.MultiplyAddAdjacent(b0, w)); s01 = Avx2.Add(s01, Avx2.MultiplyAddAdjacent(b1, w));
                w = Vector256.Create(a1[p]).AsSByte();
                s10 = Avx2.Add(s10, Avx2.MultiplyAddAdjacent(b0, w)); s11 = Avx2.Add(s11, Avx2.MultiplyAddAdjacent(b1, w));
                w = Vector256.Create(a2[p]).AsSByte();
                s20 = Avx2.Add(s20, Avx2.MultiplyAddAdjacent(b0, w)); s21 = Avx2.Add(s21, Avx2.MultiplyAddAdjacent(b1, w));
                w = Vector256.Create(a3[p]).AsSByte();
                s30 = Avx2.Add(s30, Avx2.MultiplyAddAdjacent(b0, w)); s31 = Avx2.Add(s31, Avx2.MultiplyAddAdjacent(b1, w));
            }
            if (single)
            {
                StoreShorts(s00, s01, target, offsets[0], epilogue);
                StoreShorts(s10, s11, target + epilogue.Stride, offsets[1], epilogue);
                StoreShorts(s20, s21, target + 2L * epilogue.Stride, offsets[2], epilogue);
                StoreShorts(s30, s31, target + 3L * epilogue.Stride, offsets[3], epilogue);
                return;
            }
            AddWidened(sums, s00, s01);
            AddWidened(sums + TileColumns, s10, s11);
            AddWidened(sums + 2 * TileColumns, s20, s21);
            AddWidened(sums + 3 * TileColumns, s30, s31);
        }
        for (int r = 0; r < TileRows; r++) StoreInts(sums + r * TileColumns, target + (long)r * epilogue.Stride, offsets[r], epilogue);
    }

    /// <summary>One row of <see cref="Tile4"/> (the last rows when rows is not a multiple of 4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile1(int* a, int pairs, byte* panel, int chunk, int* sums, float* target, int offset, Epilogue epilogue)
    {
        new Span<int>(sums, TileColumns).Clear();
        for (int c0 = 0; c0 < pairs; c0 += chunk)
        {
            int c1 = Math.Min(pairs, c0 + chunk);
            Vector256<short> s0 = default, s1 = default;
            byte* row = panel + (long)c0 * TileColumns * 2;
            for (int p = c0; p < c1; p++, row += TileColumns * 2)
            {
                Vector256<sbyte> w = Vector256.Create(a[p]).AsSByte();
                s0 = Avx2.Add(s0, Avx2.MultiplyAddAdjacent(Avx.LoadVector256(row), w));
                s1 = Avx2.Add(s1, Avx2.MultiplyAddAdjacent(Avx.LoadVector256(row + 32), w));
            }
            AddWidened(sums, s0, s1);
        }
        StoreInts(sums, target, offset, epilogue);
    }

    /// <summary>
    /// vpmaddubsw leaves the sum of pair t in 16-bit lane t, i.e. column t of the 16-column half:
    /// sign-extend and add, in column order, to the 32 int32 sums of a row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddWidened(int* sums, Vector256<short> low, Vector256<short> high)
    {
        Avx.Store(sums, Avx2.Add(Avx.LoadVector256(sums), Avx2.ConvertToVector256Int32(low.GetLower())));
        Avx.Store(sums + 8, Avx2.Add(Avx.LoadVector256(sums + 8), Avx2.ConvertToVector256Int32(low.GetUpper())));
        Avx.Store(sums + 16, Avx2.Add(Avx.LoadVector256(sums + 16), Avx2.ConvertToVector256Int32(high.GetLower())));
        Avx.Store(sums + 24, Avx2.Add(Avx.LoadVector256(sums + 24), Avx2.ConvertToVector256Int32(high.GetUpper())));
    }

    /// <summary>One tile row from its int16 accumulators (a single chunk), sign-extended in column order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreShorts(Vector256<short> low, Vector256<short> high, float* target, int offset, Epilogue epilogue)
    {
        var factor = Vector256.Create(epilogue.Factor);
        var offsetVector = Vector256.Create(offset);
        var scale = Vector256.Create(epilogue.Scale);
        Vector256<float> f0 = scale * Vector256.ConvertToSingle(factor * Avx2.ConvertToVector256Int32(low.GetLower()) - offsetVector);
        Vector256<float> f1 = scale * Vector256.ConvertToSingle(factor * Avx2.ConvertToVector256Int32(low.GetUpper()) - offsetVector);
        Vector256<float> f2 = scale * Vector256.ConvertToSingle(factor * Avx2.ConvertToVector256Int32(high.GetLower()) - offsetVector);
        Vector256<float> f3 = scale * Vector256.ConvertToSingle(factor * Avx2.ConvertToVector256Int32(high.GetUpper()) - offsetVector);
        if (epilogue.Width == TileColumns)
        {
            Avx.Store(target, f0); Avx.Store(target + 8, f1); Avx.Store(target + 16, f2); Avx.Store(target + 24, f3);
            return;
        }
        StorePart(f0, f1, f2, f3, target, epilogue.Width);
    }

    /// <summary>
    /// The first <paramref name="width"/> of 32 floats (a last panel): a method of its own, so that the
    /// full-width path keeps no stackalloc and inlines (a method with one is never inlined).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void StorePart(Vector256<float> f0, Vector256<float> f1, Vector256<float> f2, Vector256<float> f3, float* target, int width)
    {
        float* tile = stackalloc float[TileColumns];
        Avx.Store(tile, f0); Avx.Store(tile + 8, f1); Avx.Store(tile + 16, f2); Avx.Store(tile + 24, f3);
        new Span<float>(tile, width).CopyTo(new Span<float>(target, width));
    }

    /// <summary>One tile row from its int32 sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreInts(int* sums, float* target, int offset, Epilogue epilogue)
    {
        var factor = Vector256.Create(epilogue.Factor);
        var offsetVector = Vector256.Create(offset);
        var scale = Vector256.Create(epilogue.Scale);
        Vector256<float> f0 = scale * Vector256.ConvertToSingle(factor * Avx.LoadVector256(sums) - offsetVector);
        Vector256<float> f1 = scale * Vector256.ConvertToSingle(factor * Avx.LoadVector256(sums + 8) - offsetVector);
        Vector256<float> f2 = scale * Vector256.ConvertToSingle(factor * Avx.LoadVector256(sums + 16) - offsetVector);
        Vector256<float> f3 = scale * Vector256.ConvertToSingle(factor * Avx.LoadVector256(sums + 24) - offsetVector);
        if (epilogue.Width == TileColumns)
        {
            Avx.Store(target, f0); Avx.Store(target + 8, f1); Avx.Store(target + 16, f2); Avx.Store(target + 24, f3);
            return;
        }
        StorePart(f0, f1, f2, f3, target, epilogue.Width);
    }

    private static void CheckLength(long actual, long needed, string name)
    {
        if (actual < needed) throw new ArgumentException($"{name} holds {actual} values, needs {needed}");
    }
}
