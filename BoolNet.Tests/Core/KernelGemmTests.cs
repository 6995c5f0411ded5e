using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Tests.Core;

/// <summary>
/// Every ISA path this machine supports against the scalar reference and a naive +-1 dot product,
/// bit for bit, on shapes that hit every tile edge: K not a multiple of 64 or of a vector chunk,
/// M or N = 1, K = 1, empty operands, M and N not multiples of the tile sizes, K long enough to
/// overflow a byte accumulator if it were not flushed.
/// </summary>
[Category("Isa")]
public class KernelGemmTests
{
    private static IEnumerable<Isa> SupportedIsas => IsaSelection.Supported;

    private static readonly (int M, int K, int N)[] Shapes =
    [
        (0, 10, 3), (3, 0, 2), (2, 5, 0), (1, 1, 1), (3, 1, 5), (1, 64, 1), (5, 63, 7), (4, 64, 4),
        (7, 65, 9), (1, 200, 1), (9, 511, 13), (17, 513, 5), (8, 1024, 8), (13, 4097, 6), (64, 784, 1),
        (1, 784, 33), (6, 257, 11), (11, 448, 17), (5, 17000, 6), (6, 33000, 9), (7, 2048, 4),
    ];

    private static IEnumerable<TestCaseData> IsaAndShape() =>
        from isa in IsaSelection.Supported
        from shape in Shapes
        select new TestCaseData(isa, shape.M, shape.K, shape.N);

    private static (BitMatrix A, BitMatrix B) RandomOperands(int m, int k, int n, int seed)
    {
        var random = new Random(seed);
        var a = new BitMatrix(m, k); a.Randomize(random);
        var b = new BitMatrix(n, k); b.Randomize(random);
        return (a, b);
    }

    [TestCaseSource(nameof(IsaAndShape))]
    public void XnorAndXorEqualReferenceAndNaiveSignedDot(Isa isa, int m, int k, int n)
    {
        var (a, b) = RandomOperands(m, k, n, m * 7919 + k * 31 + n);
        var xnor = new int[m * n];
        var xor = new int[m * n];
        var reference = new int[m * n];
        BinaryGemm.Multiply(a, b, xnor, BinaryLogic.Xnor, threads: 1, isa: isa);
        BinaryGemm.Multiply(a, b, xor, BinaryLogic.Xor, threads: 1, isa: isa);
        BinaryGemm.Multiply(a, b, reference, BinaryLogic.Xnor, threads: 1, isa: Isa.Scalar);
        Assert.That(xnor, Is.EqualTo(reference));
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                int centred = 0;
                for (int t = 0; t < k; t++) centred += a.Sign(i, t) * b.Sign(j, t);
                // XNOR count s: centred = 2s - K. XOR count is K - s.
                Assert.That(2 * xnor[i * n + j] - k, Is.EqualTo(centred), $"XNOR at ({i}, {j})");
                Assert.That(xor[i * n + j], Is.EqualTo(k - xnor[i * n + j]), $"XOR at ({i}, {j})");
            }
    }

    [TestCaseSource(nameof(IsaAndShape))]
    public void AndCountEqualsReferenceAndNaive(Isa isa, int m, int k, int n)
    {
        var (a, b) = RandomOperands(m, k, n, m * 31 + k * 7 + n * 3 + 1);
        var counts = new int[m * n];
        var reference = new int[m * n];
        BinaryGemm.CountAnd(a, b, counts, threads: 1, isa: isa);
        BinaryGemm.CountAnd(a, b, reference, threads: 1, isa: Isa.Scalar);
        Assert.That(counts, Is.EqualTo(reference));
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                int naive = 0;
                for (int t = 0; t < k; t++) naive += a[i, t] && b[j, t] ? 1 : 0;
                Assert.That(counts[i * n + j], Is.EqualTo(naive), $"AND at ({i}, {j})");
            }
    }

    [TestCaseSource(nameof(SupportedIsas))]
    public void AllOnesAndAllZerosGiveExtremeCounts(Isa isa)
    {
        // Every byte counts 8 in every chunk: the largest value a byte accumulator sees before a flush.
        const int m = 5, k = 40000, n = 6;
        var ones = new BitMatrix(m, k, Enumerable.Repeat(ulong.MaxValue, m * BitMatrix.WordsFor(k)).ToArray());
        var onesB = new BitMatrix(n, k, Enumerable.Repeat(ulong.MaxValue, n * BitMatrix.WordsFor(k)).ToArray());
        var zeros = new BitMatrix(n, k);
        var counts = new int[m * n];
        BinaryGemm.Count(CountOperation.Xor, ones, zeros, counts, threads: 1, isa: isa);
        Assert.That(counts, Is.All.EqualTo(k));
        BinaryGemm.Count(CountOperation.And, ones, onesB, counts, threads: 1, isa: isa);
        Assert.That(counts, Is.All.EqualTo(k));
        BinaryGemm.Count(CountOperation.Xor, ones, onesB, counts, threads: 1, isa: isa);
        Assert.That(counts, Is.All.EqualTo(0));
    }

    [TestCaseSource(nameof(SupportedIsas))]
    public void RowRangeWritesOnlyItsBlock(Isa isa)
    {
        var (a, b) = RandomOperands(23, 999, 10, 5);
        var full = new int[23 * 10];
        BinaryGemm.Count(CountOperation.Xor, a, b, full, threads: 1, isa: Isa.Scalar);
        var block = new int[(17 - 6) * 10];
        BinaryGemm.CountRows(CountOperation.Xor, a.Words, b.Words, 6, 17, 10, a.WordsPerRow, block, isa);
        Assert.That(block, Is.EqualTo(full[(6 * 10)..(17 * 10)]));
    }

    [TestCaseSource(nameof(IsaAndThreadShapes))]
    public void TwoThreadsEqualOneThread(Isa isa, int m, int k, int n, CountOperation operation)
    {
        var (a, b) = RandomOperands(m, k, n, 11 + m + n);
        var one = new int[m * n];
        var two = new int[m * n];
        BinaryGemm.Count(operation, a, b, one, threads: 1, isa: isa);
        BinaryGemm.Count(operation, a, b, two, threads: 2, isa: isa);
        Assert.That(two, Is.EqualTo(one));
        var reference = new int[m * n];
        BinaryGemm.Count(operation, a, b, reference, threads: 1, isa: Isa.Scalar);
        Assert.That(two, Is.EqualTo(reference));
    }

    private static IEnumerable<TestCaseData> IsaAndThreadShapes() =>
        from isa in IsaSelection.Supported
        from shape in new[] { (301, 777, 67), (64, 784, 1), (3, 4096, 70), (9, 1000, 300), (5, 2000, 41), (1, 4096, 100) }
        from operation in new[] { CountOperation.Xor, CountOperation.And }
        select new TestCaseData(isa, shape.Item1, shape.Item2, shape.Item3, operation);

    [TestCaseSource(nameof(SupportedIsas))]
    public void DotEqualsNaiveAndMasksDirtyTails(Isa isa)
    {
        var random = new Random(17);
        foreach (int bits in new[] { 0, 1, 63, 64, 65, 255, 256, 257, 511, 512, 513, 784, 4097, 20000 })
        {
            int words = BitMatrix.WordsFor(bits);
            var a = new ulong[words];
            var b = new ulong[words];
            for (int w = 0; w < words; w++) { a[w] = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63); b[w] = (ulong)random.NextInt64(); }
            int agreements = 0;
            for (int t = 0; t < bits; t++) agreements += ((a[t >> 6] >> (t & 63)) & 1) == ((b[t >> 6] >> (t & 63)) & 1) ? 1 : 0;
            // The bits past `bits` are random ("dirty"): Dot must ignore them.
            Assert.That(BinaryDot.Dot(a, b, bits, BinaryLogic.Xnor, isa), Is.EqualTo(agreements), $"{bits} bits");
            Assert.That(BinaryDot.Dot(a, b, bits, BinaryLogic.Xor, isa), Is.EqualTo(bits - agreements), $"{bits} bits");
            if (bits == 0) continue;
            BitVector vectorA = new(bits), vectorB = new(bits);
            a.CopyTo(vectorA.Words, 0);
            b.CopyTo(vectorB.Words, 0);
            vectorA.Words[^1] &= BitMatrix.TailMaskFor(bits);
            vectorB.Words[^1] &= BitMatrix.TailMaskFor(bits);
            Assert.That(BinaryDot.Dot(vectorA, vectorB, BinaryLogic.Xor, isa), Is.EqualTo(bits - agreements), $"{bits} bits as vectors");
        }
    }

    [TestCase(Isa.Scalar, 64, 64, "scalar")]
    [TestCase(Isa.Avx2, 64, 64, "avx2-packed")]
    [TestCase(Isa.Avx2, 4, 8, "avx2-packed")]
    [TestCase(Isa.Avx2, 3, 64, "avx2-tiles")]
    [TestCase(Isa.Avx2, 64, 7, "avx2-tiles")]
    [TestCase(Isa.Avx512, 64, 64, "avx512-packed")]
    [TestCase(Isa.Avx512, 8, 8, "avx512-packed")]
    [TestCase(Isa.Avx512, 7, 64, "avx512-tiles")]
    [TestCase(Isa.Avx512, 1, 13, "avx2-tiles")]
    [TestCase(Isa.Avx512, 7, 66, "avx512-tiles")]
    public void EachIsaChoosesItsPathByShape(Isa isa, int n, int words, string path) =>
        Assert.That(BinaryGemm.PathName(n, words, isa), Is.EqualTo(path));

    [Test]
    public void TheDefaultEntryPointRunsTheProcessIsa() =>
        Assert.That(BinaryGemm.PathName(64, 64), Does.StartWith(IsaSelection.Name(IsaSelection.Current)));

    [TestCaseSource(nameof(SupportedIsas))]
    public void XnorLeavesOutputPastMxNUntouched(Isa isa)
    {
        var (a, b) = RandomOperands(3, 100, 5, 9);
        var c = Enumerable.Repeat(-7, 3 * 5 + 4).ToArray();
        BinaryGemm.Multiply(a, b, c, BinaryLogic.Xnor, threads: 1, isa: isa);
        Assert.That(c[15..], Is.All.EqualTo(-7));
        Assert.That(c[..15], Is.All.InRange(0, 100));
    }

    [Test]
    public void CountRejectsShortBuffers()
    {
        var (a, b) = RandomOperands(4, 100, 3, 1);
        Assert.Throws<ArgumentException>(() => BinaryGemm.Count(CountOperation.Xor, a, b, new int[11], threads: 1));
        Assert.Throws<ArgumentException>(() => BinaryGemm.Count(CountOperation.Xor, a, new BitMatrix(3, 99), new int[12], threads: 1));
    }
}
