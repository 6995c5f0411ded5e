using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Tests.Core;

/// <summary>
/// The kernel under <see cref="SignalProducts"/>' dense byte path, <see cref="DenseByteProducts"/>, on
/// every vector ISA against a naive int64 triple loop, bit for bit, on general byte operands (the
/// operator only feeds it bits): odd K (an unpaired last element), K = 0 and 1, row counts that are
/// not multiples of the 4-row tile, column counts that are not multiples of the 32-column panel or of
/// the AVX-512 tile's 64-column block, more
/// pairs than one int16 chunk holds (K = 1030 with levels up to 31, and 2-pair chunks with large
/// values), the saturating case it must refuse, and the two pairings of a (row-major and transposed) agreeing.
/// </summary>
[Category("Isa")]
public class DenseByteProductsTests
{
    private static readonly (int K, int Rows, int Columns)[] Shapes =
    [
        (0, 3, 5), (1, 1, 1), (2, 1, 33), (3, 5, 7), (7, 2, 31), (100, 64, 784), (101, 33, 130), (9, 70, 129),
        (100, 1024, 256), (1024, 100, 96), (1030, 7, 40), (64, 17, 16), (5, 3, 65), (258, 9, 40),
        // The AVX-512 tile's 64-column blocks: whole, with a partial second panel, one panel left over; int16 chunks.
        (1, 4, 64), (3, 5, 97), (7, 8, 63), (1030, 4, 128), (258, 6, 160), (2, 1, 64),
    ];

    // The byte products are AVX2/AVX-512 code: on ARM64 (NEON) the signal products take the reference or the planes.
    private static IEnumerable<Isa> VectorIsas => IsaSelection.Supported.Where(isa => isa is Isa.Avx2 or Isa.Avx512);

    private static IEnumerable<TestCaseData> Cases() =>
        from isa in VectorIsas
        from shape in Shapes
        select new TestCaseData(isa, shape.K, shape.Rows, shape.Columns);

    private static float[] Naive(sbyte[] a, byte[] b, int k, int rows, int columns, int factor, int[] offsets, float scale)
    {
        var result = new float[rows * columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                long sum = 0;
                for (int n = 0; n < k; n++) sum += a[r * k + n] * b[n * columns + c];
                result[r * columns + c] = scale * (int)(factor * sum - offsets[r]);
            }
        return result;
    }

    /// <summary>B2 of arbitrary bytes b [k, columns], laid out as <see cref="DenseByteProducts.PairedIndex"/> says.</summary>
    private static byte[] PairBytes(byte[] b, int k, int columns)
    {
        int pairs = (k + 1) / 2;
        var paired = new byte[Math.Max(1, DenseByteProducts.PairedBytes(pairs, columns))];
        for (int n = 0; n < k; n++)
            for (int c = 0; c < columns; c++)
                paired[DenseByteProducts.PairedIndex(n / 2, c, pairs) + n % 2] = b[n * columns + c];
        return paired;
    }

    private static int[] PairA(sbyte[] a, int rows, int k)
    {
        var paired = new int[rows * ((k + 1) / 2)];
        DenseByteProducts.PairedA(a, rows, k, paired);
        return paired;
    }

    [TestCaseSource(nameof(Cases))]
    public void EqualsTheNaiveProductOnBits(Isa isa, int k, int rows, int columns)
    {
        var random = new Random(k * 131 + rows * 7 + columns);
        var a = new sbyte[rows * k];
        for (int n = 0; n < a.Length; n++) a[n] = random.Next(3) == 0 ? (sbyte)0 : (sbyte)random.Next(-31, 32);
        var bits = new BitMatrix(k, columns);
        bits.Randomize(random);
        byte[] b = BitPacking.UnpackBytes(bits, threads: 1);
        int[] offsets = Enumerable.Range(0, rows).Select(_ => random.Next(-50, 50)).ToArray();
        int pairs = (k + 1) / 2;
        var pairedB = new byte[Math.Max(1, DenseByteProducts.PairedBytes(pairs, columns))];
        DenseByteProducts.PairedB(bits, pairedB, threads: 2);
        Assert.That(pairedB, Is.EqualTo(PairBytes(b, k, columns)), "B2 from bits equals B2 from bytes");
        var actual = new float[rows * columns];
        DenseByteProducts.Run(PairA(a, rows, k), pairedB, pairs, rows, columns, valueMax: 1, factor: 2, offsets, 0.37f, actual, threads: 2, isa,
            default(NoRowEpilogue));
        Assert.That(actual, Is.EqualTo(Naive(a, b, k, rows, columns, 2, offsets, 0.37f)), $"{isa} K {k} rows {rows} columns {columns}");
    }

    [TestCaseSource(nameof(Cases))]
    public void EqualsTheNaiveProductOnBytesWithShortChunks(Isa isa, int k, int rows, int columns)
    {
        // max |a| 127 and max b 128: 2 * 127 * 128 = 32512 leaves room for one pair per int16 chunk.
        var random = new Random(k * 17 + rows * 3 + columns);
        var a = new sbyte[rows * k];
        for (int n = 0; n < a.Length; n++) a[n] = (sbyte)random.Next(-127, 128);
        var b = new byte[k * columns];
        for (int n = 0; n < b.Length; n++) b[n] = (byte)random.Next(129);
        int[] offsets = Enumerable.Range(0, rows).Select(_ => random.Next(-50, 50)).ToArray();
        var actual = new float[rows * columns];
        DenseByteProducts.Run(PairA(a, rows, k), PairBytes(b, k, columns), (k + 1) / 2, rows, columns, valueMax: 128, factor: 1, offsets, 1f,
            actual, threads: 1, isa, default(NoRowEpilogue));
        Assert.That(actual, Is.EqualTo(Naive(a, b, k, rows, columns, 1, offsets, 1f)), $"{isa} K {k} rows {rows} columns {columns}");
    }

    [TestCaseSource(nameof(Cases))]
    public void TransposedPairingEqualsPairingTheTranspose(Isa isa, int k, int rows, int columns)
    {
        _ = isa;
        _ = columns;
        var random = new Random(k + rows);
        var a = new sbyte[rows * k]; // [rows, k]
        random.NextBytes((byte[])(Array)a);
        var transposed = new sbyte[k * rows]; // [k, rows]
        for (int r = 0; r < rows; r++)
            for (int n = 0; n < k; n++) transposed[n * rows + r] = a[r * k + n];
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var fromTransposed = new int[rows * ((k + 1) / 2)];
            DenseByteProducts.PairedATransposed(transposed, k, rows, fromTransposed, threads);
            Assert.That(fromTransposed, Is.EqualTo(PairA(a, rows, k)), $"threads {threads}");
        }
    }

    [TestCaseSource(nameof(VectorIsas))]
    public void SaturatingValuesAreRefused(Isa isa)
    {
        // 2 * 128 * 255 > 32767: a vpmaddubsw pair would saturate; the operator sends such levels elsewhere.
        var a = new sbyte[] { -128, -128, 127, -128 };
        var b = new byte[] { 255, 255, 255, 0 };
        Assert.Throws<ArgumentException>(() => DenseByteProducts.Run(PairA(a, 2, 2), PairBytes(b, 2, 2), 1, 2, 2, valueMax: 255, factor: 1,
            [0, 0], 1f, new float[4], threads: 1, isa, default(NoRowEpilogue)));
        Assert.Throws<PlatformNotSupportedException>(() => DenseByteProducts.Run(PairA(a, 2, 2), PairBytes(b, 2, 2), 1, 2, 2, valueMax: 1,
            factor: 1, [0, 0], 1f, new float[4], threads: 1, Isa.Scalar, default(NoRowEpilogue)));
    }

    [Test]
    public void WrongSizesAreRejected()
    {
        Isa isa = IsaSelection.Best;
        var none = default(NoRowEpilogue);
        Assert.Throws<ArgumentException>(() => DenseByteProducts.Run(new int[5], new byte[64], 2, 3, 3, 1, 1, null, 1f, new float[9], 1, isa, none));
        Assert.Throws<ArgumentException>(() => DenseByteProducts.Run(new int[6], new byte[64], 2, 3, 3, 1, 1, null, 1f, new float[9], 1, isa, none));
        Assert.Throws<ArgumentException>(() => DenseByteProducts.Run(new int[6], new byte[128], 2, 3, 3, 1, 1, null, 1f, new float[8], 1, isa, none));
        Assert.Throws<ArgumentException>(() => DenseByteProducts.Run(new int[6], new byte[128], 2, 3, 3, 1, 1, new int[2], 1f, new float[9], 1, isa, none));
    }
}
