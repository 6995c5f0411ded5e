using BoolNet.Core.Bits;

using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// The binary GEMM, the counting product behind every Boolean neuron (docs/ALGORITHMS.md section 2;
/// Leconte, "Boolean Logic as an Error feedback mechanism", Eq. 2, after BOLD, Nguyen et al., arXiv:2405.16339):
/// C[i, j] = popcount(op(A[i, :], B[j, :])) with op = XOR (XNOR/XOR neurons) or AND (bit-planes).
/// Shapes: A is [M, K] bits, B is [N, K] bits (both packed along K, zero tails), C is [M, N] int32 row-major.
/// </summary>
/// <remarks>
/// This file is the operator's one entry point and its one decision (<see cref="Choose"/>): the ISA
/// (<see cref="IsaSelection.Current"/> unless the caller passes one) and, for that ISA, the algorithm by
/// shape. The paths live next to it: <see cref="ScalarBinaryGemm"/> (the reference every path equals bit
/// for bit), the AVX2 and AVX-512 register tiles driven by <see cref="TileDriver"/>, and their Harley-Seal
/// kernels over an interleaved B driven by <see cref="PackedDriver{TPacked, TEdge}"/>. Threads split
/// outputs only, so neither the path nor the thread count changes a result.
/// </remarks>
public static class BinaryGemm
{
    /// <summary>The algorithm paths; which one runs is decided by <see cref="Choose"/> alone.</summary>
    private enum Path
    {
        /// <summary>One word at a time, scalar popcnt (<see cref="ScalarBinaryGemm"/>).</summary>
        Scalar,

        /// <summary>2x4 register tiles of ymm vpshufb lookups (<see cref="Avx2Tiles"/>).</summary>
        Avx2Tiles,

        /// <summary>
        /// B in 4-row groups, Harley-Seal trees on ymm: XOR on prefix-XOR packings (<see cref="PrefixDriver{TKernel}"/>,
        /// <see cref="Avx2PrefixKernel"/>), AND on plain interleaving (<see cref="Avx2PackedKernel"/>).
        /// </summary>
        Avx2Packed,

        /// <summary>4x4 register tiles of zmm vpermb lookups (<see cref="Avx512LookupTiles"/>).</summary>
        Avx512Tiles,

        /// <summary>
        /// B in 8-row groups, Harley-Seal trees with vpternlogq: XOR on prefix-XOR packings (<see cref="Avx512PrefixKernel"/>),
        /// AND on plain interleaving (<see cref="Avx512PackedKernel"/>).
        /// </summary>
        Avx512Packed,

        /// <summary>2x4 register tiles of NEON CNT + UADALP (<see cref="NeonBinaryGemm"/>).</summary>
        NeonTiles,
    }

    /// <summary>
    /// The one decision of which path runs for a product against <paramref name="n"/> B rows of
    /// <paramref name="words"/> words on <paramref name="isa"/>.
    /// </summary>
    private static Path Choose(Isa isa, int n, int words) => isa switch
    {
        // Interleaving B pays once there is a whole group of rows and one tree of 8 words per row.
        Isa.Avx512 when PackedDriver<Avx512PackedKernel, Avx512LookupTiles>.Applies(n, words) => Path.Avx512Packed,
        // A short row whose last 512-bit chunk would leave 4 or more words to scalar popcnt (784 bits =
        // 13 words: 1 chunk + 5) keeps more of the row in vectors with 256-bit steps (3 chunks + 1); every
        // AVX-512 CPU has AVX2.
        Isa.Avx512 when words % 8 >= 4 && words < 64 => Path.Avx2Tiles,
        Isa.Avx512 => Path.Avx512Tiles,
        Isa.Avx2 when PackedDriver<Avx2PackedKernel, Avx2Tiles>.Applies(n, words) => Path.Avx2Packed,
        Isa.Avx2 => Path.Avx2Tiles,
        Isa.Neon => Path.NeonTiles,
        _ => Path.Scalar,
    };

    /// <summary>
    /// The name of the path <see cref="Count(CountOperation, ReadOnlySpan{ulong}, ReadOnlySpan{ulong}, int, int, int, Span{int}, int, Isa?)"/>
    /// takes against <paramref name="n"/> B rows of <paramref name="words"/> words ("scalar", "avx2-tiles",
    /// "avx2-packed", "avx512-tiles", "avx512-packed", "neon-tiles"), for benchmark reports and the dispatch tests.
    /// </summary>
    /// <param name="n">B rows</param>
    /// <param name="words">64-bit words per row</param>
    /// <param name="isa">null for <see cref="IsaSelection.Current"/></param>
    public static string PathName(int n, int words, Isa? isa = null) => Choose(isa ?? IsaSelection.Current, n, words) switch
    {
        Path.Avx2Tiles => "avx2-tiles",
        Path.Avx2Packed => "avx2-packed",
        Path.Avx512Tiles => "avx512-tiles",
        Path.Avx512Packed => "avx512-packed",
        Path.NeonTiles => "neon-tiles",
        _ => "scalar",
    };

    /// <summary>
    /// C[m, n] = sum_k B(A[m, k], B[n, k]) for the neuron logic B (docs/ALGORITHMS.md section 2):
    /// XNOR counts agreements (K - popcount(a XOR b)), XOR counts disagreements.
    /// </summary>
    /// <param name="a">[M, K]</param>
    /// <param name="b">[N, K]</param>
    /// <param name="c">[M, N] output</param>
    /// <param name="logic">XNOR or XOR</param>
    /// <param name="threads">threads to use (0: every processor)</param>
    /// <param name="isa">null for <see cref="IsaSelection.Current"/></param>
    public static void Multiply(BitMatrix a, BitMatrix b, Span<int> c, BinaryLogic logic, int threads, Isa? isa = null)
    {
        Count(CountOperation.Xor, a, b, c, threads, isa);
        if (logic == BinaryLogic.Xnor)
        {
            int k = a.Columns;
            int outputs = a.Rows * b.Rows;  // C may be longer than [M, N]: leave the rest untouched
            for (int i = 0; i < outputs; i++) c[i] = k - c[i];
        }
    }

    /// <summary>C[m, n] = popcount(A[m, :] AND B[n, :]): the bit-plane product of docs/ALGORITHMS.md section 2.</summary>
    /// <param name="a">[M, K]</param>
    /// <param name="b">[N, K]</param>
    /// <param name="c">[M, N] output</param>
    /// <param name="threads">threads to use (0: every processor)</param>
    /// <param name="isa">null for <see cref="IsaSelection.Current"/></param>
    public static void CountAnd(BitMatrix a, BitMatrix b, Span<int> c, int threads, Isa? isa = null) =>
        Count(CountOperation.And, a, b, c, threads, isa);

    /// <summary>C[m, n] = popcount(op(A[m, :], B[n, :])) over the K logical bits.</summary>
    /// <param name="operation">XOR or AND</param>
    /// <param name="a">[M, K]</param>
    /// <param name="b">[N, K]</param>
    /// <param name="c">[M, N] output</param>
    /// <param name="threads">threads to use (0: every processor)</param>
    /// <param name="isa">null for <see cref="IsaSelection.Current"/></param>
    public static void Count(CountOperation operation, BitMatrix a, BitMatrix b, Span<int> c, int threads, Isa? isa = null)
    {
        if (a.Columns != b.Columns)
            throw new ArgumentException($"inner dimensions differ: A is {a.Rows}x{a.Columns}, B is {b.Rows}x{b.Columns}");
        Count(operation, a.Words, b.Words, a.Rows, b.Rows, a.WordsPerRow, c, threads, isa);
    }

    /// <summary>
    /// Raw form over packed words: A [m, words], B [n, words] with zero tails, C [m, n].
    /// Threads split A's rows, or B's rows when A has too few rows to go round (m &lt; 8 per thread while
    /// n has 8 per thread); each output is computed by exactly one thread, so the result never depends on
    /// the thread count. On one thread nothing is allocated (the batch-1 inference path relies on it).
    /// </summary>
    /// <param name="operation">XOR or AND</param>
    /// <param name="a">[m, words]</param>
    /// <param name="b">[n, words]</param>
    /// <param name="m">A rows</param>
    /// <param name="n">B rows</param>
    /// <param name="words">64-bit words per row</param>
    /// <param name="c">[m, n] output</param>
    /// <param name="threads">threads to use (0: every processor)</param>
    /// <param name="isa">null for <see cref="IsaSelection.Current"/></param>
    public static void Count(CountOperation operation, ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b,
        int m, int n, int words, Span<int> c, int threads, Isa? isa = null)
    {
        if (a.Length < (long)m * words) throw new ArgumentException($"A holds {a.Length} words, needs {(long)m * words}");
        if (b.Length < (long)n * words) throw new ArgumentException($"B holds {b.Length} words, needs {(long)n * words}");
        if (c.Length < (long)m * n) throw new ArgumentException($"C holds {c.Length} ints, needs {(long)m * n}");
        Isa path = IsaSelection.Require(isa ?? IsaSelection.Current);
        if (m == 0 || n == 0) return;
        if (words == 0)
        {
            c.Slice(0, m * n).Clear();
            return;
        }
        threads = Threading.Resolve(threads);
        long work = (long)m * n * words;
        if (threads == 1 || work < 1 << 16)
        {
            CountBlock(Choose(path, n, words), operation, a, b, 0, m, n, words, c);
            return;
        }
        if (m < threads * MinimumRowsPerThread && n >= threads * MinimumRowsPerThread)
            CountSplittingColumns(path, operation, a, b, m, n, words, c, threads);
        else
            CountSplittingRows(Choose(path, n, words), operation, a, b, m, n, words, c, threads);
    }

    /// <summary>
    /// Packs fixed weights <paramref name="weights"/> ([n, K], the B of later XOR counts) once, in the layout
    /// of the path chosen for them on <paramref name="isa"/> (see <see cref="PackedWeights"/>).
    /// </summary>
    /// <param name="weights">[n, K] bits; must not change while the packing is in use</param>
    /// <param name="isa">null for <see cref="IsaSelection.Current"/></param>
    public static PackedWeights PackWeights(BitMatrix weights, Isa? isa = null)
    {
        Isa path = IsaSelection.Require(isa ?? IsaSelection.Current);
        int n = weights.Rows, words = weights.WordsPerRow;
        return Choose(path, n, words) switch
        {
            Path.Avx512Packed => new PackedWeights(weights, path, PrefixDriver<Avx512PrefixKernel>.PackAhead(weights.Words, n, words),
                PrefixDriver<Avx512PrefixKernel>.PaddedWords(words)),
            Path.Avx2Packed => new PackedWeights(weights, path, PrefixDriver<Avx2PrefixKernel>.PackAhead(weights.Words, n, words),
                PrefixDriver<Avx2PrefixKernel>.PaddedWords(words)),
            _ => new PackedWeights(weights, path, null, words),
        };
    }

    /// <summary>
    /// C[i, j] = popcount(A[i, :] XOR W[j, :]) against weights packed by <see cref="PackWeights"/>: the
    /// same counts as <see cref="Count(CountOperation, ReadOnlySpan{ulong}, ReadOnlySpan{ulong}, int, int, int, Span{int}, int, Isa?)"/>
    /// on the packing's ISA, without B's per-call packing. On one thread nothing is allocated.
    /// </summary>
    /// <param name="a">[m, words] with zero tails</param>
    /// <param name="m">A rows</param>
    /// <param name="weights">the packed B [n, words]</param>
    /// <param name="c">[m, n] output</param>
    /// <param name="threads">threads to use (0: every processor)</param>
    public static void CountXor(ReadOnlySpan<ulong> a, int m, PackedWeights weights, Span<int> c, int threads)
    {
        BitMatrix b = weights.Weights;
        if (weights.Prefix is null)
            Count(CountOperation.Xor, a, b.Words, m, b.Rows, b.WordsPerRow, c, threads, weights.Isa);
        else if (weights.Isa == Isa.Avx512)
            PrefixDriver<Avx512PrefixKernel>.CountPacked(a, m, b.Rows, b.WordsPerRow, weights.PaddedWords, weights.Prefix, c, threads);
        else
            PrefixDriver<Avx2PrefixKernel>.CountPacked(a, m, b.Rows, b.WordsPerRow, weights.PaddedWords, weights.Prefix, c, threads);
    }

    /// <summary>
    /// Rows [rowStart, rowEnd) of A against all of B on the calling thread:
    /// counts[(i - rowStart) * n + j] = popcount(op(A[i, :], B[j, :])). A block of the product, as a thread of
    /// <see cref="Count(CountOperation, ReadOnlySpan{ulong}, ReadOnlySpan{ulong}, int, int, int, Span{int}, int, Isa?)"/> computes it.
    /// </summary>
    /// <param name="operation">XOR or AND</param>
    /// <param name="a">[M, words], M &gt;= rowEnd</param>
    /// <param name="b">[n, words]</param>
    /// <param name="rowStart">first A row</param>
    /// <param name="rowEnd">one past the last A row</param>
    /// <param name="n">B rows</param>
    /// <param name="words">64-bit words per row</param>
    /// <param name="counts">[rowEnd - rowStart, n] output</param>
    /// <param name="isa">null for <see cref="IsaSelection.Current"/></param>
    public static void CountRows(CountOperation operation, ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b,
        int rowStart, int rowEnd, int n, int words, Span<int> counts, Isa? isa = null)
    {
        Isa path = IsaSelection.Require(isa ?? IsaSelection.Current);
        CountBlock(Choose(path, n, words), operation, a, b, rowStart, rowEnd, n, words, counts);
    }

    /// <summary>Runs one path over a block of A's rows (the argument checks are the drivers').</summary>
    private static void CountBlock(Path path, CountOperation operation, ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b,
        int rowStart, int rowEnd, int n, int words, Span<int> counts)
    {
        bool xor = operation == CountOperation.Xor;
        switch (path)
        {
            case Path.Avx512Packed when xor:
                PrefixDriver<Avx512PrefixKernel>.Count(a, b, rowStart, rowEnd, n, words, counts);
                break;
            case Path.Avx512Packed:
                PackedDriver<Avx512PackedKernel, Avx512LookupTiles>.Count(operation, a, b, rowStart, rowEnd, n, words, counts);
                break;
            case Path.Avx512Tiles when xor:
                TileDriver.Run<Avx512LookupTiles, XorVectors>(a, b, rowStart, rowEnd, n, words, counts);
                break;
            case Path.Avx512Tiles:
                TileDriver.Run<Avx512LookupTiles, AndVectors>(a, b, rowStart, rowEnd, n, words, counts);
                break;
            case Path.Avx2Packed when xor:
                PrefixDriver<Avx2PrefixKernel>.Count(a, b, rowStart, rowEnd, n, words, counts);
                break;
            case Path.Avx2Packed:
                PackedDriver<Avx2PackedKernel, Avx2Tiles>.Count(operation, a, b, rowStart, rowEnd, n, words, counts);
                break;
            case Path.Avx2Tiles when xor:
                TileDriver.Run<Avx2Tiles, XorVectors>(a, b, rowStart, rowEnd, n, words, counts);
                break;
            case Path.Avx2Tiles:
                TileDriver.Run<Avx2Tiles, AndVectors>(a, b, rowStart, rowEnd, n, words, counts);
                break;
            case Path.NeonTiles:
                NeonBinaryGemm.Count(operation, a, b, rowStart, rowEnd, n, words, counts);
                break;
            default:
                ScalarBinaryGemm.Count(operation, a, b, rowStart, rowEnd, n, words, counts);
                break;
        }
    }

    /// <summary>Rows per thread below which a split has too little to share (tiles are 4 to 8 rows tall).</summary>
    private const int MinimumRowsPerThread = 8;

    /// <summary>Threads take chunks of A's rows; the packed paths pack B once for all of them rather than once per chunk.</summary>
    private static unsafe void CountSplittingRows(Path path, CountOperation operation, ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b,
        int m, int n, int words, Span<int> c, int threads)
    {
        // XOR first: the prefix kernels are the packed paths' XOR kernels on one thread (CountBlock), so on
        // several too (the AVX-512 AND-or-XOR branch once came first and ran XOR on the older tiles).
        if (path == Path.Avx2Packed && operation == CountOperation.Xor)
        {
            PrefixDriver<Avx2PrefixKernel>.CountParallel(a, b, m, n, words, c, threads);
            return;
        }
        if (path == Path.Avx512Packed && operation == CountOperation.Xor)
        {
            PrefixDriver<Avx512PrefixKernel>.CountParallel(a, b, m, n, words, c, threads);
            return;
        }
        if (path == Path.Avx512Packed)
        {
            PackedDriver<Avx512PackedKernel, Avx512LookupTiles>.CountParallel(operation, a, b, m, n, words, c, threads);
            return;
        }
        if (path == Path.Avx2Packed)
        {
            PackedDriver<Avx2PackedKernel, Avx2Tiles>.CountParallel(operation, a, b, m, n, words, c, threads);
            return;
        }
        // Spans cannot cross into the parallel lambda; the arrays behind them are pinned for its duration.
        fixed (ulong* pa = a)
        fixed (ulong* pb = b)
        fixed (int* pc = c)
        {
            ulong* aPointer = pa, bPointer = pb;
            int* cPointer = pc;
            int aLength = m * words, bLength = n * words;
            Threading.For(m, threads, (start, end) =>
            {
                var aSpan = new ReadOnlySpan<ulong>(aPointer, aLength);
                var bSpan = new ReadOnlySpan<ulong>(bPointer, bLength);
                var cSpan = new Span<int>(cPointer + (long)start * n, (end - start) * n);
                CountBlock(path, operation, aSpan, bSpan, start, end, n, words, cSpan);
            }, alignment: 8, work: (long)m * n * words);
        }
    }

    /// <summary>
    /// Threads take contiguous blocks of B's rows: each computes C[:, j0..j1) into a side buffer with the
    /// path chosen for its block (same counts, exact integers) and scatters it into its columns of C.
    /// </summary>
    private static unsafe void CountSplittingColumns(Isa isa, CountOperation operation,
        ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, int m, int n, int words, Span<int> c, int threads)
    {
        fixed (ulong* pa = a)
        fixed (ulong* pb = b)
        fixed (int* pc = c)
        {
            // Spans cannot cross into the parallel lambda; the arrays behind them are pinned for its duration.
            ulong* aPointer = pa, bPointer = pb;
            int* cPointer = pc;
            Threading.For(n, threads, (start, end) =>
            {
                int columns = end - start;
                int[] block = System.Buffers.ArrayPool<int>.Shared.Rent(m * columns);
                try
                {
                    var aSpan = new ReadOnlySpan<ulong>(aPointer, m * words);
                    var bSpan = new ReadOnlySpan<ulong>(bPointer + (long)start * words, columns * words);
                    CountBlock(Choose(isa, columns, words), operation, aSpan, bSpan, 0, m, columns, words, block);
                    for (int i = 0; i < m; i++)
                        block.AsSpan(i * columns, columns).CopyTo(new Span<int>(cPointer + (long)i * n + start, columns));
                }
                finally
                {
                    System.Buffers.ArrayPool<int>.Shared.Return(block);
                }
            }, alignment: MinimumRowsPerThread, work: (long)m * n * words);
        }
    }
}
