using System.Buffers;
using System.Runtime.CompilerServices;

using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>One ISA's tiles over prefix-packed operands (<see cref="PrefixPacking"/>).</summary>
internal unsafe interface IPrefixKernel
{
    /// <summary>B rows per prefix group (the qword lanes of the kernel's vector).</summary>
    static abstract int GroupRows { get; }

    /// <summary>
    /// Writes counts[i * n + j] for A rows i &lt; rows (A packed in 4-row groups) and the B rows j of groups
    /// [groupStart, groupEnd) (those under n).
    /// </summary>
    static abstract void Block(ulong* packedA, int rows, ulong* packedB, int padded, int groupStart, int groupEnd, int n, int* counts);
}

/// <summary>
/// Driver of the XOR count on prefix-packed operands (<see cref="PrefixPacking"/>,
/// <see cref="Avx2PrefixKernel"/>, <see cref="Avx512PrefixKernel"/>): packs B (once per call, once for all threads) and the calling
/// thread's A rows, then passes every A row over blocks of B groups small enough to stay in L1 while
/// the rows go by, so the shape's size never leaves the kernel waiting on L2 (A's prefix rows stream
/// once per block). Every output is written (not added) by one tile on one thread, so neither the
/// blocking nor the thread count changes a result.
/// </summary>
internal static unsafe class PrefixDriver<TKernel>
    where TKernel : struct, IPrefixKernel
{
    /// <summary>Words per Harley-Seal tree: rows are padded to a multiple of it.</summary>
    public const int TreeWords = 8;

    /// <summary>Words per row of the packings.</summary>
    public static int PaddedWords(int words) => PrefixPacking.PaddedWords(words, TreeWords);

    /// <summary>Packs B ahead (<see cref="PackedWeights"/>).</summary>
    public static ulong[] PackAhead(ReadOnlySpan<ulong> b, int n, int words)
    {
        int padded = PaddedWords(words);
        var packed = new ulong[Math.Max(1, PrefixPacking.Length(n, padded, TKernel.GroupRows))];
        fixed (ulong* source = b)
        fixed (ulong* target = packed)
            if (n > 0) PrefixPacking.Pack(source, 0, n, words, padded, target, TKernel.GroupRows);
        return packed;
    }

    /// <summary>Bytes of B's prefix groups per cache block (half of a 32 KiB L1 data cache).</summary>
    private const int L1BlockBytes = 16 * 1024;

    /// <summary>Rows [rowStart, rowEnd) of A against all of B: counts[(i - rowStart) * n + j] = popcount(A[i] XOR B[j]).</summary>
    public static void Count(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, int rowStart, int rowEnd, int n, int words, Span<int> counts)
    {
        Check(a, b, rowStart, rowEnd, n, words, counts);
        if (rowEnd == rowStart || n == 0) return;
        int padded = PaddedWords(words);
        ulong[] packedB = RentPacked(b, n, words, padded);
        try
        {
            Run(a, rowStart, rowEnd, n, words, padded, packedB, counts);
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(packedB);
        }
    }

    /// <summary>B's prefix groups in an array rented from the shared pool (the caller returns it).</summary>
    private static ulong[] RentPacked(ReadOnlySpan<ulong> b, int n, int words, int padded)
    {
        ulong[] packed = ArrayPool<ulong>.Shared.Rent((int)PrefixPacking.Length(n, padded, TKernel.GroupRows));
        fixed (ulong* source = b)
        fixed (ulong* target = packed)
            PrefixPacking.Pack(source, 0, n, words, padded, target, TKernel.GroupRows);
        return packed;
    }

    /// <summary>The whole product on <paramref name="threads"/> threads: B packed once, A's rows split in chunks.</summary>
    public static void CountParallel(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, int m, int n, int words, Span<int> counts, int threads)
    {
        Check(a, b, 0, m, n, words, counts);
        if (m == 0 || n == 0) return;
        int padded = PaddedWords(words);
        if (n > m && (n + TKernel.GroupRows - 1) / TKernel.GroupRows >= 2 * Threading.Resolve(threads))
        {
            CountSplittingGroups(a, b, m, n, words, padded, counts, threads);
            return;
        }
        ulong[] packedB = RentPacked(b, n, words, padded);
        try
        {
            CountPacked(a, m, n, words, padded, packedB, counts, threads);
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(packedB);
        }
    }

    /// <summary>
    /// B the larger operand (a layer's forward: 100 samples against 1024 weight rows that changed since the
    /// last step): A packed once, then threads take B's groups, each packing its own groups and passing all
    /// of A over them. Splitting A's rows instead made B's packing a serial step before the threads (a
    /// quarter of a 100x1024x1024 product on one AVX-512 thread) and had every thread read all of it.
    /// </summary>
    private static void CountSplittingGroups(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, int m, int n, int words, int padded,
        Span<int> counts, int threads)
    {
        int groupRows = TKernel.GroupRows, groups = (n + groupRows - 1) / groupRows;
        ulong[] packedA = ArrayPool<ulong>.Shared.Rent((int)PrefixPacking.Length(m, padded));
        ulong[] packedB = ArrayPool<ulong>.Shared.Rent((int)PrefixPacking.Length(n, padded, groupRows));
        try
        {
            fixed (ulong* pa = a)
            fixed (ulong* pb = b)
            fixed (ulong* pap = packedA)
            fixed (ulong* pbp = packedB)
            fixed (int* pc = counts)
            {
                PrefixPacking.Pack(pa, 0, m, words, padded, pap);
                // Pointers, not spans, cross into the lambda; the arrays stay pinned for its duration.
                ulong* bSource = pb, aPacked = pap, bPacked = pbp;
                int* cPointer = pc;
                Threading.For(groups, threads, (start, end) =>
                {
                    ulong* target = bPacked + (long)start * groupRows * padded;
                    PrefixPacking.Pack(bSource, start * groupRows, Math.Min(n, end * groupRows), words, padded, target, groupRows);
                    RunGroups(aPacked, m, bPacked, padded, start, end, n, cPointer);
                }, alignment: BlockGroups(padded), work: (long)m * n * words); // whole L1 blocks (an even count) per chunk
            }
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(packedA);
            ArrayPool<ulong>.Shared.Return(packedB);
        }
    }

    /// <summary>
    /// A against a B packed ahead (<see cref="PackedWeights"/>): on one thread nothing but A's packing
    /// (pooled) happens per call; with more, A's rows split in chunks as in <see cref="CountParallel"/>.
    /// </summary>
    public static void CountPacked(ReadOnlySpan<ulong> a, int m, int n, int words, int padded, ulong[] packedB,
        Span<int> counts, int threads)
    {
        if (a.Length < (long)m * words) throw new ArgumentException($"A holds {a.Length} words, needs {(long)m * words}");
        if (counts.Length < (long)m * n) throw new ArgumentException($"counts hold {counts.Length} ints, need {(long)m * n}");
        if (packedB.Length < PrefixPacking.Length(n, padded, TKernel.GroupRows)) throw new ArgumentException("packed B too small");
        if (m == 0 || n == 0) return;
        if (Threading.Resolve(threads) == 1 || (long)m * n * words < 1 << 16)
        {
            Run(a, 0, m, n, words, padded, packedB, counts);
            return;
        }
        CountPackedParallel(a, m, n, words, padded, packedB, counts, threads);
    }

    /// <summary>
    /// The threaded part of <see cref="CountPacked"/>, in its own method: the lambda captures the parameters,
    /// and a closure over parameters is allocated on entry to the method that declares them, so in
    /// <see cref="CountPacked"/> it would cost every batch-1 call 56 bytes.
    /// </summary>
    private static void CountPackedParallel(ReadOnlySpan<ulong> a, int m, int n, int words, int padded, ulong[] packedB,
        Span<int> counts, int threads)
    {
        fixed (ulong* pa = a)
        fixed (int* pc = counts)
        {
            // Spans cannot cross into the parallel lambda; the arrays behind them stay pinned for its duration.
            ulong* aPointer = pa;
            int* cPointer = pc;
            int aLength = m * words;
            Threading.For(m, threads, (start, end) =>
            {
                var aSpan = new ReadOnlySpan<ulong>(aPointer, aLength);
                var cSpan = new Span<int>(cPointer + (long)start * n, (end - start) * n);
                Run(aSpan, start, end, n, words, padded, packedB, cSpan);
            }, alignment: PrefixPacking.GroupRows, work: (long)m * n * words);
        }
    }

    private static void Check(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, int rowStart, int rowEnd, int n, int words, Span<int> counts)
    {
        int rows = rowEnd - rowStart;
        if (rows < 0 || rowStart < 0) throw new ArgumentException($"bad row range [{rowStart}, {rowEnd})");
        if (a.Length < (long)rowEnd * words) throw new ArgumentException($"A holds {a.Length} words, rows up to {rowEnd} need {(long)rowEnd * words}");
        if (b.Length < (long)n * words) throw new ArgumentException($"B holds {b.Length} words, needs {(long)n * words}");
        if (counts.Length < (long)rows * n) throw new ArgumentException($"counts hold {counts.Length} ints, need {(long)rows * n}");
    }

    /// <summary>Packs rows [rowStart, rowEnd) of A and runs the blocked tiles against the packed B.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run(ReadOnlySpan<ulong> a, int rowStart, int rowEnd, int n, int words, int padded,
        ulong[] packedB, Span<int> counts)
    {
        int rows = rowEnd - rowStart;
        ulong[] packedA = ArrayPool<ulong>.Shared.Rent((int)PrefixPacking.Length(rows, padded));
        try
        {
            fixed (ulong* pa = a)
            fixed (ulong* pap = packedA)
            fixed (ulong* pbp = packedB)
            fixed (int* pc = counts)
            {
                PrefixPacking.Pack(pa, rowStart, rowEnd, words, padded, pap);
                RunGroups(pap, rows, pbp, padded, 0, (n + TKernel.GroupRows - 1) / TKernel.GroupRows, n, pc);
            }
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(packedA);
        }
    }

    /// <summary>Packed A rows against B groups [groupStart, groupEnd), in blocks of groups that stay in L1 while all A rows pass.</summary>
    private static void RunGroups(ulong* packedA, int rows, ulong* packedB, int padded, int groupStart, int groupEnd, int n, int* counts)
    {
        int blockGroups = BlockGroups(padded);
        for (int blockStart = groupStart; blockStart < groupEnd; blockStart += blockGroups)
            TKernel.Block(packedA, rows, packedB, padded, blockStart, Math.Min(groupEnd, blockStart + blockGroups), n, counts);
    }

    /// <summary>B groups per L1 block: an even count (the AVX2 tiles take groups in pairs) of about <see cref="L1BlockBytes"/>.</summary>
    private static int BlockGroups(int padded) =>
        Math.Max(2, (int)(L1BlockBytes / ((long)TKernel.GroupRows * padded * sizeof(ulong))) / 2 * 2);
}
