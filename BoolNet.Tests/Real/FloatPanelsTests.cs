using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Tests.Real;

/// <summary>The product against pre-packed panels equals the chain-order reference bit for bit on every ISA path and shape.</summary>
[Category("Isa")]
public class FloatPanelsTests
{
    private static float[] RandomValues(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    private static void Check(int m, int n, int k, Random random)
    {
        float[] a = RandomValues(random, m * k), b = RandomValues(random, k * n);
        // Some exact zeros and repeated magnitudes in A (pixels, +-1 inputs) as well as random values.
        for (int i = 0; i < a.Length; i += 3) a[i] = i % 2 == 0 ? 0f : 1f;
        foreach (bool transposeB in new[] { false, true })
        {
            float[] expected = new float[m * n];
            FloatGemm.MultiplyReference(a, false, b, transposeB, expected, m, n, k);
            FloatPanels panels = FloatPanels.Pack(b, transposeB, k, n);
            Assert.That((panels.Depth, panels.Columns), Is.EqualTo((k, n)));
            foreach (Isa isa in IsaSelection.Supported)
            {
                float[] actual = RandomValues(random, m * n + 5); // stale values in C and past its end
                float[] tail = actual[(m * n)..];
                FloatGemm.Multiply(a, panels, actual, m, isa);
                Assert.That(actual[..(m * n)], Is.EqualTo(expected), $"{m}x{n}x{k} tB={transposeB} {isa}");
                Assert.That(actual[(m * n)..], Is.EqualTo(tail), $"{m}x{n}x{k} {isa} wrote past C");
            }
        }
    }

    [TestCase(1, 1, 1)]
    [TestCase(0, 5, 3)]
    [TestCase(5, 0, 3)]
    [TestCase(4, 5, 0)]
    [TestCase(1, 128, 9)]
    [TestCase(1, 1024, 784)]  // bold-mlp's first layer at batch 1
    [TestCase(9, 1024, 784)]  // one 8-row tile and a single row
    [TestCase(3, 129, 13)]    // a group and one column
    [TestCase(4, 160, 33)]    // 4-row pass, a full 64-wide and a 32-wide edge
    [TestCase(7, 97, 5)]      // 6-row AVX2 tile then one row; 4-row then three rows on AVX-512
    [TestCase(8, 32, 7)]
    [TestCase(13, 250, 40)]   // 8 + 4 + 1 rows; edges of 26 columns
    [TestCase(17, 70, 300)]
    [TestCase(64, 300, 100)]  // one inference chunk
    [TestCase(65, 128, 31)]
    public void EqualsTheChainReferenceOnEveryPath(int m, int n, int k) => Check(m, n, k, new Random(m * 1009 + n * 31 + k));

    [Test]
    public void EqualsTheChainReferenceOnRandomShapes()
    {
        var random = new Random(91);
        for (int trial = 0; trial < 25; trial++) Check(random.Next(0, 30), random.Next(0, 300), random.Next(0, 70), random);
    }

    [Test]
    public void EqualsTheUnpackedFewRowsAlgorithmTheInferenceLayerUsedBefore()
    {
        // The inference layer used FewRows on W^T before the panels; both are the chain, so equal bits.
        var random = new Random(3);
        const int n = 1024, k = 784;
        float[] weights = RandomValues(random, n * k), transposed = new float[k * n];
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++) transposed[p * n + j] = weights[j * k + p];
        FloatPanels panels = FloatPanels.Pack(weights, transposeB: true, k, n);
        foreach (int m in new[] { 1, 4, 6 })
        {
            float[] x = new float[m * k];
            for (int i = 0; i < x.Length; i++) x[i] = random.Next(256) * (1f / 255);
            foreach (Isa isa in IsaSelection.Supported)
            {
                float[] before = new float[m * n], after = new float[m * n];
                FloatGemm.Multiply(x, false, transposed, false, before, m, n, k, FloatSumOrder.Chain, false, 1, isa, FloatGemm.Algorithm.FewRows);
                FloatGemm.Multiply(x, panels, after, m, isa);
                Assert.That(after, Is.EqualTo(before), $"m={m} {isa}");
            }
        }
    }

    [Test]
    public void PackingCopiesTheValues()
    {
        float[] b = [1, 2, 3, 4, 5, 6]; // [2, 3]
        FloatPanels panels = FloatPanels.Pack(b, false, 2, 3);
        b[0] = 100;
        var c = new float[3];
        FloatGemm.Multiply([1f, 1f], panels, c, 1);
        Assert.That(c, Is.EqualTo(new float[] { 5, 7, 9 }));
    }

    [Test]
    public void RejectsBadShapesAndBuffers()
    {
        Assert.Throws<ArgumentException>(() => FloatPanels.Pack(new float[5], false, 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => FloatPanels.Pack(new float[6], false, -2, 3));
        FloatPanels panels = FloatPanels.Pack(new float[6], false, 2, 3);
        Assert.Throws<ArgumentException>(() => FloatGemm.Multiply(new float[3], panels, new float[6], 2));
        Assert.Throws<ArgumentException>(() => FloatGemm.Multiply(new float[4], panels, new float[5], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => FloatGemm.Multiply(new float[4], panels, new float[6], -1));
        Assert.Throws<ArgumentNullException>(() => FloatGemm.Multiply(new float[4], null!, new float[6], 2));
    }
}
