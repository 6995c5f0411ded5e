namespace BoolNet.Core.Kernels;

/// <summary>
/// One ISA's counting GEMM: for a block of A's rows against all of B's rows,
/// counts[(i - rowStart) * n + j] = sum over words w of popcount(op(A[i, w], B[j, w])).
/// A and B are packed row-major with the same <c>words</c> per row and zero tails, so the count
/// over whole words is the count over the logical bits. Every implementation must equal
/// <see cref="ScalarBinaryGemmKernel"/> bit for bit.
/// </summary>
public interface IBinaryGemmKernel
{
    /// <summary>The ISA this kernel needs.</summary>
    Isa Isa { get; }

    /// <summary>
    /// Counts rows [rowStart, rowEnd) of <paramref name="a"/> (a: [m, words]) against all
    /// <paramref name="n"/> rows of <paramref name="b"/> (b: [n, words]) into
    /// <paramref name="counts"/> ([rowEnd - rowStart, n], row-major).
    /// </summary>
    void Count(CountOperation operation, ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b,
        int rowStart, int rowEnd, int n, int words, Span<int> counts);
}
