using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BoolNet.Core.Kernels;

namespace BoolNet.Layers.Numerics;

/// <summary>
/// Float matrix products for the real-valued layers (float first/last layers, exact reference
/// backward of the Boolean layers). Row-major throughout. Work is split over blocks of output
/// columns; every output element is summed by one thread in the order p = 0..K-1, so results do
/// not depend on the thread count.
/// </summary>
public static class FloatGemm
{
    private const int BlockColumns = 16; // two 8-float vectors: 4 rows x 2 vectors = 8 accumulators fit the 16 AVX2 registers

    /// <summary>Products with fewer output columns than this use row dot products (<see cref="VectorDot"/>).</summary>
    public const int NarrowOutputs = BlockColumns;

    /// <summary>C[M, N] = A[M, K] x B[K, N] (or C += A x B when <paramref name="accumulate"/>).</summary>
    public static void Multiply(float[] a, float[] b, float[] c, int m, int k, int n, int threads = 0, bool accumulate = false)
    {
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"buffers too small for [{m},{k}] x [{k},{n}]");
        if (m == 0 || n == 0) return;
        if (!accumulate) Array.Clear(c, 0, m * n);
        if (k == 0) return;
        int blocks = (n + BlockColumns - 1) / BlockColumns;
        Threading.For(blocks, threads, (start, end) =>
        {
            for (int block = start; block < end; block++) MultiplyBlock(a, b, c, m, k, n, block * BlockColumns);
        }, work: SmallWork((long)m * n * k));
    }

    /// <summary>
    /// C[M, N] = A[M, K] x B[N, K]^T. Narrow outputs (a classifier head, N &lt; 16) use contiguous dot
    /// products of rows, which a column-blocked product would serve with a scalar tail.
    /// </summary>
    public static void MultiplyTransposedB(float[] a, float[] b, float[] c, int m, int k, int n, int threads = 0, bool accumulate = false)
    {
        if (n >= NarrowOutputs)
        {
            Multiply(a, Transpose(b, n, k), c, m, k, n, threads, accumulate);
            return;
        }
        if (a.Length < (long)m * k || b.Length < (long)n * k || c.Length < (long)m * n)
            throw new ArgumentException($"buffers too small for [{m},{k}] x [{n},{k}]^T");
        Threading.For(m, threads, (start, end) =>
        {
            for (int i = start; i < end; i++)
            {
                ReadOnlySpan<float> row = a.AsSpan(i * k, k);
                int j = 0;
                for (; j + 4 <= n; j += 4)
                {
                    (float d0, float d1, float d2, float d3) = VectorDot4(row, b.AsSpan(j * k, k), b.AsSpan((j + 1) * k, k), b.AsSpan((j + 2) * k, k), b.AsSpan((j + 3) * k, k));
                    Write(i * n + j, d0);
                    Write(i * n + j + 1, d1);
                    Write(i * n + j + 2, d2);
                    Write(i * n + j + 3, d3);
                }
                for (; j < n; j++) Write(i * n + j, VectorDot(row, b.AsSpan(j * k, k)));
            }
        }, work: SmallWork((long)m * n * k));

        void Write(int index, float dot) => c[index] = accumulate ? c[index] + dot : dot;
    }

    /// <summary>
    /// Four <see cref="VectorDot"/>s of one x, each with exactly VectorDot's arithmetic: one FMA chain
    /// has a 4-cycle latency, so interleaving four independent chains keeps the FMA units busy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (float, float, float, float) VectorDot4(ReadOnlySpan<float> x, ReadOnlySpan<float> y0, ReadOnlySpan<float> y1,
        ReadOnlySpan<float> y2, ReadOnlySpan<float> y3)
    {
        if (y0.Length != x.Length || y1.Length != x.Length || y2.Length != x.Length || y3.Length != x.Length)
            throw new ArgumentException("dot products of unequal lengths");
        Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i + 8 <= x.Length; i += 8)
        {
            Vector256<float> v = Vector256.Create(x.Slice(i, 8));
            s0 = MultiplyAdd(v, Vector256.Create(y0.Slice(i, 8)), s0);
            s1 = MultiplyAdd(v, Vector256.Create(y1.Slice(i, 8)), s1);
            s2 = MultiplyAdd(v, Vector256.Create(y2.Slice(i, 8)), s2);
            s3 = MultiplyAdd(v, Vector256.Create(y3.Slice(i, 8)), s3);
        }
        return (Finish(s0, x, y0, i), Finish(s1, x, y1, i), Finish(s2, x, y2, i), Finish(s3, x, y3, i));

        static float Finish(Vector256<float> sum, ReadOnlySpan<float> x, ReadOnlySpan<float> y, int i)
        {
            float total = 0f;
            for (int lane = 0; lane < 8; lane++) total += sum[lane];
            for (; i < x.Length; i++) total = MathF.FusedMultiplyAdd(x[i], y[i], total);
            return total;
        }
    }

    /// <summary>Dot product with eight partial sums in fixed lanes (deterministic for a given length).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float VectorDot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var sum = Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= x.Length; i += 8) sum = MultiplyAdd(Vector256.Create(x.Slice(i, 8)), Vector256.Create(y.Slice(i, 8)), sum);
        float total = 0f;
        for (int lane = 0; lane < 8; lane++) total += sum[lane];
        for (; i < x.Length; i++) total = MathF.FusedMultiplyAdd(x[i], y[i], total);
        return total;
    }

    /// <summary>C[M, N] = A[K, M]^T x B[K, N].</summary>
    public static void MultiplyTransposedA(float[] a, float[] b, float[] c, int m, int k, int n, int threads = 0, bool accumulate = false) =>
        Multiply(Transpose(a, k, m), b, c, m, k, n, threads, accumulate);

    /// <summary>
    /// The work estimate handed to <see cref="Threading.For"/>: products under ~4M multiply-adds
    /// (a classifier head) run on the calling thread, since waking pool threads costs more than
    /// they save, most of all on a loaded machine.
    /// </summary>
    private static long SmallWork(long multiplyAdds) => multiplyAdds < 1 << 22 ? 0 : multiplyAdds;

    /// <summary>Transpose of a row-major [rows, columns] matrix.</summary>
    public static float[] Transpose(float[] source, int rows, int columns)
    {
        var result = new float[(long)rows * columns];
        const int tile = 32; // tiles keep both the read and the write side in L1
        for (int r0 = 0; r0 < rows; r0 += tile)
            for (int c0 = 0; c0 < columns; c0 += tile)
            {
                int r1 = Math.Min(rows, r0 + tile), c1 = Math.Min(columns, c0 + tile);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++)
                        result[c * rows + r] = source[r * columns + c];
            }
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MultiplyBlock(float[] a, float[] b, float[] c, int m, int k, int n, int column)
    {
        int width = Math.Min(BlockColumns, n - column);
        fixed (float* pa = a, pb = b, pc = c)
        {
            if (width == BlockColumns && Vector256.IsHardwareAccelerated)
            {
                int i = 0;
                for (; i + 4 <= m; i += 4)
                {
                    Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
                    Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
                    float* a0 = pa + (long)i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
                    float* bp = pb + column;
                    for (int p = 0; p < k; p++, bp += n)
                    {
                        Vector256<float> b0 = Vector256.Load(bp), b1 = Vector256.Load(bp + 8);
                        Vector256<float> x = Vector256.Create(a0[p]);
                        c00 = MultiplyAdd(x, b0, c00); c01 = MultiplyAdd(x, b1, c01);
                        x = Vector256.Create(a1[p]);
                        c10 = MultiplyAdd(x, b0, c10); c11 = MultiplyAdd(x, b1, c11);
                        x = Vector256.Create(a2[p]);
                        c20 = MultiplyAdd(x, b0, c20); c21 = MultiplyAdd(x, b1, c21);
                        x = Vector256.Create(a3[p]);
                        c30 = MultiplyAdd(x, b0, c30); c31 = MultiplyAdd(x, b1, c31);
                    }
                    float* cp = pc + (long)i * n + column;
                    Store(cp, c00, c01); Store(cp + n, c10, c11); Store(cp + 2 * n, c20, c21); Store(cp + 3 * n, c30, c31);
                }
                for (; i < m; i++)
                {
                    Vector256<float> c0 = default, c1 = default;
                    float* ai = pa + (long)i * k;
                    float* bp = pb + column;
                    for (int p = 0; p < k; p++, bp += n)
                    {
                        Vector256<float> x = Vector256.Create(ai[p]);
                        c0 = MultiplyAdd(x, Vector256.Load(bp), c0);
                        c1 = MultiplyAdd(x, Vector256.Load(bp + 8), c1);
                    }
                    Store(pc + (long)i * n + column, c0, c1);
                }
                return;
            }
            for (int i = 0; i < m; i++)
                for (int j = column; j < column + width; j++)
                {
                    float sum = 0f;
                    for (int p = 0; p < k; p++) sum = MathF.FusedMultiplyAdd(pa[(long)i * k + p], pb[(long)p * n + j], sum);
                    pc[(long)i * n + j] += sum;
                }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MultiplyAdd(Vector256<float> x, Vector256<float> y, Vector256<float> accumulator) =>
        Fma.IsSupported ? Fma.MultiplyAdd(x, y, accumulator) : x * y + accumulator;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(float* destination, Vector256<float> low, Vector256<float> high)
    {
        (Vector256.Load(destination) + low).Store(destination);
        (Vector256.Load(destination + 8) + high).Store(destination + 8);
    }

    /// <summary>Dot product in index order (deterministic).</summary>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        float sum = 0f;
        for (int i = 0; i < x.Length; i++) sum = MathF.FusedMultiplyAdd(x[i], y[i], sum);
        return sum;
    }
}
