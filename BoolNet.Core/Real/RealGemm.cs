using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BoolNet.Core.Kernels;

namespace BoolNet.Core.Real;

/// <summary>
/// Single-precision matrix product <c>C[m,n] (+)= op(A)[m,k] * op(B)[k,n]</c>, row-major, with an
/// optional transpose on either operand: A is stored [m,k] (or [k,m] when <c>transposeA</c>), B is
/// stored [k,n] (or [n,k] when <c>transposeB</c>).
/// <para>
/// Every element of C is one sequential fused multiply-add chain over p = 0..k-1, starting from 0
/// (or from C when accumulating): <c>c = fma(a[i,p], b[p,j], c)</c>. Cache blocking only changes
/// where the chain is paused (the partial sum is stored to C and reloaded), never its order, and
/// threads split the rows of C (independent outputs), so the result is bit-identical for every
/// thread count, every blocking and every ISA path, and equal to <see cref="MultiplyReference"/>.
/// </para>
/// Goto-style blocking: B is packed into 32-column panels per (column block, depth block) so a
/// panel slice streams from L1/L2; A is packed per 8-row block; an 8x32 microkernel holds its tile
/// of C in 16 zmm registers (AVX-512) for the whole depth block.
/// </summary>
public static class RealGemm
{
    /// <summary>Rows of C one microkernel call produces.</summary>
    public const int TileRows = 8;

    /// <summary>Columns of C one microkernel call produces (two 16-float zmm vectors).</summary>
    public const int TileColumns = 32;

    // Depth block: an 8 x 256 slice of A (8 KiB) stays in L1 while the B panels stream.
    private const int DepthBlock = 256;

    // Column block: a 256 x 256 block of packed B (256 KiB) stays in the 1 MiB L2 of one core.
    private const int ColumnBlock = 256;

    /// <summary>
    /// C[m,n] (+)= op(A)[m,k] * op(B)[k,n]. <paramref name="threads"/> 0 means the process default;
    /// <paramref name="isa"/> null means <see cref="IsaSelection.Current"/>. Results never depend on either.
    /// </summary>
    public static unsafe void Multiply(
        ReadOnlySpan<float> a, bool transposeA,
        ReadOnlySpan<float> b, bool transposeB,
        Span<float> c, int m, int n, int k,
        bool accumulate = false, int threads = 0, Isa? isa = null)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"negative GEMM shape {m}x{n}x{k}");
        if (a.Length < (long)m * k) throw new ArgumentException($"A holds {a.Length} values, needs {m}x{k}", nameof(a));
        if (b.Length < (long)k * n) throw new ArgumentException($"B holds {b.Length} values, needs {k}x{n}", nameof(b));
        if (c.Length < (long)m * n) throw new ArgumentException($"C holds {c.Length} values, needs {m}x{n}", nameof(c));
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) c[..(m * n)].Clear();
            return;
        }

        RealMicrokernel.Path path = RealMicrokernel.Resolve(isa ?? IsaSelection.Current);
        if (path == RealMicrokernel.Path.Vector256 && !transposeA && transposeB && !accumulate && SwapOperands(m, n, k))
        {
            MultiplySwapped(a, b, c, m, n, k, threads, isa);
            return;
        }
        int panels = (n + TileColumns - 1) / TileColumns;
        // Packed B: for each column block, for each depth block, panel-major [panel][p][32], zero-padded.
        float[] packedB = ArrayPool<float>.Shared.Rent(panels * TileColumns * k);
        try
        {
            fixed (float* aPointer = a, bPointer = b, cPointer = c, packedPointer = packedB)
            {
                PackB(bPointer, transposeB, packedPointer, n, k, threads, path);
                nint aAddress = (nint)aPointer, cAddress = (nint)cPointer, packedAddress = (nint)packedPointer;
                // Threads take rows of C when there are enough 8-row tiles to share evenly, else 32-column
                // panels: a batch of 100 is 13 row tiles (7 against 6 at best), a classifier head's
                // gradient [10, 1024] only 2, while both have 32 panels.
                // The AVX2 path works on 6-row tiles and reads A in place (MultiplyRows256).
                int tileRows = path == RealMicrokernel.Path.Vector256 ? RealMicrokernel.Rows256 : TileRows;
                int rowTiles = (m + tileRows - 1) / tileRows;
                if (rowTiles >= 4 * Threading.Resolve(threads) || rowTiles >= panels)
                    Threading.For(m, threads, (start, end) => Rows(start, end, 0, panels), alignment: tileRows, work: (long)m * n * k);
                else
                    Threading.For(panels, threads, (start, end) => Rows(0, m, start, end), work: (long)m * n * k);

                void Rows(int rowStart, int rowEnd, int panelStart, int panelStop)
                {
                    if (path == RealMicrokernel.Path.Vector256)
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
    /// Whether A[m,k] * B[n,k]^T is cheaper as (B * A^T)^T on the AVX2 path. The plain form packs all of
    /// B (a transposing copy of n x k floats, ~0.1 ms for a 1024 x 784 weight on 2 threads, 8 % of the
    /// product) and splits a short m into few 6-row tiles; the swapped form reads B in place as the
    /// row operand, packs only the short A and transposes the m x n result. It wastes the padding of
    /// the last 16-column half panel (m = 100 computes 112 columns), so it pays only when m is long
    /// enough to amortise that and short against n.
    /// </summary>
    private static bool SwapOperands(int m, int n, int k) => m >= 48 && n >= 4 * m && k >= 64;

    /// <summary>
    /// C[m,n] = A[m,k] * B[n,k]^T computed as C^T[n,m] = B[n,k] * A[m,k]^T and transposed. Each element
    /// is still the one FMA chain over p in order from 0 (fma(a, b, c) = fma(b, a, c) exactly), so
    /// the result is bit-identical to the plain form.
    /// </summary>
    private static unsafe void MultiplySwapped(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, int threads, Isa? isa)
    {
        float[] transposed = ArrayPool<float>.Shared.Rent(m * n);
        try
        {
            Multiply(b, false, a, true, transposed, n, m, k, threads: threads, isa: isa);
            fixed (float* source = transposed, destination = c)
            {
                nint sourceAddress = (nint)source, destinationAddress = (nint)destination;
                // C row i is column i of C^T: threads take 8-row bands of C, each read as 8 columns of C^T.
                Threading.For(m, threads, (start, end) => TransposeRows((float*)sourceAddress, (float*)destinationAddress, n, m, start, end),
                    alignment: 8, work: (long)m * n);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(transposed);
        }
    }

    /// <summary>destination[i, j] = source[j, i] for rows i in [rowStart, rowEnd) of the [m, n] destination; source is [n, m].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TransposeRows(float* source, float* destination, int n, int m, int rowStart, int rowEnd)
    {
        int i = rowStart;
        if (Avx.IsSupported)
        {
            for (; i + 8 <= rowEnd; i += 8)
            {
                int j = 0;
                for (; j + 8 <= n; j += 8)
                    Transpose8x8(source + (long)j * m + i, m, destination + (long)i * n + j, n);
                for (; j < n; j++)
                    for (int r = 0; r < 8; r++) destination[(long)(i + r) * n + j] = source[(long)j * m + i + r];
            }
        }
        for (; i < rowEnd; i++)
            for (int j = 0; j < n; j++) destination[(long)i * n + j] = source[(long)j * m + i];
    }

    /// <summary>
    /// The naive definition: each C element is the sequential chain c = fma(a, b, c) over p in order.
    /// The blocked kernel must equal it bit for bit.
    /// </summary>
    public static void MultiplyReference(
        ReadOnlySpan<float> a, bool transposeA,
        ReadOnlySpan<float> b, bool transposeB,
        Span<float> c, int m, int n, int k, bool accumulate = false)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float sum = accumulate ? c[i * n + j] : 0f;
                for (int p = 0; p < k; p++)
                {
                    float left = transposeA ? a[p * m + i] : a[i * k + p];
                    float right = transposeB ? b[j * k + p] : b[p * n + j];
                    sum = MathF.FusedMultiplyAdd(left, right, sum);
                }
                c[i * n + j] = sum;
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
    private static unsafe void PackB(float* b, bool transposeB, float* packed, int n, int k, int threads, RealMicrokernel.Path path)
    {
        int panels = (n + TileColumns - 1) / TileColumns;
        nint bAddress = (nint)b, packedAddress = (nint)packed;
        Threading.For(panels, threads, (start, end) =>
        {
            for (int panel = start; panel < end; panel++)
                PackPanel((float*)bAddress, transposeB, (float*)packedAddress, n, k, panel, panels, path);
        }, work: (long)n * k);
    }

    /// <summary>Packs one 32-column panel of op(B) for every depth p, zero-padding columns past n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackPanel(float* b, bool transposeB, float* packed, int n, int k, int panel, int panels, RealMicrokernel.Path path)
    {
        int column0 = panel * TileColumns;
        int width = Math.Min(TileColumns, n - column0);
        int p = 0;
        if (transposeB && width == TileColumns && path != RealMicrokernel.Path.Scalar && Avx.IsSupported)
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
                if (width == TileColumns && Avx.IsSupported)
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
        int m, int n, int k, int rowStart, int rowEnd, int panelStart, int panelStop, bool accumulate, RealMicrokernel.Path path)
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
                            RealMicrokernel.Run(path, packedA, panelPointer, tile, n, depthLength, load);
                            continue;
                        }
                        // Edge tile: run the same full kernel on a scratch tile so the arithmetic is identical.
                        EdgeIn(tile, n, edge, TileRows, rows, columns, load);
                        RealMicrokernel.Run(path, packedA, panelPointer, edge, TileColumns, depthLength, true);
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
        const int tileRows = RealMicrokernel.Rows256;
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
                            RealMicrokernel.Run6x16(aTile, tileStepP, tileStepR, panelPointer, tile, n, depthLength, load);
                            RealMicrokernel.Run6x16(aTile, tileStepP, tileStepR, panelPointer + 16, tile + 16, n, depthLength, load);
                            continue;
                        }
                        EdgeIn(tile, n, edge, tileRows, rows, columns, load);
                        RealMicrokernel.Run6x16(aTile, tileStepP, tileStepR, panelPointer, edge, TileColumns, depthLength, true);
                        // A last panel of at most 16 columns: its second half is all padding.
                        if (columns > 16)
                            RealMicrokernel.Run6x16(aTile, tileStepP, tileStepR, panelPointer + 16, edge + 16, TileColumns, depthLength, true);
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
                if (rows == 6 && tileRows == 6 && Sse.IsSupported)
                {
                    // The 6-row AVX2 tile: one 4-float and one 2-float copy instead of a loop.
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
