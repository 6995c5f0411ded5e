using System.Numerics;
using System.Runtime.CompilerServices;

namespace BoolNet.Core.Operators;

/// <summary>
/// One ISA's register tiles, written as static members of a struct so that
/// <see cref="TileDriver"/> is compiled once per ISA and operation with every call inlined or direct.
/// All pointers address rows of <c>words</c> 64-bit words (the row stride); the routines count the
/// floor(words / <see cref="WordsPerChunk"/>) whole chunks of each row, the driver the rest, and every
/// routine ADDS its counts into <c>c</c>.
/// </summary>
internal unsafe interface ITileSet
{
    /// <summary>A rows of the main tile.</summary>
    static abstract int TileRows { get; }

    /// <summary>B rows of the main tile.</summary>
    static abstract int TileColumns { get; }

    /// <summary>Words one vector step consumes.</summary>
    static abstract int WordsPerChunk { get; }

    /// <summary>
    /// The main tile: A rows a[0..TileRows) against B rows b[0..TileColumns);
    /// c[r * n + col] += popcount(op(A[r], B[col])).
    /// </summary>
    static abstract void Tile<TOperation>(ulong* a, ulong* b, int words, int* c, int n)
        where TOperation : struct, IVectorOperation;

    /// <summary>One row against four rows (edges): c[t * cStride] += popcount(op(one, four[t])), t &lt; 4.</summary>
    static abstract void OneVsFour<TOperation>(ulong* one, ulong* four, int words, int* c, int cStride)
        where TOperation : struct, IVectorOperation;

    /// <summary>One row against one row: *c += popcount(op(x, y)).</summary>
    static abstract void OneVsOne<TOperation>(ulong* x, ulong* y, int words, int* c)
        where TOperation : struct, IVectorOperation;
}

/// <summary>
/// Shared blocking for the SIMD kernels: covers the output with main tiles, then the column and row
/// edges with one-against-four and one-against-one passes, then the words after the last whole vector chunk.
/// Each output is produced by exactly one routine, so the layout of work never changes a result.
/// </summary>
internal static unsafe class TileDriver
{
    /// <summary>
    /// counts[(i - rowStart) * n + j] = popcount(op(A[i], B[j])) for i in [rowStart, rowEnd), j &lt; n.
    /// The tiles count the whole vector chunks of each row (they read floor(words / chunk) chunks at row
    /// stride <paramref name="words"/>); the last words % chunk words of every pair are counted here with
    /// scalar popcnt. No copy, no allocation: small products (64x784x1) are dominated by such overheads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TTiles, TOperation>(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b,
        int rowStart, int rowEnd, int n, int words, Span<int> counts)
        where TTiles : struct, ITileSet
        where TOperation : struct, IVectorOperation
    {
        int rows = rowEnd - rowStart;
        if (rows < 0 || rowStart < 0) throw new ArgumentException($"bad row range [{rowStart}, {rowEnd})");
        if (a.Length < (long)rowEnd * words) throw new ArgumentException($"A holds {a.Length} words, rows up to {rowEnd} need {(long)rowEnd * words}");
        if (b.Length < (long)n * words) throw new ArgumentException($"B holds {b.Length} words, needs {(long)n * words}");
        if (counts.Length < (long)rows * n) throw new ArgumentException($"counts hold {counts.Length} ints, need {(long)rows * n}");
        counts.Slice(0, rows * n).Clear();
        if (rows == 0 || n == 0 || words == 0) return;

        int tail = words % TTiles.WordsPerChunk;
        fixed (ulong* pa = a.Slice(rowStart * words, rows * words))
        fixed (ulong* pb = b)
        fixed (int* pc = counts)
        {
            if (words >= TTiles.WordsPerChunk) Cover<TTiles, TOperation>(pa, pb, rows, n, words, pc);
            if (tail != 0) CountTail<TOperation>(pa, pb, rows, n, words, words - tail, pc);
        }
    }

    /// <summary>c[i * n + j] += popcount(op(A[i, w], B[j, w])) for w in [start, words): the words after the last chunk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CountTail<TOperation>(ulong* a, ulong* b, int rows, int n, int words, int start, int* c)
        where TOperation : struct, IVectorOperation
    {
        for (int i = 0; i < rows; i++)
        {
            ulong* x = a + (long)i * words;
            int* row = c + (long)i * n;
            for (int j = 0; j < n; j++)
            {
                ulong* y = b + (long)j * words;
                int count = 0;
                for (int w = start; w < words; w++) count += BitOperations.PopCount(TOperation.Apply(x[w], y[w]));
                row[j] += count;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Cover<TTiles, TOperation>(ulong* a, ulong* b, int rows, int n, int words, int* c)
        where TTiles : struct, ITileSet
        where TOperation : struct, IVectorOperation
    {
        int tileRows = TTiles.TileRows, tileColumns = TTiles.TileColumns;
        int mainRows = rows - rows % tileRows, mainColumns = n - n % tileColumns;
        // Main tiles: the A tile stays in L1 while B streams past it from L2.
        for (int i = 0; i < mainRows; i += tileRows)
            for (int j = 0; j < mainColumns; j += tileColumns)
                TTiles.Tile<TOperation>(a + (long)i * words, b + (long)j * words, words, c + (long)i * n + j, n);
        // Column edge: each leftover B row against the main rows, four A rows at a time.
        for (int j = mainColumns; j < n; j++)
        {
            int i = 0;
            for (; i + 4 <= mainRows; i += 4)
                TTiles.OneVsFour<TOperation>(b + (long)j * words, a + (long)i * words, words, c + (long)i * n + j, n);
            for (; i < mainRows; i++)
                TTiles.OneVsOne<TOperation>(a + (long)i * words, b + (long)j * words, words, c + (long)i * n + j);
        }
        // Row edge: each leftover A row against every B row, four B rows at a time.
        for (int i = mainRows; i < rows; i++)
        {
            int j = 0;
            for (; j + 4 <= n; j += 4)
                TTiles.OneVsFour<TOperation>(a + (long)i * words, b + (long)j * words, words, c + (long)i * n + j, 1);
            for (; j < n; j++)
                TTiles.OneVsOne<TOperation>(a + (long)i * words, b + (long)j * words, words, c + (long)i * n + j);
        }
    }
}
