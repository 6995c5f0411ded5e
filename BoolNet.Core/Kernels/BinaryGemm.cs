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
            for (int i = 0; i < c.Length; i++) c[i] = k - c[i];
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
    /// Threads split A's rows; each output is computed by exactly one thread.
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

    /// <summary>Single dot product: sum_k B(a_k, b_k) over <paramref name="bits"/> logical bits.</summary>
    public static int Dot(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, int bits, BinaryLogic logic, Isa? isa = null)
    {
        int words = BitMatrix.WordsFor(bits);
        if (a.Length < words || b.Length < words) throw new ArgumentException($"{bits} bits need {words} words in each operand");
        if (bits == 0) return 0;
        // Mask the tail so callers may pass vectors whose unused bits are not zero.
        ulong mask = BitMatrix.TailMaskFor(bits);
        Span<int> result = stackalloc int[1];
        if (mask == ulong.MaxValue)
        {
            KernelFor(isa ?? IsaSelection.Current).Count(CountOperation.Xor, a[..words], b[..words], 0, 1, 1, words, result);
        }
        else
        {
            ulong[] left = a[..words].ToArray(), right = b[..words].ToArray();
            left[^1] &= mask; right[^1] &= mask;
            KernelFor(isa ?? IsaSelection.Current).Count(CountOperation.Xor, left, right, 0, 1, 1, words, result);
        }
        return logic == BinaryLogic.Xnor ? bits - result[0] : result[0];
    }

    /// <summary>Single dot product of two bit vectors of equal length.</summary>
    public static int Dot(BitVector a, BitVector b, BinaryLogic logic, Isa? isa = null)
    {
        if (a.Length != b.Length) throw new ArgumentException($"lengths differ: {a.Length} and {b.Length}");
        return Dot(a.Words, b.Words, a.Length, logic, isa);
    }
}
