using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace BoolNet.Core.Operators;

/// <summary>
/// The ARM64 AdvSimd (NEON) path of <see cref="BinaryGemm"/>, after the AArch64 design of larq
/// compute-engine: per 128-bit step and output, op(A, B) (EOR or AND), <c>CNT</c> (a popcount per byte,
/// which x86 vectors lack) and <c>UADALP</c>, a pairwise widening add of those bytes into the eight 16-bit
/// lanes of the output's accumulator. A 16-bit lane gains at most 16 per step, so the accumulators are
/// widened (<c>UADDLV</c>) into an int32 total every <see cref="StepsPerFlush"/> steps, and once at the end.
/// Register tiles of 2 A rows x 4 B rows (8 accumulators, 6 operands: well inside the 32 NEON registers)
/// load each vector once per 4 (or 2) outputs; the last A row and the last n % 4 B rows take narrower
/// tiles; an odd last word goes to scalar popcount. Every output is a plain integer count, equal bit for
/// bit to <see cref="ScalarBinaryGemm"/>.
/// </summary>
internal static unsafe class NeonBinaryGemm
{
    /// <summary>Steps between widenings: 16 * 2048 = 32768 fits a 16-bit lane with room to spare.</summary>
    private const int StepsPerFlush = 2048;

    /// <summary>counts[(i - rowStart) * n + j] = popcount(op(A[i], B[j])) for i in [rowStart, rowEnd), j &lt; n.</summary>
    public static void Count(CountOperation operation, ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b,
        int rowStart, int rowEnd, int n, int words, Span<int> counts)
    {
        int rows = rowEnd - rowStart;
        if (rows < 0 || rowStart < 0) throw new ArgumentException($"bad row range [{rowStart}, {rowEnd})");
        if (a.Length < (long)rowEnd * words) throw new ArgumentException($"A holds {a.Length} words, rows up to {rowEnd} need {(long)rowEnd * words}");
        if (b.Length < (long)n * words) throw new ArgumentException($"B holds {b.Length} words, needs {(long)n * words}");
        if (counts.Length < (long)rows * n) throw new ArgumentException($"counts hold {counts.Length} ints, need {(long)rows * n}");
        if (!AdvSimd.Arm64.IsSupported) throw new PlatformNotSupportedException("the NEON binary GEMM needs ARM64 AdvSimd");
        if (rows == 0 || n == 0) return;
        fixed (ulong* pa = a)
        fixed (ulong* pb = b)
        fixed (int* pc = counts)
        {
            if (operation == CountOperation.Xor) Run<XorVectors>(pa + (long)rowStart * words, pb, rows, n, words, pc);
            else Run<AndVectors>(pa + (long)rowStart * words, pb, rows, n, words, pc);
        }
    }

    /// <summary>popcount(a XOR b) over <paramref name="words"/> words (<see cref="BinaryDot"/>'s NEON path).</summary>
    public static int XorCount(ulong* a, ulong* b, int words)
    {
        if (!AdvSimd.Arm64.IsSupported) throw new PlatformNotSupportedException("the NEON popcount needs ARM64 AdvSimd");
        return One<XorVectors>(a, b, words);
    }

    /// <summary>All tiles of a rows x n block: 2x4 in the body, then 1x4, 2x1 and 1x1 at the edges.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TOperation>(ulong* a, ulong* b, int rows, int n, int words, int* c)
        where TOperation : struct, IVectorOperation
    {
        int i = 0;
        for (; i + 2 <= rows; i += 2)
        {
            ulong* a0 = a + (long)i * words;
            int* c0 = c + (long)i * n;
            int j = 0;
            for (; j + 4 <= n; j += 4) TwoByFour<TOperation>(a0, b + (long)j * words, words, c0 + j, n);
            for (; j < n; j++)
            {
                c0[j] = One<TOperation>(a0, b + (long)j * words, words);
                c0[n + j] = One<TOperation>(a0 + words, b + (long)j * words, words);
            }
        }
        if (i < rows)
        {
            ulong* a0 = a + (long)i * words;
            int* c0 = c + (long)i * n;
            int j = 0;
            for (; j + 4 <= n; j += 4) OneByFour<TOperation>(a0, b + (long)j * words, words, c0 + j);
            for (; j < n; j++) c0[j] = One<TOperation>(a0, b + (long)j * words, words);
        }
    }

    /// <summary>The bytes' popcounts of op(x, y), added pairwise into the 16-bit lanes of <paramref name="sum"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ushort> Add<TOperation>(Vector128<ushort> sum, Vector128<ulong> x, Vector128<ulong> y)
        where TOperation : struct, IVectorOperation =>
        AdvSimd.AddPairwiseWideningAndAdd(sum, AdvSimd.PopCount(TOperation.Apply(x, y).AsByte()));

    /// <summary>The sum of the eight 16-bit lanes, widened (UADDLV).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Total(Vector128<ushort> sum) => (int)AdvSimd.Arm64.AddAcrossWidening(sum).ToScalar();

    /// <summary>popcount(op) of the odd last word, when words is odd.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Tail<TOperation>(ulong* x, ulong* y, int words)
        where TOperation : struct, IVectorOperation =>
        (words & 1) != 0 ? BitOperations.PopCount(TOperation.Apply(x[words - 1], y[words - 1])) : 0;

    /// <summary>Rows a0, a0 + words against the four B rows from b: c[r * n + q] = count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TwoByFour<TOperation>(ulong* a0, ulong* b, int words, int* c, int n)
        where TOperation : struct, IVectorOperation
    {
        ulong* a1 = a0 + words, b0 = b, b1 = b + words, b2 = b + 2 * words, b3 = b + 3 * words;
        int pairs = words & ~1;
        int t00 = 0, t01 = 0, t02 = 0, t03 = 0, t10 = 0, t11 = 0, t12 = 0, t13 = 0;
        for (int t0 = 0; t0 < pairs; t0 += 2 * StepsPerFlush)
        {
            int t1 = Math.Min(pairs, t0 + 2 * StepsPerFlush);
            Vector128<ushort> s00 = default, s01 = default, s02 = default, s03 = default;
            Vector128<ushort> s10 = default, s11 = default, s12 = default, s13 = default;
            for (int t = t0; t < t1; t += 2)
            {
                Vector128<ulong> x0 = Vector128.Load(a0 + t), x1 = Vector128.Load(a1 + t);
                Vector128<ulong> y = Vector128.Load(b0 + t);
                s00 = Add<TOperation>(s00, x0, y); s10 = Add<TOperation>(s10, x1, y);
                y = Vector128.Load(b1 + t);
                s01 = Add<TOperation>(s01, x0, y); s11 = Add<TOperation>(s11, x1, y);
                y = Vector128.Load(b2 + t);
                s02 = Add<TOperation>(s02, x0, y); s12 = Add<TOperation>(s12, x1, y);
                y = Vector128.Load(b3 + t);
                s03 = Add<TOperation>(s03, x0, y); s13 = Add<TOperation>(s13, x1, y);
            }
            t00 += Total(s00); t01 += Total(s01); t02 += Total(s02); t03 += Total(s03);
            t10 += Total(s10); t11 += Total(s11); t12 += Total(s12); t13 += Total(s13);
        }
        c[0] = t00 + Tail<TOperation>(a0, b0, words);
        c[1] = t01 + Tail<TOperation>(a0, b1, words);
        c[2] = t02 + Tail<TOperation>(a0, b2, words);
        c[3] = t03 + Tail<TOperation>(a0, b3, words);
        c[n] = t10 + Tail<TOperation>(a1, b0, words);
        c[n + 1] = t11 + Tail<TOperation>(a1, b1, words);
        c[n + 2] = t12 + Tail<TOperation>(a1, b2, words);
        c[n + 3] = t13 + Tail<TOperation>(a1, b3, words);
    }

    /// <summary>One A row against four B rows (the batch-1 inference shape): c[q] = count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneByFour<TOperation>(ulong* a0, ulong* b, int words, int* c)
        where TOperation : struct, IVectorOperation
    {
        ulong* b0 = b, b1 = b + words, b2 = b + 2 * words, b3 = b + 3 * words;
        int pairs = words & ~1;
        int t0Total = 0, t1Total = 0, t2Total = 0, t3Total = 0;
        for (int t0 = 0; t0 < pairs; t0 += 2 * StepsPerFlush)
        {
            int t1 = Math.Min(pairs, t0 + 2 * StepsPerFlush);
            Vector128<ushort> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int t = t0; t < t1; t += 2)
            {
                Vector128<ulong> x = Vector128.Load(a0 + t);
                s0 = Add<TOperation>(s0, x, Vector128.Load(b0 + t));
                s1 = Add<TOperation>(s1, x, Vector128.Load(b1 + t));
                s2 = Add<TOperation>(s2, x, Vector128.Load(b2 + t));
                s3 = Add<TOperation>(s3, x, Vector128.Load(b3 + t));
            }
            t0Total += Total(s0); t1Total += Total(s1); t2Total += Total(s2); t3Total += Total(s3);
        }
        c[0] = t0Total + Tail<TOperation>(a0, b0, words);
        c[1] = t1Total + Tail<TOperation>(a0, b1, words);
        c[2] = t2Total + Tail<TOperation>(a0, b2, words);
        c[3] = t3Total + Tail<TOperation>(a0, b3, words);
    }

    /// <summary>One A row against one B row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int One<TOperation>(ulong* a0, ulong* b0, int words)
        where TOperation : struct, IVectorOperation
    {
        int pairs = words & ~1, total = 0;
        for (int t0 = 0; t0 < pairs; t0 += 2 * StepsPerFlush)
        {
            int t1 = Math.Min(pairs, t0 + 2 * StepsPerFlush);
            Vector128<ushort> s = default;
            for (int t = t0; t < t1; t += 2) s = Add<TOperation>(s, Vector128.Load(a0 + t), Vector128.Load(b0 + t));
            total += Total(s);
        }
        return total + Tail<TOperation>(a0, b0, words);
    }
}
