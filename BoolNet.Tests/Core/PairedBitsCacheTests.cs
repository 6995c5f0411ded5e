using BoolNet.Core.Bits;
using BoolNet.Core.Operators;

namespace BoolNet.Tests.Core;

/// <summary>
/// <see cref="PairedBitsCache"/> always hands back the bytes a fresh <see cref="DenseByteProducts.PairedB"/>
/// would write, after bit flips anywhere (first and last row, an odd last row, the last column), after a
/// new matrix of the same shape and after a shape change, on 1-3 threads; and it re-pairs only the row
/// pairs that changed.
/// </summary>
[Category("Isa")]
public class PairedBitsCacheTests
{
    private static BitMatrix RandomBits(Random random, int rows, int columns)
    {
        var matrix = new BitMatrix(rows, columns);
        matrix.Randomize(random);
        return matrix;
    }

    private static byte[] Fresh(BitMatrix b)
    {
        var bytes = new byte[DenseByteProducts.PairedBytes((b.Rows + 1) / 2, b.Columns)];
        DenseByteProducts.PairedB(b, bytes, threads: 1);
        return bytes;
    }

    [TestCase(1, 1)]
    [TestCase(3, 70)]
    [TestCase(64, 64)]
    [TestCase(7, 129)]
    [TestCase(1024, 1024)]
    public void EqualsAFreshPairingAfterFlipsOnAnyThreadCount(int rows, int columns)
    {
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var random = new Random(rows * 7 + columns + threads);
            BitMatrix b = RandomBits(random, rows, columns);
            var cache = new PairedBitsCache();
            Assert.That(cache.Pair(b, threads), Is.EqualTo(Fresh(b)), "first pairing");
            Assert.That(cache.LastRepaired, Is.EqualTo((rows + 1) / 2));

            Assert.That(cache.Pair(b, threads), Is.EqualTo(Fresh(b)), "unchanged");
            Assert.That(cache.LastRepaired, Is.Zero, "nothing changed, nothing re-paired");

            ulong[] before = (ulong[])b.Words.Clone();
            foreach ((int r, int c) in new[] { (0, 0), (rows - 1, columns - 1), (rows / 2, columns / 2) })
                b.Flip(r, c);
            for (int i = 0; i < 3; i++) b.Flip(random.Next(rows), random.Next(columns));
            int changedPairs = Enumerable.Range(0, (rows + 1) / 2).Count(p =>
                Enumerable.Range(2 * p, Math.Min(2, rows - 2 * p)).Any(r =>
                    !b.Words.AsSpan(r * b.WordsPerRow, b.WordsPerRow).SequenceEqual(before.AsSpan(r * b.WordsPerRow, b.WordsPerRow))));
            Assert.That(cache.Pair(b, threads), Is.EqualTo(Fresh(b)), $"after flips, threads {threads}");
            Assert.That(cache.LastRepaired, Is.EqualTo(changedPairs), "exactly the changed pairs are re-paired");
        }
    }

    [Test]
    public void FollowsANewMatrixOfTheSameShapeAndAShapeChange()
    {
        var random = new Random(3);
        var cache = new PairedBitsCache();
        cache.Pair(RandomBits(random, 33, 100));
        BitMatrix other = RandomBits(random, 33, 100);
        Assert.That(cache.Pair(other), Is.EqualTo(Fresh(other)), "same shape, other bits");
        BitMatrix wider = RandomBits(random, 33, 200);
        Assert.That(cache.Pair(wider), Is.EqualTo(Fresh(wider)), "more columns");
        BitMatrix taller = RandomBits(random, 34, 200);
        Assert.That(cache.Pair(taller), Is.EqualTo(Fresh(taller)), "an even row count");
    }
}
