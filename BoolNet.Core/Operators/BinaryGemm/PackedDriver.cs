using System.Buffers;
using System.Runtime.CompilerServices;

using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// One ISA's kernels over a packed B: groups of <see cref="GroupRows"/> B rows interleaved by 64-bit words
/// (packed[g][t][r] = B[g * GroupRows + r, t]), so one vector holds word t of every row of the group and
/// an A word broadcast against it is an outer product of 1 x GroupRows outputs, each in its own lane.
/// Every routine ADDS its counts into c.
/// </summary>
internal unsafe interface IPackedKernel
{
    /// <summary>B rows per packed group: the number of qword lanes of the vector.</summary>
    static abstract int GroupRows { get; }

    /// <summary>A rows of the register tile.</summary>
    static abstract int TileRows { get; }

    /// <summary>TileRows A rows (stride words) against one group: c[r * n + q] += popcount(op(A[r], B[q])).</summary>
    static abstract void Tile<TOperation>(ulong* a, int words, ulong* group, int* c, int n)
        where TOperation : struct, IVectorOperation;

    /// <summary>One A row against one group: c[q] += popcount(op(A, B[q])).</summary>
    static abstract void OneRow<TOperation>(ulong* a, int words, ulong* group, int* c)
        where TOperation : struct, IVectorOperation;
}

/// <summary>
/// Shared driver of the packed kernels: checks arguments, packs B (O(n * words), once per call and, with
/// threads, once for all of them), covers whole groups with <typeparamref name="TPacked"/> tiles and hands
/// the last n % GroupRows B rows to plain tiles <typeparamref name="TEdge"/>. Each output is computed by one
/// routine and one thread, so neither the tiling nor the thread count changes a result.
/// </summary>
internal static unsafe class PackedDriver<TPacked, TEdge>
    where TPacked : struct, IPackedKernel
    where TEdge : struct, ITileSet
{
    /// <summary>Bytes of A rows per cache block (half of a 32 KiB L1 data cache).</summary>
    private const int L1BlockBytes = 16 * 1024;

    /// <summary>Minimum words per row for packing to pay (one Harley-Seal tree of 8 words).</summary>
    public const int MinimumWords = 8;

    /// <summary>True when the packed path applies: at least one whole group and one tree.</summary>
    public static bool Applies(int n, int words) => n >= TPacked.GroupRows && words >= MinimumWords;

    /// <summary>Counts rows [rowStart, rowEnd) of A against all of B (packing B for this call).</summary>
    public static void Count(CountOperation operation, ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b,
        int rowStart, int rowEnd, int n, int words, Span<int> counts)
    {
        if (operation == CountOperation.Xor) Run<XorVectors>(a, b, rowStart, rowEnd, n, words, counts, null);
        else Run<AndVectors>(a, b, rowStart, rowEnd, n, words, counts, null);
    }

    /// <summary>
    /// The whole product on <paramref name="threads"/> threads: B packed ONCE and shared, A's rows split in
    /// chunks (multiples of the tile rows), each output computed by exactly one thread.
    /// </summary>
    public static void CountParallel(CountOperation operation, ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b,
        int m, int n, int words, Span<int> counts, int threads)
    {
        if (a.Length < (long)m * words) throw new ArgumentException($"A holds {a.Length} words, needs {(long)m * words}");
        if (b.Length < (long)n * words) throw new ArgumentException($"B holds {b.Length} words, needs {(long)n * words}");
        if (counts.Length < (long)m * n) throw new ArgumentException($"counts hold {counts.Length} ints, need {(long)m * n}");
        int groups = n / TPacked.GroupRows;
        ulong[] packed = ArrayPool<ulong>.Shared.Rent(Math.Max(1, groups * words * TPacked.GroupRows));
        try
        {
            Pack(b, groups, words, packed);
            fixed (ulong* pa = a)
            fixed (ulong* pb = b)
            fixed (int* pc = counts)
            {
                // Spans cannot cross into the parallel lambda; the arrays behind them stay pinned for its duration.
                ulong* aPointer = pa, bPointer = pb;
                int* cPointer = pc;
                int aLength = m * words, bLength = n * words;
                Threading.For(m, threads, (start, end) =>
                {
                    var aSpan = new ReadOnlySpan<ulong>(aPointer, aLength);
                    var bSpan = new ReadOnlySpan<ulong>(bPointer, bLength);
                    var cSpan = new Span<int>(cPointer + (long)start * n, (end - start) * n);
                    if (operation == CountOperation.Xor) Run<XorVectors>(aSpan, bSpan, start, end, n, words, cSpan, packed);
                    else Run<AndVectors>(aSpan, bSpan, start, end, n, words, cSpan, packed);
                }, alignment: TPacked.TileRows, work: (long)m * n * words);
            }
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(packed);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TOperation>(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b,
        int rowStart, int rowEnd, int n, int words, Span<int> counts, ulong[]? prepacked)
        where TOperation : struct, IVectorOperation
    {
        int rows = rowEnd - rowStart;
        if (rows < 0 || rowStart < 0) throw new ArgumentException($"bad row range [{rowStart}, {rowEnd})");
        if (a.Length < (long)rowEnd * words) throw new ArgumentException($"A holds {a.Length} words, rows up to {rowEnd} need {(long)rowEnd * words}");
        if (b.Length < (long)n * words) throw new ArgumentException($"B holds {b.Length} words, needs {(long)n * words}");
        if (counts.Length < (long)rows * n) throw new ArgumentException($"counts hold {counts.Length} ints, need {(long)rows * n}");
        counts.Slice(0, rows * n).Clear();
        if (rows == 0) return;

        int groupRows = TPacked.GroupRows, tileRows = TPacked.TileRows;
        int groups = n / groupRows, grouped = groupRows * groups;
        ulong[] packedB = prepacked ?? ArrayPool<ulong>.Shared.Rent(Math.Max(1, groups * words * groupRows));
        try
        {
            if (prepacked == null) Pack(b, groups, words, packedB);
            fixed (ulong* pa = a.Slice(rowStart * words, rows * words))
            fixed (ulong* pb = packedB)
            fixed (int* pc = counts)
            {
                // Blocks of A rows small enough to stay in L1 (about 16 KiB) while every B group passes them;
                // each group (GroupRows * words words) is reused by all the block's row tiles meanwhile.
                int blockRows = Math.Max(tileRows, L1BlockBytes / (words * sizeof(ulong)) / tileRows * tileRows);
                for (int blockStart = 0; blockStart < rows; blockStart += blockRows)
                {
                    int blockEnd = Math.Min(rows, blockStart + blockRows);
                    for (int g = 0; g < groups; g++)
                    {
                        ulong* group = pb + (long)g * words * groupRows;
                        int i = blockStart;
                        for (; i + tileRows <= blockEnd; i += tileRows)
                            TPacked.Tile<TOperation>(pa + (long)i * words, words, group, pc + (long)i * n + groupRows * g, n);
                        for (; i < blockEnd; i++)
                            TPacked.OneRow<TOperation>(pa + (long)i * words, words, group, pc + (long)i * n + groupRows * g);
                    }
                }
            }
        }
        finally
        {
            if (prepacked == null) ArrayPool<ulong>.Shared.Return(packedB);
        }
        if (grouped < n)
        {
            // The last n % GroupRows B rows: plain tiles into a side block, copied into place.
            int rest = n - grouped;
            int[] block = ArrayPool<int>.Shared.Rent(rows * rest);
            try
            {
                TileDriver.Run<TEdge, TOperation>(a, b.Slice(grouped * words), rowStart, rowEnd, rest, words, block);
                for (int r = 0; r < rows; r++)
                    block.AsSpan(r * rest, rest).CopyTo(counts.Slice(r * n + grouped, rest));
            }
            finally
            {
                ArrayPool<int>.Shared.Return(block);
            }
        }
    }

    /// <summary>
    /// Interleaves B rows by words: packed[g][t][r] = B[g * GroupRows + r, t]. Serial (it precedes every
    /// thread's work) and O(n * words): a few microseconds for 64 x 4096 bits, about 3% of that product.
    /// </summary>
    private static void Pack(ReadOnlySpan<ulong> b, int groups, int words, ulong[] packed)
    {
        int groupRows = TPacked.GroupRows;
        if (b.Length < groups * groupRows * words || packed.Length < groups * groupRows * words)
            throw new ArgumentException("packing buffers too small");
        fixed (ulong* source = b)
        fixed (ulong* target = packed)
        {
            for (int g = 0; g < groups; g++)
            {
                ulong* groupTarget = target + (long)g * words * groupRows;
                for (int r = 0; r < groupRows; r++)
                {
                    ulong* row = source + (long)(groupRows * g + r) * words;
                    ulong* column = groupTarget + r;
                    for (int t = 0; t < words; t++) column[groupRows * t] = row[t];
                }
            }
        }
    }
}
