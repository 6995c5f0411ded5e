using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BoolNet.Core.Operators;

/// <summary>
/// The kernels of the pre-packed products (<c>FloatGemm.Panels.cs</c>): C[r, j] = fma(A[r, p], B[p, j], C[r, j])
/// for p = 0..k-1 in order, from zero, with A[r, p] at a + r * lda + p (rows in place) and B[p, j] at
/// panels + p * 128 + j (a <see cref="FloatPanels"/> group). One FMA has a 4-cycle latency and two issue
/// per cycle, so each kernel keeps 8 to 16 independent accumulators; the single-row kernels read a whole
/// group, 512 contiguous bytes per depth, so a batch-1 product streams B sequentially.
/// </summary>
public static partial class FloatGemm
{
    private const int PanelStride = FloatPanels.GroupColumns;

    /// <summary>8 rows x 32 columns in 16 zmm accumulators: two panel loads and eight broadcasts feed 16 FMAs per depth.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile8x32(float* a, long lda, float* b, float* c, long ldc, int k)
    {
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda, a6 = a + 6 * lda, a7 = a + 7 * lda;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < k; p++, b += PanelStride)
        {
            Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 16);
            Vector512<float> x = Vector512.Create(a0[p]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[p]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[p]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[p]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[p]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[p]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a6[p]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a7[p]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
        }
        c00.Store(c); c01.Store(c + 16); c += ldc;
        c10.Store(c); c11.Store(c + 16); c += ldc;
        c20.Store(c); c21.Store(c + 16); c += ldc;
        c30.Store(c); c31.Store(c + 16); c += ldc;
        c40.Store(c); c41.Store(c + 16); c += ldc;
        c50.Store(c); c51.Store(c + 16); c += ldc;
        c60.Store(c); c61.Store(c + 16); c += ldc;
        c70.Store(c); c71.Store(c + 16);
    }

    /// <summary>4 rows x 64 columns in 16 zmm accumulators: four panel loads and four broadcasts per depth.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Rows4x64(float* a, long lda, float* b, float* c, long ldc, int k)
    {
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        for (int p = 0; p < k; p++, b += PanelStride)
        {
            Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 16), b2 = Vector512.Load(b + 32), b3 = Vector512.Load(b + 48);
            Vector512<float> x = Vector512.Create(a0[p]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(x, b2, c02); c03 = Vector512.FusedMultiplyAdd(x, b3, c03);
            x = Vector512.Create(a1[p]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(x, b2, c12); c13 = Vector512.FusedMultiplyAdd(x, b3, c13);
            x = Vector512.Create(a2[p]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(x, b2, c22); c23 = Vector512.FusedMultiplyAdd(x, b3, c23);
            x = Vector512.Create(a3[p]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(x, b2, c32); c33 = Vector512.FusedMultiplyAdd(x, b3, c33);
        }
        c00.Store(c); c01.Store(c + 16); c02.Store(c + 32); c03.Store(c + 48); c += ldc;
        c10.Store(c); c11.Store(c + 16); c12.Store(c + 32); c13.Store(c + 48); c += ldc;
        c20.Store(c); c21.Store(c + 16); c22.Store(c + 32); c23.Store(c + 48); c += ldc;
        c30.Store(c); c31.Store(c + 16); c32.Store(c + 32); c33.Store(c + 48);
    }

    /// <summary>
    /// One row x 128 columns (a whole group) in 8 zmm accumulators over the depths indices[0..count) in
    /// order, from zero or, when <paramref name="load"/>, continuing the chains in C: the batch-1 kernel,
    /// bound by streaming B.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Row1x128(float* a, int* indices, int count, float* b, float* c, bool load)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        if (load)
        {
            s0 = Vector512.Load(c); s1 = Vector512.Load(c + 16); s2 = Vector512.Load(c + 32); s3 = Vector512.Load(c + 48);
            s4 = Vector512.Load(c + 64); s5 = Vector512.Load(c + 80); s6 = Vector512.Load(c + 96); s7 = Vector512.Load(c + 112);
        }
        for (int i = 0; i < count; i++)
        {
            int p = indices[i];
            float* row = b + (long)p * PanelStride;
            Vector512<float> x = Vector512.Create(a[p]);
            s0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row), s0);
            s1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row + 16), s1);
            s2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row + 32), s2);
            s3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row + 48), s3);
            s4 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row + 64), s4);
            s5 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row + 80), s5);
            s6 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row + 96), s6);
            s7 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row + 112), s7);
        }
        s0.Store(c); s1.Store(c + 16); s2.Store(c + 32); s3.Store(c + 48);
        s4.Store(c + 64); s5.Store(c + 80); s6.Store(c + 96); s7.Store(c + 112);
    }

    /// <summary>6 rows x 16 columns in 12 ymm accumulators (the AVX2 register tile).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile6x16(float* a, long lda, float* b, float* c, long ldc, int k)
    {
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < k; p++, b += PanelStride)
        {
            Vector256<float> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 8);
            Vector256<float> x = Vector256.Create(a0[p]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a1[p]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a2[p]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a3[p]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a4[p]);
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a5[p]);
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
        }
        c00.Store(c); c01.Store(c + 8); c += ldc;
        c10.Store(c); c11.Store(c + 8); c += ldc;
        c20.Store(c); c21.Store(c + 8); c += ldc;
        c30.Store(c); c31.Store(c + 8); c += ldc;
        c40.Store(c); c41.Store(c + 8); c += ldc;
        c50.Store(c); c51.Store(c + 8);
    }

    /// <summary>4 rows x 32 columns in 16 ymm accumulators: four panel loads and four broadcasts per depth.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Rows4x32(float* a, long lda, float* b, float* c, long ldc, int k)
    {
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        for (int p = 0; p < k; p++, b += PanelStride)
        {
            Vector256<float> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 8), b2 = Vector256.Load(b + 16), b3 = Vector256.Load(b + 24);
            Vector256<float> x = Vector256.Create(a0[p]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            c02 = Vector256.FusedMultiplyAdd(x, b2, c02); c03 = Vector256.FusedMultiplyAdd(x, b3, c03);
            x = Vector256.Create(a1[p]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            c12 = Vector256.FusedMultiplyAdd(x, b2, c12); c13 = Vector256.FusedMultiplyAdd(x, b3, c13);
            x = Vector256.Create(a2[p]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            c22 = Vector256.FusedMultiplyAdd(x, b2, c22); c23 = Vector256.FusedMultiplyAdd(x, b3, c23);
            x = Vector256.Create(a3[p]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            c32 = Vector256.FusedMultiplyAdd(x, b2, c32); c33 = Vector256.FusedMultiplyAdd(x, b3, c33);
        }
        c00.Store(c); c01.Store(c + 8); c02.Store(c + 16); c03.Store(c + 24); c += ldc;
        c10.Store(c); c11.Store(c + 8); c12.Store(c + 16); c13.Store(c + 24); c += ldc;
        c20.Store(c); c21.Store(c + 8); c22.Store(c + 16); c23.Store(c + 24); c += ldc;
        c30.Store(c); c31.Store(c + 8); c32.Store(c + 16); c33.Store(c + 24);
    }

    /// <summary>One row x 128 columns in 16 ymm accumulators: <see cref="Row1x128"/> on AVX2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Row1x128Vector256(float* a, int* indices, int count, float* b, float* c, bool load)
    {
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        Vector256<float> s8 = default, s9 = default, s10 = default, s11 = default, s12 = default, s13 = default, s14 = default, s15 = default;
        if (load)
        {
            s0 = Vector256.Load(c); s1 = Vector256.Load(c + 8); s2 = Vector256.Load(c + 16); s3 = Vector256.Load(c + 24);
            s4 = Vector256.Load(c + 32); s5 = Vector256.Load(c + 40); s6 = Vector256.Load(c + 48); s7 = Vector256.Load(c + 56);
            s8 = Vector256.Load(c + 64); s9 = Vector256.Load(c + 72); s10 = Vector256.Load(c + 80); s11 = Vector256.Load(c + 88);
            s12 = Vector256.Load(c + 96); s13 = Vector256.Load(c + 104); s14 = Vector256.Load(c + 112); s15 = Vector256.Load(c + 120);
        }
        for (int i = 0; i < count; i++)
        {
            int p = indices[i];
            float* row = b + (long)p * PanelStride;
            Vector256<float> x = Vector256.Create(a[p]);
            s0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row), s0);
            s1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 8), s1);
            s2 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 16), s2);
            s3 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 24), s3);
            s4 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 32), s4);
            s5 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 40), s5);
            s6 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 48), s6);
            s7 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 56), s7);
            s8 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 64), s8);
            s9 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 72), s9);
            s10 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 80), s10);
            s11 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 88), s11);
            s12 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 96), s12);
            s13 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 104), s13);
            s14 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 112), s14);
            s15 = Vector256.FusedMultiplyAdd(x, Vector256.Load(row + 120), s15);
        }
        s0.Store(c); s1.Store(c + 8); s2.Store(c + 16); s3.Store(c + 24);
        s4.Store(c + 32); s5.Store(c + 40); s6.Store(c + 48); s7.Store(c + 56);
        s8.Store(c + 64); s9.Store(c + 72); s10.Store(c + 80); s11.Store(c + 88);
        s12.Store(c + 96); s13.Store(c + 104); s14.Store(c + 112); s15.Store(c + 120);
    }
}
