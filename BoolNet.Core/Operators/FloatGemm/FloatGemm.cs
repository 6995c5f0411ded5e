using System.Runtime.Intrinsics.X86;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// The summation order of each element of a float product. Floating-point addition is not
/// associative, so the order is part of the result: a layer and the inference layer folded from it
/// must use the same order to give the same bits.
/// </summary>
public enum FloatSumOrder
{
    /// <summary>
    /// One fused multiply-add chain over p = 0..k-1 from 0 (or from C when accumulating):
    /// <c>c = fma(a[i,p], b[p,j], c)</c>. Every blocking, thread count and ISA path gives these bits.
    /// Model files call it "chain".
    /// </summary>
    Chain,

    /// <summary>
    /// Eight partial sums, lane L = fma-chain over p = L, L + 8, ... below the last multiple of 8; then
    /// total = 0 + lane 0 + lane 1 + ... + lane 7 (plain adds), then an fma chain over the tail p;
    /// accumulating adds the total to C. The order of a dot product of two contiguous rows with one
    /// 8-float vector, which the float classifier head (fewer than 16 outputs) has always used.
    /// Defined for A [m, k] times B [n, k]^T only. Model files call it "dot8".
    /// </summary>
    Dot8,
}

/// <summary>
/// The float matrix product of the engine, <c>C[m,n] (+)= op(A)[m,k] op(B)[k,n]</c>, row-major: A is
/// stored [m,k] (or [k,m] when <c>transposeA</c>), B is stored [k,n] (or [n,k] when <c>transposeB</c>).
/// Each element is summed in the named <see cref="FloatSumOrder"/>; <see cref="MultiplyReference"/>
/// is that definition as plain loops, and every path here equals it bit for bit, on every thread count.
/// <para>
/// Files: this one (entry points, checks, the one decision of which algorithm and ISA path run),
/// <c>FloatGemm.Reference.cs</c> (the scalar definition), <c>FloatGemm.Blocked.cs</c> (Goto-style
/// packing and blocking), <c>FloatGemm.Tiles.cs</c> (the register tiles: AVX-512, AVX2, scalar),
/// <c>FloatGemm.Rows.cs</c> (few rows against an unpacked B, and the <see cref="FloatSumOrder.Dot8"/>
/// row dot products), <c>FloatGemm.Panels.cs</c> and <c>FloatGemm.PanelKernels.cs</c> (products against a
/// B packed once, <see cref="FloatPanels"/>: the inference layer's weights). <c>BOOLNET_ISA=scalar</c> runs
/// every algorithm on its scalar loops.
/// </para>
/// </summary>
public static partial class FloatGemm
{
    /// <summary>Rows of op(A) at or below which a product against a row-major B streams B in place (<see cref="Algorithm.FewRows"/>).</summary>
    public const int FewRowsLimit = 4;

    /// <summary>
    /// C[m,n] (+)= op(A)[m,k] op(B)[k,n] in <paramref name="order"/> on the process ISA
    /// (<see cref="IsaSelection.Current"/>). <paramref name="threads"/> 0 means the process default;
    /// the result never depends on it.
    /// </summary>
    public static void Multiply(
        ReadOnlySpan<float> a, bool transposeA,
        ReadOnlySpan<float> b, bool transposeB,
        Span<float> c, int m, int n, int k,
        FloatSumOrder order = FloatSumOrder.Chain, bool accumulate = false, int threads = 0) =>
        Multiply(a, transposeA, b, transposeB, c, m, n, k, order, accumulate, threads, IsaSelection.Current);

    /// <summary>
    /// <see cref="Multiply(ReadOnlySpan{float}, bool, ReadOnlySpan{float}, bool, Span{float}, int, int, int, FloatSumOrder, bool, int)"/>
    /// on an explicit ISA path (tests and benchmarks); a path the machine lacks falls back to the widest it has.
    /// </summary>
    public static void Multiply(
        ReadOnlySpan<float> a, bool transposeA,
        ReadOnlySpan<float> b, bool transposeB,
        Span<float> c, int m, int n, int k,
        FloatSumOrder order, bool accumulate, int threads, Isa isa) =>
        Multiply(a, transposeA, b, transposeB, c, m, n, k, order, accumulate, threads, isa,
            Choose(m, n, k, transposeA, transposeB, order, accumulate, isa));

    /// <summary>
    /// The product by an explicit algorithm and ISA path, for tests and benchmarks that compare them
    /// (<see cref="Choose"/> is what the other entry points run). Throws when the algorithm does not
    /// apply to the layout, order or path.
    /// </summary>
    public static unsafe void Multiply(
        ReadOnlySpan<float> a, bool transposeA,
        ReadOnlySpan<float> b, bool transposeB,
        Span<float> c, int m, int n, int k,
        FloatSumOrder order, bool accumulate, int threads, Isa isa, Algorithm algorithm)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"negative GEMM shape {m}x{n}x{k}");
        if (a.Length < (long)m * k) throw new ArgumentException($"A holds {a.Length} values, needs {m}x{k}", nameof(a));
        if (b.Length < (long)k * n) throw new ArgumentException($"B holds {b.Length} values, needs {k}x{n}", nameof(b));
        if (c.Length < (long)m * n) throw new ArgumentException($"C holds {c.Length} values, needs {m}x{n}", nameof(c));
        if (order == FloatSumOrder.Dot8 && (transposeA || !transposeB))
            throw new ArgumentException("the dot8 order is defined for A [m, k] times B [n, k]^T (rows of both contiguous)", nameof(order));
        Path path = Resolve(isa);
        if (!Applies(algorithm, transposeA, transposeB, order, accumulate, path))
            throw new ArgumentException($"the {algorithm} algorithm does not compute a {order} product with tA={transposeA} tB={transposeB} accumulate={accumulate} on {path}", nameof(algorithm));
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) c[..(m * n)].Clear();
            return;
        }
        fixed (float* aPointer = a, bPointer = b, cPointer = c)
        {
            switch (algorithm)
            {
                case Algorithm.Dot8Rows: MultiplyDot8(aPointer, bPointer, cPointer, m, n, k, accumulate, threads, path); break;
                case Algorithm.FewRows: MultiplyFewRows(aPointer, transposeA, bPointer, cPointer, m, n, k, accumulate, threads, path); break;
                default: MultiplyBlocked(aPointer, transposeA, bPointer, transposeB, cPointer, m, n, k, accumulate, threads, path); break;
            }
        }
    }

    /// <summary>How a product is computed; every algorithm gives the same bits for a given order.</summary>
    public enum Algorithm
    {
        /// <summary>Row dot products with eight FMA lanes (<see cref="FloatSumOrder.Dot8"/>).</summary>
        Dot8Rows,

        /// <summary>A few rows (at most <see cref="FewRowsLimit"/> where <see cref="Choose"/> picks it) against a row-major B read in place, no packing.</summary>
        FewRows,

        /// <summary>Packed B panels and register tiles (the general case).</summary>
        Blocked,
    }

    /// <summary>The vector width the ISA choice allows on this machine.</summary>
    internal enum Path
    {
        /// <summary>Plain loops with <see cref="MathF.FusedMultiplyAdd"/>.</summary>
        Scalar,

        /// <summary>256-bit FMA (AVX2 + FMA3).</summary>
        Vector256,

        /// <summary>512-bit FMA (AVX-512F).</summary>
        Vector512,
    }

    /// <summary>Maps an ISA choice to the widest float path it allows on this machine.</summary>
    internal static Path Resolve(Isa isa) => isa switch
    {
        Isa.Avx512 when Avx512F.IsSupported => Path.Vector512,
        Isa.Avx512 or Isa.Avx2 when Fma.IsSupported && Avx2.IsSupported => Path.Vector256,
        _ => Path.Scalar,
    };

    /// <summary>
    /// The one decision of which algorithm runs. Dot8 has its own loops. A product of at most
    /// <see cref="FewRowsLimit"/> rows against a row-major B (a small batch's input gradient, say) streams
    /// B once in place: packing B would copy all of it for a handful of rows (3.5x faster on bold-mlp's
    /// first layer at batch 1, <c>BoolNet.Bench floatgemm</c>; the inference layer now packs its weights
    /// once instead, <see cref="FloatPanels"/>, 1.8x faster again, <c>floatpanels</c>). Everything else is
    /// blocked. (A third algorithm, A B^T computed as (B A^T)^T on AVX2 to skip packing the weight, was
    /// deleted: on bold-mlp's training shape it measured 0.96-1.03x the blocked one.)
    /// </summary>
    public static Algorithm Choose(int m, int n, int k, bool transposeA, bool transposeB, FloatSumOrder order, bool accumulate, Isa isa)
    {
        if (order == FloatSumOrder.Dot8) return Algorithm.Dot8Rows;
        if (m <= FewRowsLimit && !transposeB) return Algorithm.FewRows;
        return Algorithm.Blocked;
    }

    /// <summary>Whether <paramref name="algorithm"/> computes this product (any shape).</summary>
    private static bool Applies(Algorithm algorithm, bool transposeA, bool transposeB, FloatSumOrder order, bool accumulate, Path path) => algorithm switch
    {
        Algorithm.Dot8Rows => order == FloatSumOrder.Dot8,
        Algorithm.FewRows => order == FloatSumOrder.Chain && !transposeB,
        Algorithm.Blocked => order == FloatSumOrder.Chain,
        _ => false,
    };

    /// <summary>
    /// The work estimate handed to <see cref="Threading.For"/> by the row-at-a-time algorithms: products
    /// under ~4M multiply-adds (a classifier head) run on the calling thread, since waking pool threads
    /// costs more than they save, most of all on a loaded machine.
    /// </summary>
    private static long SmallWork(long multiplyAdds) => multiplyAdds < 1 << 22 ? 0 : multiplyAdds;
}
