using BoolNet.Core.Bits;
using BoolNet.Core.Execution;

namespace BoolNet.Tests.Core;

/// <summary>Bit matrices and the bit packing operator: packing, unpacking on every path, transposes.</summary>
[Category("Isa")]
public class BitMatrixTests
{
    [TestCase(0, 0)]
    [TestCase(1, 1)]
    [TestCase(3, 63)]
    [TestCase(3, 64)]
    [TestCase(5, 65)]
    [TestCase(7, 200)]
    public void PackSignsThenUnpackRoundTrips(int rows, int columns)
    {
        var random = new Random(rows * 1000 + columns);
        float[] values = Enumerable.Range(0, rows * columns).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        BitMatrix bits = BitPacking.PackSigns(values, rows, columns);
        float[] back = BitPacking.UnpackSigns(bits);
        for (int i = 0; i < values.Length; i++) Assert.That(back[i], Is.EqualTo(values[i] >= 0 ? 1f : -1f));
        AssertTailsZero(bits);
    }

    private static IEnumerable<TestCaseData> IsaAndLength() =>
        from isa in IsaSelection.Supported
        from n in new[] { 0, 1, 7, 8, 9, 63, 64, 65, 200 }
        select new TestCaseData(isa, n);

    [TestCaseSource(nameof(IsaAndLength))]
    public void UnpackSignsEqualsThePerBitRuleOnEveryPath(Isa isa, int n)
    {
        var vector = new BitMatrix(1, n);
        vector.Randomize(new Random(n + 100 * (int)isa));
        var destination = Enumerable.Repeat(7f, n + 1).ToArray();
        BitPacking.UnpackSigns(vector.Words, destination.AsSpan(0, n), isa);
        for (int i = 0; i < n; i++) Assert.That(destination[i], Is.EqualTo(vector[0, i] ? 1f : -1f), $"bit {i}");
        Assert.That(destination[n], Is.EqualTo(7f), "nothing written past n");
    }

    [Test]
    public void ZeroPacksAsTrue()
    {
        BitMatrix bits = BitPacking.PackSigns(new[] { 0f, -0f, -1e-9f, 1e-9f }, 1, 4);
        Assert.That(new[] { bits[0, 0], bits[0, 1], bits[0, 2], bits[0, 3] }, Is.EqualTo(new[] { true, true, false, true }));
    }

    [TestCase(1, 1)]
    [TestCase(64, 64)]
    [TestCase(65, 3)]
    [TestCase(3, 130)]
    [TestCase(100, 77)]
    [TestCase(0, 5)]
    public void TransposeMatchesElementwise(int rows, int columns)
    {
        var matrix = new BitMatrix(rows, columns);
        matrix.Randomize(new Random(rows + 31 * columns));
        BitMatrix transposed = BitPacking.Transpose(matrix, threads: 1);
        Assert.That((transposed.Rows, transposed.Columns), Is.EqualTo((columns, rows)));
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                Assert.That(transposed[c, r], Is.EqualTo(matrix[r, c]), $"({r},{c})");
        AssertTailsZero(transposed);
        Assert.That(BitPacking.Transpose(transposed, threads: 2).ContentEquals(matrix), Is.True);
    }

    [TestCase(5, 70)]
    [TestCase(130, 3)]
    public void PackSignsTransposedEqualsTransposeOfPack(int rows, int columns)
    {
        var random = new Random(7);
        float[] values = Enumerable.Range(0, rows * columns).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        BitMatrix direct = BitPacking.PackSignsTransposed(values, rows, columns);
        BitMatrix viaTranspose = BitPacking.Transpose(BitPacking.PackSigns(values, rows, columns), threads: 1);
        Assert.That(direct.ContentEquals(viaTranspose), Is.True);
    }

    [Test]
    public void RandomizeAndWrapKeepTailsZero()
    {
        var matrix = new BitMatrix(4, 70);
        matrix.Randomize(new Random(1));
        AssertTailsZero(matrix);
        var wrapped = new BitMatrix(2, 3, new[] { ulong.MaxValue, ulong.MaxValue });
        Assert.That(wrapped.Words, Is.EqualTo(new[] { 7UL, 7UL }));
        Assert.That(wrapped.PopCount(1), Is.EqualTo(3));
    }

    [Test]
    public void WrongWordCountIsRejected()
    {
        Assert.Throws<ArgumentException>(() => _ = new BitMatrix(2, 65, new ulong[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new BitMatrix(2, 65)[2, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new BitMatrix(2, 65)[0, 65]);
    }

    internal static void AssertTailsZero(BitMatrix matrix)
    {
        if (matrix.WordsPerRow == 0) return;
        for (int r = 0; r < matrix.Rows; r++)
            Assert.That(matrix.Words[r * matrix.WordsPerRow + matrix.WordsPerRow - 1] & ~matrix.TailMask, Is.Zero, $"tail of row {r}");
    }
}
