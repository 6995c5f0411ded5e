using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Tests.Core;

/// <summary>The folded threshold y_j = [v_j &lt;= T_j] XOR f_j on every path against a per-bit loop, with ties and zero tails.</summary>
[Category("Isa")]
public class ThresholdPackingTests
{
    private static IEnumerable<TestCaseData> IsaAndLength() =>
        from isa in IsaSelection.Supported
        from n in new[] { 0, 1, 7, 8, 15, 16, 17, 63, 64, 65, 130, 1000 }
        select new TestCaseData(isa, n);

    [TestCaseSource(nameof(IsaAndLength))]
    public void PackEqualsThePerBitRule(Isa isa, int n)
    {
        var random = new Random(n * 13 + (int)isa);
        int[] values = Enumerable.Range(0, n).Select(_ => random.Next(-5, 6)).ToArray();
        int[] thresholds = Enumerable.Range(0, n).Select(_ => random.Next(-5, 6)).ToArray(); // many ties v == T
        var flips = new BitMatrix(1, n);
        flips.Randomize(random);
        int words = BitMatrix.WordsFor(n);
        var output = Enumerable.Repeat(ulong.MaxValue, words).ToArray();
        ThresholdPacking.Pack(values, thresholds, flips.Words, output, isa);
        for (int j = 0; j < n; j++)
        {
            bool expected = (values[j] <= thresholds[j]) ^ flips[0, j];
            Assert.That(((output[j >> 6] >> (j & 63)) & 1) != 0, Is.EqualTo(expected), $"bit {j}");
        }
        if (n % 64 != 0) Assert.That(output[^1] & ~BitMatrix.TailMaskFor(n), Is.Zero, "tail bits");
    }

    [Test]
    public void ShortBuffersAreRefused()
    {
        Assert.Throws<ArgumentException>(() => ThresholdPacking.Pack(new int[64], new int[65], new ulong[2], new ulong[2]));
        Assert.Throws<ArgumentException>(() => ThresholdPacking.Pack(new int[65], new int[65], new ulong[1], new ulong[2]));
        Assert.Throws<ArgumentException>(() => ThresholdPacking.Pack(new int[65], new int[65], new ulong[2], new ulong[1]));
    }
}
