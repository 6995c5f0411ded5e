using BoolNet.Core.Kernels;
using BoolNet.Core.Real;

namespace BoolNet.Tests.Real;

/// <summary>The blocked float GEMM equals the naive fused-multiply-add chain bit for bit.</summary>
[Category("Isa")]
public class RealGemmTests
{
    private static float[] RandomValues(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    private static IEnumerable<Isa> Paths => IsaSelection.Supported;

    [TestCase(1, 1, 1)]
    [TestCase(0, 5, 3)]
    [TestCase(5, 0, 3)]
    [TestCase(4, 5, 0)]
    [TestCase(8, 32, 7)]
    [TestCase(9, 33, 257)]
    [TestCase(17, 70, 300)]
    [TestCase(64, 10, 128)]
    [TestCase(3, 290, 515)]
    [TestCase(40, 64, 288)]
    // Short A against a long transposed B: the AVX2 path computes (B A^T)^T (SwapOperands).
    [TestCase(48, 192, 64)]
    [TestCase(53, 300, 100)]
    [TestCase(100, 400, 200)]
    [TestCase(64, 256, 600)]
    public void EqualsReferenceOnEveryPathTransposeAndThreadCount(int m, int n, int k)
    {
        var random = new Random(m * 1009 + n * 31 + k);
        float[] a = RandomValues(random, m * k), b = RandomValues(random, k * n), initial = RandomValues(random, m * n);
        foreach (bool transposeA in new[] { false, true })
            foreach (bool transposeB in new[] { false, true })
                foreach (bool accumulate in new[] { false, true })
                {
                    float[] expected = (float[])initial.Clone();
                    RealGemm.MultiplyReference(a, transposeA, b, transposeB, expected, m, n, k, accumulate);
                    foreach (Isa isa in Paths)
                        foreach (int threads in new[] { 1, 2, 3 })
                        {
                            float[] actual = (float[])initial.Clone();
                            RealGemm.Multiply(a, transposeA, b, transposeB, actual, m, n, k, accumulate, threads, isa);
                            Assert.That(actual, Is.EqualTo(expected),
                                $"{m}x{n}x{k} tA={transposeA} tB={transposeB} acc={accumulate} {isa} threads={threads}");
                        }
                }
    }

    [Test]
    public void ReferenceIsTheMatrixProduct()
    {
        // [[1,2],[3,4]] * [[5,6],[7,8]] = [[19,22],[43,50]]; transposed storage gives the same product.
        float[] a = { 1, 2, 3, 4 }, b = { 5, 6, 7, 8 }, c = new float[4];
        RealGemm.Multiply(a, false, b, false, c, 2, 2, 2);
        Assert.That(c, Is.EqualTo(new float[] { 19, 22, 43, 50 }));
        float[] aT = { 1, 3, 2, 4 }, bT = { 5, 7, 6, 8 };
        RealGemm.Multiply(aT, true, bT, true, c, 2, 2, 2);
        Assert.That(c, Is.EqualTo(new float[] { 19, 22, 43, 50 }));
    }

    [Test]
    public void RejectsBuffersTooSmall()
    {
        Assert.Throws<ArgumentException>(() => RealGemm.Multiply(new float[5], false, new float[6], false, new float[4], 2, 2, 3));
        Assert.Throws<ArgumentException>(() => RealGemm.Multiply(new float[6], false, new float[6], false, new float[3], 2, 2, 3));
    }
}
