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

    /// <summary>The bit patterns (NUnit's float equality takes -0 for +0 and any NaN for any other).</summary>
    internal static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (int i = 0; i < values.Length; i++) bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        return bits;
    }

    private static void Check(int m, int n, int k, Random random)
    {
        float[] a = RandomValues(random, m * k), b = RandomValues(random, k * n);
        // Exact zeros (a single row skips them), runs of zeros, and repeated magnitudes in A as well as random values.
        for (int i = 0; i < a.Length; i += 3) a[i] = i % 2 == 0 ? 0f : 1f;
        for (int i = 0; i < a.Length; i++) if (i % 50 < 12) a[i] = i % 7 == 0 ? -0f : 0f;
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
                Assert.That(Bits(actual.AsSpan(0, m * n)), Is.EqualTo(Bits(expected)), $"{m}x{n}x{k} tB={transposeB} {isa}");
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
                Assert.That(Bits(after), Is.EqualTo(Bits(before)), $"m={m} {isa}");
            }
        }
    }

    /// <summary>Products of the single-row path, which skips zero inputs, against the reference on every ISA, bit for bit.</summary>
    private static void CheckRow(float[] a, float[] b, int n, string name)
    {
        int k = a.Length;
        float[] expected = new float[n];
        FloatGemm.MultiplyReference(a, false, b, false, expected, 1, n, k);
        FloatPanels panels = FloatPanels.Pack(b, false, k, n);
        foreach (Isa isa in IsaSelection.Supported)
        {
            float[] actual = new float[n];
            FloatGemm.Multiply(a, panels, actual, 1, isa);
            Assert.That(Bits(actual), Is.EqualTo(Bits(expected)), $"{name} {isa}");
        }
    }

    [Test]
    public void SkippedZeroInputsKeepTheSignOfAZeroResult()
    {
        // Column 0: fma(tiny, -tiny, +0) underflows to -0, fma(0, 1, -0) = +0, fma(0.5, -0, +0) = +0, and
        // the rest are zero inputs: skipping them would leave fma(0.5, -0, -0) = -0. Column 2: the
        // underflow comes at the last non-zero input (0.5 * -epsilon ties to -0), then a skipped 0 * 1.
        // Columns 3..129: ordinary values, the second group narrower than 128.
        const int n = 130;
        float tiny = 1e-30f;
        float[] a = [tiny, 0f, 0.5f, 0f, -0f];
        float[] b = new float[a.Length * n];
        var random = new Random(2);
        for (int i = 0; i < b.Length; i++) b[i] = (float)random.NextDouble() - 0.5f;
        float[] column0 = [-tiny, 1f, -0f, 2f, 3f], column1 = [-tiny, -1f, 0f, -2f, 3f], column2 = [0f, 5f, -float.Epsilon, 1f, -1f];
        for (int p = 0; p < a.Length; p++) (b[p * n], b[p * n + 1], b[p * n + 2]) = (column0[p], column1[p], column2[p]);
        float[] full = ReferenceOf(a, b, n);
        Assert.That(Bits([full[0], full[2]]), Is.EqualTo(new[] { 0, 0 }), "the full chains end +0");
        CheckRow(a, b, n, "signed zeros");
    }

    private static float[] ReferenceOf(float[] a, float[] b, int n)
    {
        var c = new float[n];
        FloatGemm.MultiplyReference(a, false, b, false, c, 1, n, a.Length);
        return c;
    }

    [Test]
    public void ZeroInputsAgainstNonFiniteWeightsAreNotSkipped()
    {
        // 0 * infinity is NaN in the full chain: with a non-finite B nothing may be skipped.
        const int n = 40, k = 9;
        var random = new Random(6);
        float[] a = new float[k], b = new float[k * n];
        for (int p = 0; p < k; p++) a[p] = p % 2 == 0 ? 0f : (float)random.NextDouble();
        for (int i = 0; i < b.Length; i++) b[i] = (float)random.NextDouble() - 0.5f;
        b[2 * n + 3] = float.PositiveInfinity;
        b[4 * n + 5] = float.NaN;
        CheckRow(a, b, n, "non-finite");
        Assert.That(float.IsNaN(ReferenceOf(a, b, n)[3]));
    }

    [Test]
    public void RowsOfZerosAndLongRowsGiveTheFullChain()
    {
        var random = new Random(8);
        foreach ((int k, int n, double zeros) in new[] { (70, 200, 1.0), (2500, 150, 0.6), (1024, 128, 0.0), (1025, 3, 0.9) })
        {
            float[] a = new float[k], b = new float[k * n];
            for (int p = 0; p < k; p++) a[p] = random.NextDouble() < zeros ? 0f : (float)random.NextDouble();
            for (int i = 0; i < b.Length; i++) b[i] = (float)random.NextDouble() - 0.5f;
            CheckRow(a, b, n, $"k={k} n={n} zeros {zeros}");
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
