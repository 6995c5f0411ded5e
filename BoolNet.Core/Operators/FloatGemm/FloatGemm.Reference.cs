namespace BoolNet.Core.Operators;

public static partial class FloatGemm
{
    /// <summary>
    /// The definition every path must equal bit for bit, as plain loops: <see cref="FloatSumOrder.Chain"/>
    /// is one fma chain per element over p in order (from C when accumulating); <see cref="FloatSumOrder.Dot8"/>
    /// is eight lane chains, their plain sum from 0 in lane order, then the fma tail (plus C when accumulating).
    /// </summary>
    public static void MultiplyReference(
        ReadOnlySpan<float> a, bool transposeA,
        ReadOnlySpan<float> b, bool transposeB,
        Span<float> c, int m, int n, int k,
        FloatSumOrder order = FloatSumOrder.Chain, bool accumulate = false)
    {
        if (order == FloatSumOrder.Dot8 && (transposeA || !transposeB))
            throw new ArgumentException("the dot8 order is defined for A [m, k] times B [n, k]^T (rows of both contiguous)", nameof(order));
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                if (order == FloatSumOrder.Dot8)
                {
                    float dot = Dot8Reference(a.Slice(i * k, k), b.Slice(j * k, k));
                    c[i * n + j] = accumulate ? c[i * n + j] + dot : dot;
                    continue;
                }
                float sum = accumulate ? c[i * n + j] : 0f;
                for (int p = 0; p < k; p++)
                {
                    float left = transposeA ? a[p * m + i] : a[i * k + p];
                    float right = transposeB ? b[j * k + p] : b[p * n + j];
                    sum = MathF.FusedMultiplyAdd(left, right, sum);
                }
                c[i * n + j] = sum;
            }
    }

    /// <summary>x . y in the <see cref="FloatSumOrder.Dot8"/> order, one lane at a time.</summary>
    private static float Dot8Reference(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        Span<float> lanes = stackalloc float[8];
        lanes.Clear();
        int full = x.Length & ~7;
        for (int p = 0; p < full; p++) lanes[p & 7] = MathF.FusedMultiplyAdd(x[p], y[p], lanes[p & 7]);
        float total = 0f;
        for (int lane = 0; lane < 8; lane++) total += lanes[lane];
        for (int p = full; p < x.Length; p++) total = MathF.FusedMultiplyAdd(x[p], y[p], total);
        return total;
    }
}
