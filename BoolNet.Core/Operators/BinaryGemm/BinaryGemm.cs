using BoolNet.Core.Bits;

namespace BoolNet.Core.Kernels;

/// <summary>
/// Binary GEMM entry points with runtime ISA dispatch and threading over output rows.
/// Shapes: A is [M, K] bits, B is [N, K] bits (both packed along K), C is [M, N] int32 row-major.
/// </summary>
public static class BinaryGemm
{
    /// <summary>The kernel for an ISA (throws when the machine lacks it).</summary>
    public static IBinaryGemmKernel KernelFor(Isa isa)
    {
        if (!IsaSelection.IsSupported(isa)) throw new PlatformNotSupportedException($"{isa} is not supported on this machine");
        return KernelRegistry.Get(isa);
    }

    /// <summary>The kernel dispatch uses now (<see cref="IsaSelection.Current"/>).</summary>
    public static IBinaryGemmKernel CurrentKernel => KernelFor(IsaSelection.Current);

    /// <summary>
    /// C[m, n] = sum_k B(A[m, k], B[n, k]) for the neuron logic B (ALGORITHMS.md section 2):
    /// XNOR counts agreements (K - popcount(a XOR b)), XOR counts disagreements.
    /// </summary>
    /// <param name="a">[M, K]</param>
    /// <param name="b">[N, K]</param>
    /// <param name="c">[M, N] output</param>
    /// <param name="logic">XNOR or XOR</param>
    /// <param name="threads">0 for <see cref="Threading.DefaultThreads"/></param>
    /// <param name="isa">null for <see cref="IsaSelection.Current"/></param>
    public static void Multiply(BitMatrix a, BitMatrix b, Span<int> c, BinaryLogic logic, int threads = 0, Isa? isa = null)
    {
        Count(CountOperation.Xor, a, b, c, threads, isa);
        if (logic == BinaryLogic.Xnor)
        {
            int k = a.Columns;
            int outputs = a.Rows * b.Rows;  // C may be longer than [M, N]: leave the rest untouched
            for (int i = 0; i < outputs; i++) c[i] = k - c[i];
        }
    }

    /// <summary>C[m, n] = popcount(A[m, :] AND B[n, :]): the bit-plane product of ALGORITHMS.md section 2.</summary>
    /// <param name="a">[M, K]</param>
    /// <param name="b">[N, K]</param>
    /// <param name="c">[M, N] output</param>
    /// <param name="threads">0 for <see cref="Threading.DefaultThreads"/></param>
    /// <param name="isa">null for <see cref="IsaSelection.Current"/></param>
    public static void CountAnd(BitMatrix a, BitMatrix b, Span<int> c, int threads = 0, Isa? isa = null) =>
        Count(CountOperation.And, a, b, c, threads, isa);

    /// <summary>C[m, n] = popcount(op(A[m, :], B[n, :])) over the K logical bits.</summary>
    public static void Count(CountOperation operation, BitMatrix a, BitMatrix b, Span<int> c, int threads = 0, Isa? isa = null)
    {
        if (a.Columns != b.Columns)
            throw new ArgumentException($"inner dimensions differ: A is {a.Rows}x{a.Columns}, B is {b.Rows}x{b.Columns}");
        Count(operation, a.Words, b.Words, a.Rows, b.Rows, a.WordsPerRow, c, threads, isa);
    }

    /// <summary>
    /// Raw form over packed words: A [m, words], B [n, words] with zero tails, C [m, n].
    /// Threads split A's rows, or B's rows when A has too few rows to go round (m &lt; 8 per thread while
    /// n has 8 per thread); each output is computed by exactly one thread, so the result never depends on
    /// the thread count.
    /// </summary>
    public static void Count(CountOperation operation, ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b,
        int m, int n, int words, Span<int> c, int threads = 0, Isa? isa = null)
    {
        if (a.Length < (long)m * words) throw new ArgumentException($"A holds {a.Length} words, needs {(long)m * words}");
        if (b.Length < (long)n * words) throw new ArgumentException($"B holds {b.Length} words, needs {(long)n * words}");
        if (c.Length < (long)m * n) throw new ArgumentException($"C holds {c.Length} ints, needs {(long)m * n}");
        if (m == 0 || n == 0) return;
        if (words == 0)
        {
            c.Slice(0, m * n).Clear();
            return;
        }
        IBinaryGemmKernel kernel = KernelFor(isa ?? IsaSelection.Current);
        threads = Threading.Resolve(threads);
        long work = (long)m * n * words;
        if (threads == 1 || work < 1 << 16)
        {
            kernel.Count(operation, a, b, 0, m, n, words, c);
            return;
        }
        if (m < threads * MinimumRowsPerThread && n >= threads * MinimumRowsPerThread)
        {
            CountSplittingColumns(kernel, operation, a, b, m, n, words, c, threads);
            return;
        }
        // The SIMD kernels repack B: do it once for all threads rather than once per chunk of rows.
        if (kernel is Avx512BinaryGemmKernel && PackedDriver<Avx512PackedKernel, Avx512LookupTiles>.Applies(n, words))
        {
            PackedDriver<Avx512PackedKernel, Avx512LookupTiles>.CountParallel(operation, a, b, m, n, words, c, threads);
            return;
        }
        if (kernel is Avx2BinaryGemmKernel && PackedDriver<Avx2PackedKernel, Avx2Tiles>.Applies(n, words))
        {
            PackedDriver<Avx2PackedKernel, Avx2Tiles>.CountParallel(operation, a, b, m, n, words, c, threads);
            return;
        }
        unsafe
        {
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
                    kernel.Count(operation, aSpan, bSpan, start, end, n, words, cSpan);
                }, alignment: 8, work: work);
            }
        }
    }

    /// <summary>Rows per thread below which a split has too little to share (tiles are 4 to 8 rows tall).</summary>
    private const int MinimumRowsPerThread = 8;

    /// <summary>
    /// Threads take contiguous blocks of B's rows: each computes C[:, j0..j1) into a side buffer with the
    /// same kernel (same counts, exact integers) and scatters it into its columns of C.
    /// </summary>
    private static unsafe void CountSplittingColumns(IBinaryGemmKernel kernel, CountOperation operation,
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
                    kernel.Count(operation, aSpan, bSpan, 0, m, columns, words, block);
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

    /// <summary>Single dot product: sum_k B(a_k, b_k) over <paramref name="bits"/> logical bits.</summary>
    public static int Dot(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, int bits, BinaryLogic logic, Isa? isa = null)
    {
        int words = BitMatrix.WordsFor(bits);
        if (a.Length < words || b.Length < words) throw new ArgumentException($"{bits} bits need {words} words in each operand");
        if (bits == 0) return 0;
        // The tail is masked so callers may pass vectors whose unused bits are not zero.
        Isa path = isa ?? IsaSelection.Current;
        if (!IsaSelection.IsSupported(path)) throw new PlatformNotSupportedException($"{path} is not supported on this machine");
        int mismatches = BinaryDot.XorCount(a, b, words, BitMatrix.TailMaskFor(bits), path);
        return logic == BinaryLogic.Xnor ? bits - mismatches : mismatches;
    }

    /// <summary>Single dot product of two bit vectors of equal length.</summary>
    public static int Dot(BitVector a, BitVector b, BinaryLogic logic, Isa? isa = null)
    {
        if (a.Length != b.Length) throw new ArgumentException($"lengths differ: {a.Length} and {b.Length}");
        return Dot(a.Words, b.Words, a.Length, logic, isa);
    }
}
