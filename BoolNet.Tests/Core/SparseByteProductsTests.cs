using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Tests.Core;

/// <summary>
/// The kernel under <see cref="SignalProducts"/>' sparse byte path, <see cref="SparseByteProducts"/>,
/// on every vector ISA against a naive int64 triple loop, bit for bit: odd K (a last unpaired row),
/// K = 0 and 1, one output row or column, column counts that are not multiples of the 16/32-column
/// vector steps or of the 4-block group, dense and 90%-sparse signals, offsets and factors, int16
/// chunking forced by large values, and the saturating case it must refuse.
/// </summary>
[Category("Isa")]
public class SparseByteProductsTests
{
    private static readonly (int K, int J, int I)[] Shapes =
    [
        (0, 3, 5), (1, 1, 1), (2, 1, 33), (3, 5, 7), (7, 2, 31), (100, 64, 784), (101, 33, 130), (9, 70, 129),
        (100, 1024, 1024), (64, 17, 16), (5, 3, 65), (258, 9, 40),
    ];

    // The byte products are AVX2/AVX-512 code: on ARM64 (NEON) the signal products take the reference or the planes.
    private static IEnumerable<Isa> VectorIsas => IsaSelection.Supported.Where(isa => isa is Isa.Avx2 or Isa.Avx512);

    private static IEnumerable<TestCaseData> Cases() =>
        from isa in VectorIsas
        from shape in Shapes
        from sparse in new[] { false, true }
        select new TestCaseData(isa, shape.K, shape.J, shape.I, sparse);

    private static (sbyte[] A, byte[] B) Operands(Random random, int k, int j, int i, int maxA, int maxB, bool sparse)
    {
        var a = new sbyte[k * j];
        for (int n = 0; n < a.Length; n++) a[n] = sparse && random.Next(10) != 0 ? (sbyte)0 : (sbyte)random.Next(-maxA, maxA + 1);
        var b = new byte[k * i];
        for (int n = 0; n < b.Length; n++) b[n] = (byte)random.Next(maxB + 1);
        return (a, b);
    }

    private static float[] Naive(sbyte[] a, byte[] b, int k, int j, int i, int factor, int[]? offsets, float scale)
    {
        var result = new float[j * i];
        for (int r = 0; r < j; r++)
            for (int c = 0; c < i; c++)
            {
                long sum = 0;
                for (int n = 0; n < k; n++) sum += a[n * j + r] * b[n * i + c];
                result[r * i + c] = scale * (int)(factor * sum - (offsets?[r] ?? 0));
            }
        return result;
    }

    [TestCaseSource(nameof(Cases))]
    public void EqualsTheNaiveProduct(Isa isa, int k, int j, int i, bool sparse)
    {
        var random = new Random(k * 131 + j * 7 + i + (sparse ? 1 : 0));
        foreach ((int maxA, int maxB) in new[] { (7, 1), (7, 15), (127, 128) }) // the last forces one pair per int16 chunk
        {
            (sbyte[] a, byte[] b) = Operands(random, k, j, i, maxA, maxB, sparse);
            int[] offsets = Enumerable.Range(0, j).Select(_ => random.Next(-50, 50)).ToArray();
            float[] expected = Naive(a, b, k, j, i, 2, offsets, 0.37f);
            var actual = new float[j * i];
            SparseByteProducts.Run(a, b, k, j, i, factor: 2, offsets, 0.37f, actual, threads: 2, isa, default(NoRowEpilogue));
            Assert.That(actual, Is.EqualTo(expected), $"{isa} K {k} J {j} I {i} max|a| {maxA} max b {maxB}");
        }
    }

    [TestCaseSource(nameof(VectorIsas))]
    public void SaturatingValuesAreRefused(Isa isa)
    {
        // 2 * 128 * 255 > 32767: a vpmaddubsw pair would saturate; the operator sends such levels to the planes path.
        var a = new sbyte[] { -128, -128, 127, -128 };
        var b = new byte[] { 255, 255, 255, 0 };
        Assert.Throws<ArgumentException>(() => SparseByteProducts.Run(a, b, count: 2, rows: 2, columns: 2, factor: 1, offsets: null, scale: 1f,
            new float[4], threads: 1, isa, default(NoRowEpilogue)));
        Assert.Throws<PlatformNotSupportedException>(() => SparseByteProducts.Run(a, new byte[4], 2, 2, 2, 1, null, 1f, new float[4], 1, Isa.Scalar,
            default(NoRowEpilogue)));
    }

    [Test]
    public void FitsMatchesTheSaturationBound()
    {
        Assert.That(SparseByteProducts.Fits(signalPlanes: 4, valueBits: 8), Is.True);  // 2 * 7 * 255 = 3570
        Assert.That(SparseByteProducts.Fits(signalPlanes: 8, valueBits: 1), Is.True);  // 2 * 127 * 1
        Assert.That(SparseByteProducts.Fits(signalPlanes: 8, valueBits: 8), Is.False); // 2 * 127 * 255 = 64770
    }

    [Test]
    public void WrongSizesAreRejected()
    {
        Isa isa = IsaSelection.Best;
        var none = default(NoRowEpilogue);
        Assert.Throws<ArgumentException>(() => SparseByteProducts.Run(new sbyte[5], new byte[6], 2, 3, 3, 1, null, 1f, new float[9], 1, isa, none));
        Assert.Throws<ArgumentException>(() => SparseByteProducts.Run(new sbyte[6], new byte[6], 2, 3, 3, 1, null, 1f, new float[8], 1, isa, none));
        Assert.Throws<ArgumentException>(() => SparseByteProducts.Run(new sbyte[6], new byte[6], 2, 3, 3, 1, new int[2], 1f, new float[9], 1, isa, none));
    }

    [TestCase(1, 1)]
    [TestCase(3, 7)]
    [TestCase(5, 64)]
    [TestCase(4, 130)]
    [TestCase(0, 9)]
    public void UnpackBytesGivesOneByteOfZeroOrOnePerBit(int rows, int columns)
    {
        var matrix = new BitMatrix(rows, columns);
        matrix.Randomize(new Random(rows * 100 + columns));
        byte[] bytes = BitPacking.UnpackBytes(matrix, threads: 2);
        Assert.That(bytes, Has.Length.EqualTo(rows * columns));
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                Assert.That(bytes[r * columns + c], Is.EqualTo(matrix[r, c] ? 1 : 0), $"({r}, {c})");
    }
}
