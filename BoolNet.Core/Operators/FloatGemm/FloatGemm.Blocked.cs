using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// The blocked algorithm (Goto and van de Geijn, "Anatomy of high-performance matrix multiplication",
/// ACM TOMS 2008): B is packed into 32-column panels per (column block, depth block) so a panel slice
/// streams from L1/L2; A is packed per row tile (or read in place on AVX2); a register tile of C stays
/// in registers for a whole depth block. Blocking only pauses each element's fma chain (the partial
/// sum is stored to C and reloaded), never reorders it, and threads split rows or panels of C
/// (independent outputs), so the result is <see cref="FloatSumOrder.Chain"/> on every thread count.
/// </summary>
public static partial class FloatGemm
{
    /// <summary>Rows of C one AVX-512 or scalar register tile produces.</summary>
    public const int TileRows = 8;

    /// <summary>Columns of C one register tile produces (two 16-float zmm vectors).</summary>
    public const int TileColumns = 32;

    // Depth block: an 8 x 256 slice of A (8 KiB) stays in L1 while the B panels stream.
    private const int DepthBlock = 256;

    // Column block: a 256 x 256 block of packed B (256 KiB) stays in the 1 MiB L2 of one core.
    private const int ColumnBlock = 256;

    /// <summary>The general case: pack op(B), then row tiles of C over threads (or column panels when rows are few).</summary>
    private static unsafe void MultiplyBlocked(float* a, bool transposeA, float* b, bool transposeB, float* c,
        int m, int n, int k, bool accumulate, int threads, Path path)
    {
        int panels = (n + TileColumns - 1) / TileColumns;
        // Packed B: for each column block, for each depth block, panel-major [panel][p][32], zero-padded.
        float[] packedB = ArrayPool<float>.Shared.Rent(panels * TileColumns * k);
        try
        {
            fixed (float* packedPointer = packedB)
            {
                // Threads take 32-column panels of C when B is the larger operand (a layer's forward, [100, 784]
                // x [784, 1024]^T): each thread packs its own panels of B and then reads only those, from its
                // own cache, where splitting rows made every thread stream all of packed B (3.2 MB), half of it
                // packed on the other core. Whole column blocks per chunk where there are enough of them, so A
                // is packed once per column block as on one thread. Otherwise threads take rows of C when
                // there are enough row tiles to share evenly (a weight gradient [1024, 100] x [100, 784]), else
                // panels: a classifier head's gradient [10, 1024] has 2 row tiles and 32 panels.
                // The AVX2 path works on 6-row tiles and reads A in place (MultiplyRows256).
                int threadCount = Threading.Resolve(threads);
                int tileRows = path == Path.Vector256 ? Rows256 : TileRows;
                int rowTiles = (m + tileRows - 1) / tileRows, panelsPerBlock = ColumnBlock / TileColumns;
                bool byPanels = n >= m ? panels >= 2 * threadCount : rowTiles < 4 * threadCount && rowTiles < panels;
                int panelAlignment = byPanels && panels >= panelsPerBlock * threadCount ? panelsPerBlock : 1;
                // The same chunks for packing and multiplying, so the static schedule gives a thread the panels it packed.
                PackB(b, transposeB, packedPointer, n, k, threads, panelAlignment, path);
                nint aAddress = (nint)a, cAddress = (nint)c, packedAddress = (nint)packedPointer;
                if (byPanels)
                    Threading.For(panels, threads, (start, end) => Rows(0, m, start, end), alignment: panelAlignment, work: (long)m * n * k);
                else
                    Threading.For(m, threads, (start, end) => Rows(start, end, 0, panels), alignment: tileRows, work: (long)m * n * k);

                void Rows(int rowStart, int rowEnd, int panelStart, int panelStop)
                {
                    if (path == Path.Vector256)
                        MultiplyRows256((float*)aAddress, transposeA, (float*)packedAddress, (float*)cAddress,
                            m, n, k, rowStart, rowEnd, panelStart, panelStop, accumulate);
                    else
                        MultiplyRows((float*)aAddress, transposeA, (float*)packedAddress, (float*)cAddress,
                            m, n, k, rowStart, rowEnd, panelStart, panelStop, accumulate, path);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packedB);
        }
    }

    /// <summary>
    /// Offset of packed panel <paramref name="panel"/> at depth <paramref name="depth"/>. Layout: column
    /// block (ColumnBlock wide), then depth block, then panel within the column block, then p within
    /// the depth block, then 32 columns, so each (column block, depth block) is contiguous.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long PackedOffset(int panel, int depth, int k, int panels)
    {
        const int panelsPerBlock = ColumnBlock / TileColumns;
        int block = panel / panelsPerBlock, panelInBlock = panel % panelsPerBlock;
        int blockPanels = Math.Min(panelsPerBlock, panels - block * panelsPerBlock);
        long blockStart = (long)block * panelsPerBlock * TileColumns * k;
        int depthBlock = depth / DepthBlock, depthInBlock = depth % DepthBlock;
        int depthLength = Math.Min(DepthBlock, k - depthBlock * DepthBlock);
        return blockStart + (long)depthBlock * DepthBlock * blockPanels * TileColumns
            + ((long)panelInBlock * depthLength + depthInBlock) * TileColumns;
    }

    /// <summary>
    /// Packs op(B) into 32-column panels, the panels split over threads (packing a [1024, 784]
    /// weight matrix on one thread cost as much as the product on the other).
    /// </summary>
    private static unsafe void PackB(float* b, bool transposeB, float* packed, int n, int k, int threads, int alignment, Path path)
    {
        int panels = (n + TileColumns - 1) / TileColumns;
        nint bAddress = (nint)b, packedAddress = (nint)packed;
        Threading.For(panels, threads, (start, end) =>
        {
            for (int panel = start; panel < end; panel++)
                PackPanel((float*)bAddress, transposeB, (float*)packedAddress, n, k, panel, panels, path);
        }, alignment, work: (long)n * k);
    }

    /// <summary>Packs one 32-column panel of op(B) for every depth p, zero-padding columns past n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackPanel(float* b, bool transposeB, float* packed, int n, int k, int panel, int panels, Path path)
    {
        int column0 = panel * TileColumns;
        int width = Math.Min(TileColumns, n - column0);
        int p = 0;
        if (transposeB && width == TileColumns && path != Path.Scalar)
        {
            // B is stored [n, k]: a panel column is a contiguous row of B. Reading it element by
            // element strides k floats per store; 8x8 register transposes read 8 rows 32 bytes at a
            // time instead. Depth blocks are multiples of 8, so 8 depths never straddle two blocks.
            for (; p + 8 <= k; p += 8)
            {
                float* destination = packed + PackedOffset(panel, p, k, panels);
                for (int j = 0; j < TileColumns; j += 8)
                    Transpose8x8(b + (long)(column0 + j) * k + p, k, destination + j, TileColumns);
            }
        }
        for (; p < k; p++)
        {
            float* destination = packed + PackedOffset(panel, p, k, panels);
            int j = 0;
            if (!transposeB)
            {
                float* source = b + (long)p * n + column0;
                if (width == TileColumns && path != Path.Scalar)
                {
                    Avx.Store(destination, Avx.LoadVector256(source));
                    Avx.Store(destination + 8, Avx.LoadVector256(source + 8));
                    Avx.Store(destination + 16, Avx.LoadVector256(source + 16));
                    Avx.Store(destination + 24, Avx.LoadVector256(source + 24));
                    continue;
                }
                for (; j < width; j++) destination[j] = source[j];
            }
            else
            {
                for (; j < width; j++) destination[j] = b[(long)(column0 + j) * k + p];
            }
            for (; j < TileColumns; j++) destination[j] = 0f;
        }
    }

    /// <summary>
    /// destination[q * destinationStride + r] = source[r * sourceStride + q] for r, q in 0..7: the
    /// classic unpack (pairs) / shuffle (quads) / 128-bit permute (halves) transpose in 24 shuffles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose8x8(float* source, int sourceStride, float* destination, int destinationStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(source), r1 = Avx.LoadVector256(source + sourceStride);
        Vector256<float> r2 = Avx.LoadVector256(source + 2 * sourceStride), r3 = Avx.LoadVector256(source + 3 * sourceStride);
        Vector256<float> r4 = Avx.LoadVector256(source + 4 * sourceStride), r5 = Avx.LoadVector256(source + 5 * sourceStride);
        Vector256<float> r6 = Avx.LoadVector256(source + 6 * sourceStride), r7 = Avx.LoadVector256(source + 7 * sourceStride);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE), s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE), s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(destination, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(destination + destinationStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(destination + 2 * destinationStride, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(destination + 3 * destinationStride, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(destination + 4 * destinationStride, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(destination + 5 * destinationStride, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(destination + 6 * destinationStride, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(destination + 7 * destinationStride, Avx.Permute2x128(s3, s7, 0x31));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MultiplyRows(
        float* a, bool transposeA, float* packedB, float* c,
        int m, int n, int k, int rowStart, int rowEnd, int panelStart, int panelStop, bool accumulate, Path path)
    {
        int panels = (n + TileColumns - 1) / TileColumns;
        int panelsPerBlock = ColumnBlock / TileColumns;
        float* packedA = stackalloc float[TileRows * DepthBlock];
        float* edge = stackalloc float[TileRows * TileColumns];
        // Column blocks of packed B, cut to [panelStart, panelStop) when threads split the panels.
        for (int panelBlock = panelStart; panelBlock < panelStop; panelBlock = (panelBlock / panelsPerBlock + 1) * panelsPerBlock)
        {
            int panelEnd = Math.Min(panelStop, (panelBlock / panelsPerBlock + 1) * panelsPerBlock);
            for (int depth = 0; depth < k; depth += DepthBlock)
            {
                int depthLength = Math.Min(DepthBlock, k - depth);
                bool load = accumulate || depth > 0;
                for (int row = rowStart; row < rowEnd; row += TileRows)
                {
                    int rows = Math.Min(TileRows, rowEnd - row);
                    PackA(a, transposeA, packedA, m, k, row, rows, depth, depthLength);
                    for (int panel = panelBlock; panel < panelEnd; panel++)
                    {
                        int column = panel * TileColumns;
                        int columns = Math.Min(TileColumns, n - column);
                        float* panelPointer = packedB + PackedOffset(panel, depth, k, panels);
                        float* tile = c + (long)row * n + column;
                        if (rows == TileRows && columns == TileColumns)
                        {
                            RunTile(path, packedA, panelPointer, tile, n, depthLength, load);
                            continue;
                        }
                        // Edge tile: run the same full kernel on a scratch tile so the arithmetic is identical.
                        EdgeIn(tile, n, edge, TileRows, rows, columns, load);
                        RunTile(path, packedA, panelPointer, edge, TileColumns, depthLength, true);
                        EdgeOut(edge, tile, n, rows, columns);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The AVX2 blocking: 6-row x 32-column tiles as two 6x16 register tiles (12 ymm accumulators, the
    /// classic AVX2 shape: 12 FMAs per 2 panel loads and 6 broadcasts, enough independent chains to
    /// cover the 4-cycle FMA latency on two pipes). A row-major A is read where it lies, op(A)[r, p] at
    /// a + r * k + p (six sequential streams), so it is not packed; a transposed A and the last rows
    /// are packed [p][6], and edge columns run on a zero-padded scratch tile with the same kernel, so
    /// the arithmetic is identical.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MultiplyRows256(
        float* a, bool transposeA, float* packedB, float* c,
        int m, int n, int k, int rowStart, int rowEnd, int panelStart, int panelStop, bool accumulate)
    {
        const int tileRows = Rows256;
        int panels = (n + TileColumns - 1) / TileColumns;
        int panelsPerBlock = ColumnBlock / TileColumns;
        float* packedA = stackalloc float[tileRows * DepthBlock];
        float* edge = stackalloc float[tileRows * TileColumns];
        long stepP = transposeA ? m : 1, stepR = transposeA ? 1 : k;
        for (int panelBlock = panelStart; panelBlock < panelStop; panelBlock = (panelBlock / panelsPerBlock + 1) * panelsPerBlock)
        {
            int panelEnd = Math.Min(panelStop, (panelBlock / panelsPerBlock + 1) * panelsPerBlock);
            for (int depth = 0; depth < k; depth += DepthBlock)
            {
                int depthLength = Math.Min(DepthBlock, k - depth);
                bool load = accumulate || depth > 0;
                for (int row = rowStart; row < rowEnd; row += tileRows)
                {
                    int rows = Math.Min(tileRows, rowEnd - row);
                    float* aTile = a + depth * stepP + row * stepR;
                    bool packed = rows < tileRows || transposeA;
                    if (packed)
                    {
                        // A stored [k, m]: in place, each depth step would be a new line m floats further
                        // on (4 KB for m = 1024, every line in the same L1 set); packed, it is contiguous.
                        PackA(a, transposeA, packedA, m, k, row, rows, depth, depthLength, tileRows);
                        aTile = packedA;
                    }
                    long tileStepP = packed ? tileRows : stepP, tileStepR = packed ? 1 : stepR;
                    for (int panel = panelBlock; panel < panelEnd; panel++)
                    {
                        int column = panel * TileColumns;
                        int columns = Math.Min(TileColumns, n - column);
                        float* panelPointer = packedB + PackedOffset(panel, depth, k, panels);
                        float* tile = c + (long)row * n + column;
                        if (rows == tileRows && columns == TileColumns)
                        {
                            Run6x16(aTile, tileStepP, tileStepR, panelPointer, tile, n, depthLength, load);
                            Run6x16(aTile, tileStepP, tileStepR, panelPointer + 16, tile + 16, n, depthLength, load);
                            continue;
                        }
                        EdgeIn(tile, n, edge, tileRows, rows, columns, load);
                        Run6x16(aTile, tileStepP, tileStepR, panelPointer, edge, TileColumns, depthLength, true);
                        // A last panel of at most 16 columns: its second half is all padding.
                        if (columns > 16)
                            Run6x16(aTile, tileStepP, tileStepR, panelPointer + 16, edge + 16, TileColumns, depthLength, true);
                        EdgeOut(edge, tile, n, rows, columns);
                    }
                }
            }
        }
    }

    /// <summary>Copies the valid part of a C tile (or zeros) into a scratch [tileRows][32] edge tile.</summary>
    private static unsafe void EdgeIn(float* tile, int n, float* edge, int tileRows, int rows, int columns, bool load)
    {
        for (int r = 0; r < tileRows; r++)
            for (int j = 0; j < TileColumns; j++)
                edge[r * TileColumns + j] = load && r < rows && j < columns ? tile[(long)r * n + j] : 0f;
    }

    /// <summary>Copies the valid part of a scratch edge tile back into C.</summary>
    private static unsafe void EdgeOut(float* edge, float* tile, int n, int rows, int columns)
    {
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < columns; j++)
                tile[(long)r * n + j] = edge[r * TileColumns + j];
    }

    /// <summary>Packs rows [row, row+rows) x depths [depth, depth+length) of op(A) as [p][tileRows], zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackA(float* a, bool transposeA, float* packed, int m, int k, int row, int rows, int depth, int length,
        int tileRows = TileRows)
    {
        if (!transposeA)
        {
            for (int r = 0; r < tileRows; r++)
            {
                if (r < rows)
                {
                    float* source = a + (long)(row + r) * k + depth;
                    for (int p = 0; p < length; p++) packed[p * tileRows + r] = source[p];
                }
                else
                {
                    for (int p = 0; p < length; p++) packed[p * tileRows + r] = 0f;
                }
            }
        }
        else
        {
            for (int p = 0; p < length; p++)
            {
                float* source = a + (long)(depth + p) * m + row;
                float* destination = packed + p * tileRows;
                if (rows == 6 && tileRows == 6)
                {
                    // The 6-row AVX2 tile (so SSE is there): one 4-float and one 2-float copy instead of a loop.
                    Sse.Store(destination, Sse.LoadVector128(source));
                    *(long*)(destination + 4) = *(long*)(source + 4);
                    continue;
                }
                int r = 0;
                for (; r < rows; r++) destination[r] = source[r];
                for (; r < tileRows; r++) destination[r] = 0f;
            }
        }
    }
}
