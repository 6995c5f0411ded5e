using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// The two row-at-a-time algorithms: <see cref="Algorithm.FewRows"/> (a handful of rows against a
/// row-major B read where it lies) and <see cref="Algorithm.Dot8Rows"/> (the <see cref="FloatSumOrder.Dot8"/>
/// dot products of rows).
/// </summary>
public static partial class FloatGemm
{
    /// <summary>
    /// C[r, :] (+)= op(A)[r, :] B for r &lt; m &lt;= <see cref="FewRowsLimit"/>, B [k, n] row-major: each depth p
    /// loads one row of B once and feeds every row of A, so B streams through once with no packing
    /// copy. Threads take blocks of 64 columns; each element is one fma chain over p in order. The
    /// AVX-512 path finishes its columns with the AVX2 kernels (same chains), then scalar chains.
    /// </summary>
    private static unsafe void MultiplyFewRows(float* a, bool transposeA, float* b, float* c, int m, int n, int k, bool accumulate, int threads, Path path)
    {
        // One thread (the inference layer's call, at batch 1 too) runs without the delegate and its
        // closure, which would allocate on every call.
        if (Threading.Resolve(threads) == 1) FewRowsColumns(a, transposeA, b, c, m, n, k, 0, n, accumulate, path);
        else FewRowsOverThreads((nint)a, transposeA, (nint)b, (nint)c, m, n, k, accumulate, threads, path);
    }

    /// <summary><see cref="MultiplyFewRows"/> with threads taking blocks of 64 columns.</summary>
    private static unsafe void FewRowsOverThreads(nint a, bool transposeA, nint b, nint c, int m, int n, int k, bool accumulate, int threads, Path path)
    {
        const int block = 64;
        Threading.For((n + block - 1) / block, threads, (first, end) =>
            FewRowsColumns((float*)a, transposeA, (float*)b, (float*)c, m, n, k, first * block, Math.Min(n, end * block), accumulate, path),
            work: (long)m * n * k);
    }

    /// <summary>Columns [start, stop) of <see cref="MultiplyFewRows"/>: 4-row register tiles, then single rows.</summary>
    private static unsafe void FewRowsColumns(float* a, bool transposeA, float* b, float* c, int m, int n, int k, int start, int stop, bool accumulate, Path path)
    {
        long stepP = transposeA ? m : 1, stepR = transposeA ? 1 : k; // op(A)[r, p] = a[r * stepR + p * stepP]
        for (int row = 0; row < m; row += m - row >= 4 ? 4 : 1)
        {
            float* aRow = a + row * stepR, cRow = c + (long)row * n;
            int j = start;
            if (m - row >= 4)
            {
                if (path == Path.Vector512) for (; j + 32 <= stop; j += 32) FourRows512(aRow, stepP, stepR, b + j, cRow + j, n, k, accumulate);
                if (path != Path.Scalar) for (; j + 16 <= stop; j += 16) FourRows256(aRow, stepP, stepR, b + j, cRow + j, n, k, accumulate);
                for (int r = 0; r < 4; r++) ChainColumns(aRow + r * stepR, stepP, b, cRow + (long)r * n, n, k, j, stop, accumulate);
            }
            else
            {
                if (path == Path.Vector512) for (; j + 64 <= stop; j += 64) OneRow512(aRow, stepP, b + j, cRow + j, n, k, accumulate);
                if (path != Path.Scalar) for (; j + 32 <= stop; j += 32) OneRow256(aRow, stepP, b + j, cRow + j, n, k, accumulate);
                ChainColumns(aRow, stepP, b, cRow, n, k, j, stop, accumulate);
            }
        }
    }

    /// <summary>The scalar chain for columns [start, stop) of one row (scalar path and vector tails).</summary>
    private static unsafe void ChainColumns(float* aRow, long stepP, float* b, float* cRow, int n, int k, int start, int stop, bool accumulate)
    {
        for (int j = start; j < stop; j++)
        {
            float sum = accumulate ? cRow[j] : 0f;
            for (int p = 0; p < k; p++) sum = MathF.FusedMultiplyAdd(aRow[p * stepP], b[(long)p * n + j], sum);
            cRow[j] = sum;
        }
    }

    /// <summary>
    /// Four rows x 32 columns in 8 zmm accumulators: one FMA chain has a 4-cycle latency and two
    /// FMA units issue per cycle, so eight independent chains keep both busy; the two B loads per
    /// depth are shared by the four rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FourRows512(float* a, long stepP, long stepR, float* b, float* c, int n, int k, bool accumulate)
    {
        float* a0 = a, a1 = a + stepR, a2 = a + 2 * stepR, a3 = a + 3 * stepR;
        float* c0 = c, c1 = c + n, c2 = c + 2L * n, c3 = c + 3L * n;
        Vector512<float> s00 = default, s01 = default, s10 = default, s11 = default, s20 = default, s21 = default, s30 = default, s31 = default;
        if (accumulate)
        {
            s00 = Vector512.Load(c0); s01 = Vector512.Load(c0 + 16); s10 = Vector512.Load(c1); s11 = Vector512.Load(c1 + 16);
            s20 = Vector512.Load(c2); s21 = Vector512.Load(c2 + 16); s30 = Vector512.Load(c3); s31 = Vector512.Load(c3 + 16);
        }
        long offset = 0;
        for (int p = 0; p < k; p++, offset += stepP, b += n)
        {
            Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 16);
            Vector512<float> x = Vector512.Create(a0[offset]);
            s00 = Vector512.FusedMultiplyAdd(x, b0, s00); s01 = Vector512.FusedMultiplyAdd(x, b1, s01);
            x = Vector512.Create(a1[offset]);
            s10 = Vector512.FusedMultiplyAdd(x, b0, s10); s11 = Vector512.FusedMultiplyAdd(x, b1, s11);
            x = Vector512.Create(a2[offset]);
            s20 = Vector512.FusedMultiplyAdd(x, b0, s20); s21 = Vector512.FusedMultiplyAdd(x, b1, s21);
            x = Vector512.Create(a3[offset]);
            s30 = Vector512.FusedMultiplyAdd(x, b0, s30); s31 = Vector512.FusedMultiplyAdd(x, b1, s31);
        }
        s00.Store(c0); s01.Store(c0 + 16); s10.Store(c1); s11.Store(c1 + 16);
        s20.Store(c2); s21.Store(c2 + 16); s30.Store(c3); s31.Store(c3 + 16);
    }

    /// <summary>One row x 64 columns in 4 zmm accumulators (a batch-1 inference call is load-bound on B).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void OneRow512(float* a, long stepP, float* b, float* c, int n, int k, bool accumulate)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        if (accumulate)
        {
            s0 = Vector512.Load(c); s1 = Vector512.Load(c + 16); s2 = Vector512.Load(c + 32); s3 = Vector512.Load(c + 48);
        }
        long offset = 0;
        for (int p = 0; p < k; p++, offset += stepP, b += n)
        {
            Vector512<float> x = Vector512.Create(a[offset]);
            s0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b), s0);
            s1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 16), s1);
            s2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 32), s2);
            s3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 48), s3);
        }
        s0.Store(c); s1.Store(c + 16); s2.Store(c + 32); s3.Store(c + 48);
    }

    /// <summary><see cref="FourRows512"/> on 8-float ymm vectors: four rows x 16 columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FourRows256(float* a, long stepP, long stepR, float* b, float* c, int n, int k, bool accumulate)
    {
        float* a0 = a, a1 = a + stepR, a2 = a + 2 * stepR, a3 = a + 3 * stepR;
        float* c0 = c, c1 = c + n, c2 = c + 2L * n, c3 = c + 3L * n;
        Vector256<float> s00 = default, s01 = default, s10 = default, s11 = default, s20 = default, s21 = default, s30 = default, s31 = default;
        if (accumulate)
        {
            s00 = Vector256.Load(c0); s01 = Vector256.Load(c0 + 8); s10 = Vector256.Load(c1); s11 = Vector256.Load(c1 + 8);
            s20 = Vector256.Load(c2); s21 = Vector256.Load(c2 + 8); s30 = Vector256.Load(c3); s31 = Vector256.Load(c3 + 8);
        }
        long offset = 0;
        for (int p = 0; p < k; p++, offset += stepP, b += n)
        {
            Vector256<float> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 8);
            Vector256<float> x = Vector256.Create(a0[offset]);
            s00 = Vector256.FusedMultiplyAdd(x, b0, s00); s01 = Vector256.FusedMultiplyAdd(x, b1, s01);
            x = Vector256.Create(a1[offset]);
            s10 = Vector256.FusedMultiplyAdd(x, b0, s10); s11 = Vector256.FusedMultiplyAdd(x, b1, s11);
            x = Vector256.Create(a2[offset]);
            s20 = Vector256.FusedMultiplyAdd(x, b0, s20); s21 = Vector256.FusedMultiplyAdd(x, b1, s21);
            x = Vector256.Create(a3[offset]);
            s30 = Vector256.FusedMultiplyAdd(x, b0, s30); s31 = Vector256.FusedMultiplyAdd(x, b1, s31);
        }
        s00.Store(c0); s01.Store(c0 + 8); s10.Store(c1); s11.Store(c1 + 8);
        s20.Store(c2); s21.Store(c2 + 8); s30.Store(c3); s31.Store(c3 + 8);
    }

    /// <summary><see cref="OneRow512"/> on 8-float ymm vectors: one row x 32 columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void OneRow256(float* a, long stepP, float* b, float* c, int n, int k, bool accumulate)
    {
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        if (accumulate)
        {
            s0 = Vector256.Load(c); s1 = Vector256.Load(c + 8); s2 = Vector256.Load(c + 16); s3 = Vector256.Load(c + 24);
        }
        long offset = 0;
        for (int p = 0; p < k; p++, offset += stepP, b += n)
        {
            Vector256<float> x = Vector256.Create(a[offset]);
            s0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b), s0);
            s1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b + 8), s1);
            s2 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b + 16), s2);
            s3 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b + 24), s3);
        }
        s0.Store(c); s1.Store(c + 8); s2.Store(c + 16); s3.Store(c + 24);
    }

    /// <summary>
    /// C[i, j] (+)= Dot8(A[i, :], B[j, :]) with A [m, k], B [n, k]: contiguous rows, so a narrow output
    /// (a classifier head, n &lt; 16) is served without the column-blocked tail. Threads take rows.
    /// </summary>
    private static unsafe void MultiplyDot8(float* a, float* b, float* c, int m, int n, int k, bool accumulate, int threads, Path path)
    {
        long work = SmallWork((long)m * n * k);
        // Inline (one thread, or a head too small to share) without the delegate, which would allocate.
        if (Threading.Resolve(threads) == 1 || work == 0) Dot8Rows(a, b, c, 0, m, n, k, accumulate, path);
        else Dot8OverThreads((nint)a, (nint)b, (nint)c, m, n, k, accumulate, threads, work, path);
    }

    /// <summary><see cref="MultiplyDot8"/> with threads taking rows.</summary>
    private static unsafe void Dot8OverThreads(nint a, nint b, nint c, int m, int n, int k, bool accumulate, int threads, long work, Path path) =>
        Threading.For(m, threads, (start, end) => Dot8Rows((float*)a, (float*)b, (float*)c, start, end, n, k, accumulate, path), work: work);

    /// <summary>Rows [start, end) of <see cref="MultiplyDot8"/>: four dot products at a time on the vector paths.</summary>
    private static unsafe void Dot8Rows(float* a, float* b, float* c, int start, int end, int n, int k, bool accumulate, Path path)
    {
        for (int i = start; i < end; i++)
        {
            float* row = a + (long)i * k, cRow = c + (long)i * n;
            int j = 0;
            if (path != Path.Scalar)
            {
                for (; j + 4 <= n; j += 4)
                {
                    Dot8Four(row, b + (long)j * k, k, out float d0, out float d1, out float d2, out float d3);
                    Write(cRow + j, d0, accumulate); Write(cRow + j + 1, d1, accumulate);
                    Write(cRow + j + 2, d2, accumulate); Write(cRow + j + 3, d3, accumulate);
                }
                for (; j < n; j++) Write(cRow + j, Dot8Vector(row, b + (long)j * k, k), accumulate);
            }
            for (; j < n; j++) Write(cRow + j, Dot8Reference(new ReadOnlySpan<float>(row, k), new ReadOnlySpan<float>(b + (long)j * k, k)), accumulate);
        }

        static void Write(float* target, float dot, bool accumulate) => *target = accumulate ? *target + dot : dot;
    }

    /// <summary>One <see cref="FloatSumOrder.Dot8"/> dot product: lane L of one ymm accumulator is lane chain L.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float Dot8Vector(float* x, float* y, int k)
    {
        Vector256<float> sum = Vector256<float>.Zero;
        int p = 0;
        for (; p + 8 <= k; p += 8) sum = Vector256.FusedMultiplyAdd(Vector256.Load(x + p), Vector256.Load(y + p), sum);
        return Dot8Finish(sum, x, y, p, k);
    }

    /// <summary>
    /// Four <see cref="Dot8Vector"/>s of one x, each with exactly its arithmetic: one FMA chain has a
    /// 4-cycle latency, so interleaving four independent chains keeps the FMA units busy and shares
    /// each load of x.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Dot8Four(float* x, float* y0, int k, out float d0, out float d1, out float d2, out float d3)
    {
        float* y1 = y0 + k, y2 = y1 + k, y3 = y2 + k;
        Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
        int p = 0;
        for (; p + 8 <= k; p += 8)
        {
            Vector256<float> v = Vector256.Load(x + p);
            s0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(y0 + p), s0);
            s1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(y1 + p), s1);
            s2 = Vector256.FusedMultiplyAdd(v, Vector256.Load(y2 + p), s2);
            s3 = Vector256.FusedMultiplyAdd(v, Vector256.Load(y3 + p), s3);
        }
        d0 = Dot8Finish(s0, x, y0, p, k);
        d1 = Dot8Finish(s1, x, y1, p, k);
        d2 = Dot8Finish(s2, x, y2, p, k);
        d3 = Dot8Finish(s3, x, y3, p, k);
    }

    /// <summary>0 + lane 0 + ... + lane 7 in order, then the fma tail over p in [tail, k).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Dot8Finish(Vector256<float> lanes, float* x, float* y, int tail, int k)
    {
        float total = 0f;
        for (int lane = 0; lane < 8; lane++) total += lanes.GetElement(lane);
        for (int p = tail; p < k; p++) total = MathF.FusedMultiplyAdd(x[p], y[p], total);
        return total;
    }
}
