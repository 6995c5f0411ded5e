using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Tests.Real;

/// <summary>Every algorithm and ISA path of the float GEMM equals its scalar reference bit for bit, in both orders.</summary>
[Category("Isa")]
public class FloatGemmTests
{
    private static float[] RandomValues(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    private static readonly FloatGemm.Algorithm[] Algorithms = Enum.GetValues<FloatGemm.Algorithm>();

    /// <summary>Whether the explicit entry point accepts the algorithm for this product (it throws otherwise).</summary>
    private static bool Applies(FloatGemm.Algorithm algorithm, bool transposeA, bool transposeB, FloatSumOrder order, bool accumulate, Isa isa) => algorithm switch
    {
        FloatGemm.Algorithm.Dot8Rows => order == FloatSumOrder.Dot8,
        FloatGemm.Algorithm.FewRows => order == FloatSumOrder.Chain && !transposeB,
        _ => order == FloatSumOrder.Chain,
    };

    private static void CheckAll(int m, int n, int k, FloatSumOrder order, int[] threadCounts)
    {
        var random = new Random(m * 1009 + n * 31 + k + (int)order);
        float[] a = RandomValues(random, m * k), b = RandomValues(random, k * n), initial = RandomValues(random, m * n);
        foreach (bool transposeA in order == FloatSumOrder.Dot8 ? [false] : new[] { false, true })
            foreach (bool transposeB in order == FloatSumOrder.Dot8 ? [true] : new[] { false, true })
                foreach (bool accumulate in new[] { false, true })
                {
                    float[] expected = (float[])initial.Clone();
                    FloatGemm.MultiplyReference(a, transposeA, b, transposeB, expected, m, n, k, order, accumulate);
                    foreach (Isa isa in IsaSelection.Supported)
                        foreach (FloatGemm.Algorithm algorithm in Algorithms.Where(x => Applies(x, transposeA, transposeB, order, accumulate, isa)))
                            foreach (int threads in threadCounts)
                            {
                                float[] actual = (float[])initial.Clone();
                                FloatGemm.Multiply(a, transposeA, b, transposeB, actual, m, n, k, order, accumulate, threads, isa, algorithm);
                                Assert.That(actual, Is.EqualTo(expected),
                                    $"{m}x{n}x{k} {order} tA={transposeA} tB={transposeB} acc={accumulate} {isa} {algorithm} threads={threads}");
                            }
                }
    }

    [TestCase(1, 1, 1)]
    [TestCase(0, 5, 3)]
    [TestCase(5, 0, 3)]
    [TestCase(4, 5, 0)]
    [TestCase(1, 64, 9)]
    [TestCase(3, 97, 13)]   // few rows: vector blocks and a scalar tail on every width
    [TestCase(4, 80, 33)]
    [TestCase(8, 32, 7)]
    [TestCase(9, 33, 257)]
    [TestCase(17, 70, 300)]
    [TestCase(64, 10, 128)]
    [TestCase(3, 290, 515)]
    [TestCase(40, 64, 288)]
    [TestCase(48, 192, 64)]
    [TestCase(53, 300, 100)]
    [TestCase(64, 256, 600)]
    [TestCase(20, 544, 70)]   // 17 panels: threads take whole 8-panel column blocks of B (B the larger operand)
    [TestCase(33, 1030, 40)]  // 33 panels, the last one partial
    public void ChainEqualsReferenceOnEveryAlgorithmPathTransposeAndThreadCount(int m, int n, int k) =>
        CheckAll(m, n, k, FloatSumOrder.Chain, [1, 2, 3]);

    [Test]
    public void ChainEqualsReferenceOnRandomShapes()
    {
        var random = new Random(77);
        for (int trial = 0; trial < 12; trial++)
            CheckAll(random.Next(0, 40), random.Next(0, 80), random.Next(0, 70), FloatSumOrder.Chain, [1, 3]);
    }

    [TestCase(3, 10, 1024)]
    [TestCase(2, 15, 13)]
    [TestCase(1, 4, 7)]
    [TestCase(5, 3, 1025)]
    [TestCase(2, 5, 0)]
    [TestCase(1, 1, 1)]
    [TestCase(0, 3, 8)]
    [TestCase(7, 0, 8)]
    [TestCase(6, 9, 8)]
    [TestCase(11, 17, 63)]
    public void Dot8EqualsReferenceOnEveryPathAndThreadCount(int m, int n, int k) =>
        CheckAll(m, n, k, FloatSumOrder.Dot8, [1, 2]);

    [Test]
    public void TheTwoOrdersAreDifferentSums()
    {
        // Same products, different association: over many random dot products some must round apart,
        // so the order really is part of the result (and of the model file).
        var random = new Random(5);
        const int m = 8, n = 8, k = 100;
        float[] a = RandomValues(random, m * k), b = RandomValues(random, n * k);
        float[] chain = new float[m * n], dot8 = new float[m * n];
        FloatGemm.Multiply(a, false, b, true, chain, m, n, k);
        FloatGemm.Multiply(a, false, b, true, dot8, m, n, k, FloatSumOrder.Dot8);
        Assert.That(dot8, Is.Not.EqualTo(chain));
        Assert.That(dot8, Is.EqualTo(chain).Within(1e-4f));
    }

    [Test]
    public void ChooseIsTheDocumentedDecision()
    {
        Assert.That(FloatGemm.Choose(3, 10, 1024, false, true, FloatSumOrder.Dot8, false, Isa.Avx512), Is.EqualTo(FloatGemm.Algorithm.Dot8Rows));
        Assert.That(FloatGemm.Choose(1, 1024, 784, false, false, FloatSumOrder.Chain, false, Isa.Avx512), Is.EqualTo(FloatGemm.Algorithm.FewRows));
        Assert.That(FloatGemm.Choose(4, 1024, 784, true, false, FloatSumOrder.Chain, true, Isa.Scalar), Is.EqualTo(FloatGemm.Algorithm.FewRows));
        Assert.That(FloatGemm.Choose(5, 1024, 784, false, false, FloatSumOrder.Chain, false, Isa.Avx512), Is.EqualTo(FloatGemm.Algorithm.Blocked));
        Assert.That(FloatGemm.Choose(1, 1024, 784, false, true, FloatSumOrder.Chain, false, Isa.Avx512), Is.EqualTo(FloatGemm.Algorithm.Blocked));
        Assert.That(FloatGemm.Choose(100, 1024, 784, false, true, FloatSumOrder.Chain, false, Isa.Avx2), Is.EqualTo(FloatGemm.Algorithm.Blocked));
    }

    [Test]
    public void ReferenceIsTheMatrixProduct()
    {
        // [[1,2],[3,4]] * [[5,6],[7,8]] = [[19,22],[43,50]]; transposed storage gives the same product.
        float[] a = { 1, 2, 3, 4 }, b = { 5, 6, 7, 8 }, c = new float[4];
        FloatGemm.Multiply(a, false, b, false, c, 2, 2, 2);
        Assert.That(c, Is.EqualTo(new float[] { 19, 22, 43, 50 }));
        float[] aT = { 1, 3, 2, 4 }, bT = { 5, 7, 6, 8 };
        FloatGemm.Multiply(aT, true, bT, true, c, 2, 2, 2);
        Assert.That(c, Is.EqualTo(new float[] { 19, 22, 43, 50 }));
        FloatGemm.Multiply(a, false, bT, true, c, 2, 2, 2, FloatSumOrder.Dot8);
        Assert.That(c, Is.EqualTo(new float[] { 19, 22, 43, 50 }));
    }

    [Test]
    public void RejectsBadBuffersLayoutsAndAlgorithms()
    {
        Assert.Throws<ArgumentException>(() => FloatGemm.Multiply(new float[5], false, new float[6], false, new float[4], 2, 2, 3));
        Assert.Throws<ArgumentException>(() => FloatGemm.Multiply(new float[6], false, new float[6], false, new float[3], 2, 2, 3));
        Assert.Throws<ArgumentException>(() => FloatGemm.Multiply(new float[6], false, new float[6], false, new float[4], 2, 2, 3, FloatSumOrder.Dot8));
        Assert.Throws<ArgumentException>(() => FloatGemm.Multiply(new float[6], false, new float[6], true, new float[4], 2, 2, 3,
            FloatSumOrder.Chain, false, 1, Isa.Scalar, FloatGemm.Algorithm.FewRows));
        Assert.Throws<ArgumentException>(() => FloatGemm.Multiply(new float[6], false, new float[6], true, new float[4], 2, 2, 3,
            FloatSumOrder.Chain, false, 1, Isa.Scalar, FloatGemm.Algorithm.Dot8Rows));
    }
}
