using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Tests.Core;

/// <summary>
/// The prefix-XOR packing and the XOR count built on it (the AVX2 and AVX-512 packed paths): the packing
/// against its scalar definition (4- and 8-row groups, partial groups and empty halves, words not a
/// multiple of the 4-word transpose, padding to whole trees), and the count against the scalar reference on shapes that hit its edges: one and several
/// L1 blocks of B groups, an odd group count (the AVX2 one-group tile), partial last groups of 1 to 7 rows,
/// A rows not a multiple of the AVX-512 tile's 4,
/// K just over a tree or a flush of 31 trees, one and two threads; and the count against weights packed
/// ahead (<see cref="BinaryGemm.PackWeights"/>) on every path.
/// </summary>
[Category("Isa")]
public class KernelPrefixTests
{
    [TestCase(1, 1, 8, 4)]
    [TestCase(3, 5, 8, 4)]
    [TestCase(4, 8, 8, 4)]
    [TestCase(5, 9, 16, 4)]
    [TestCase(7, 13, 16, 4)]
    [TestCase(8, 64, 64, 4)]
    [TestCase(10, 67, 72, 4)]
    [TestCase(1, 3, 8, 8)]
    [TestCase(5, 9, 16, 8)]
    [TestCase(8, 16, 16, 8)]
    [TestCase(13, 67, 72, 8)]
    [TestCase(17, 8, 8, 8)]
    public void PackingEqualsScalarPrefixes(int rows, int words, int padded, int groupRows)
    {
        var random = new Random(rows * 100 + words);
        var source = new ulong[(rows + 2) * words];
        for (int i = 0; i < source.Length; i++) source[i] = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
        foreach (int start in new[] { 0, 2 })
        {
            ulong[] expected = PrefixPacking.Reference(source.AsSpan(start * words), rows, words, padded, groupRows);
            var packed = new ulong[expected.Length];
            unsafe
            {
                fixed (ulong* s = source)
                fixed (ulong* p = packed)
                    PrefixPacking.Pack(s, start, start + rows, words, padded, p, groupRows);
            }
            Assert.That(packed, Is.EqualTo(expected), $"rows from {start}");
        }
    }

    private static readonly (int M, int K, int N)[] Shapes =
    [
        (1, 512, 4), (1, 512, 5), (2, 513, 6), (3, 520, 7), (5, 960, 8), (4, 1024, 9), (6, 1088, 12),
        (9, 4096, 75), (4, 4096, 303), (2, 15900, 10), (3, 16384, 13), (13, 784, 100), (1, 8192, 1024),
        (5, 4096, 17), (7, 1024, 1024), (4, 2048, 8), (6, 640, 23),
        // 16 rows and more on two threads: B's groups split when B is larger (odd group counts, a partial
        // last group), A's rows otherwise.
        (16, 1024, 100), (20, 520, 203), (100, 1024, 1024), (17, 784, 40), (24, 4096, 30), (40, 1024, 24), (64, 4096, 64),
    ];

    private static IEnumerable<TestCaseData> IsaAndShape() =>
        from isa in IsaSelection.Supported
        from shape in Shapes
        from threads in new[] { 1, 2 }
        select new TestCaseData(isa, shape.M, shape.K, shape.N, threads);

    [TestCaseSource(nameof(IsaAndShape))]
    public void XorCountEqualsReference(Isa isa, int m, int k, int n, int threads)
    {
        var random = new Random(m * 7 + k * 3 + n);
        var a = new BitMatrix(m, k); a.Randomize(random);
        var b = new BitMatrix(n, k); b.Randomize(random);
        var counts = new int[m * n];
        var reference = new int[m * n];
        Array.Fill(counts, -1);
        BinaryGemm.Count(CountOperation.Xor, a, b, counts, threads, isa);
        BinaryGemm.Count(CountOperation.Xor, a, b, reference, threads: 1, isa: Isa.Scalar);
        Assert.That(counts, Is.EqualTo(reference));
    }

    private static IEnumerable<TestCaseData> IsaAndPackedShape() =>
        from isa in IsaSelection.Supported
        from shape in new[] { (1, 1024, 1024), (3, 784, 100), (64, 1024, 1024), (5, 513, 9), (2, 64, 3), (4, 100, 8), (0, 512, 8) }
        from threads in new[] { 1, 2 }
        select new TestCaseData(isa, shape.Item1, shape.Item2, shape.Item3, threads);

    [TestCaseSource(nameof(IsaAndPackedShape))]
    public void CountAgainstPackedWeightsEqualsReference(Isa isa, int m, int k, int n, int threads)
    {
        var random = new Random(m + k + n);
        var a = new BitMatrix(m, k); a.Randomize(random);
        var w = new BitMatrix(n, k); w.Randomize(random);
        PackedWeights packed = BinaryGemm.PackWeights(w, isa);
        var counts = new int[m * n];
        var reference = new int[m * n];
        Array.Fill(counts, -1);
        BinaryGemm.CountXor(a.Words, m, packed, counts, threads);
        BinaryGemm.Count(CountOperation.Xor, a, w, reference, threads: 1, isa: Isa.Scalar);
        Assert.That(counts, Is.EqualTo(reference));
        Assert.That(packed.Isa, Is.EqualTo(isa));
    }

    [Test]
    public void OutputPastTheProductIsLeftAlone()
    {
        var random = new Random(3);
        var a = new BitMatrix(3, 700); a.Randomize(random);
        var b = new BitMatrix(6, 700); b.Randomize(random);
        foreach (Isa isa in IsaSelection.Supported)
        {
            var counts = new int[3 * 6 + 5];
            Array.Fill(counts, -7);
            BinaryGemm.Count(CountOperation.Xor, a, b, counts, threads: 1, isa: isa);
            Assert.That(counts[^5..], Is.All.EqualTo(-7), IsaSelection.Name(isa));
        }
    }
}
