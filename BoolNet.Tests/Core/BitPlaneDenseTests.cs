using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Tests.Core;

/// <summary>
/// The bit-plane dense product D = sum_i e(w_ji) (x_i &gt;&gt; (8 - B)) on every path this machine supports
/// against a naive integer loop: inputs that are not a multiple of a 32- or 64-byte chunk, a single
/// input and a single neuron, more neurons than one L1 block, more than 64 chunks (the int16
/// accumulators' widening), 1 to 8 planes, batches that are and are not a multiple of four.
/// </summary>
[Category("Isa")]
public class BitPlaneDenseTests
{
    private static readonly (int Count, int Inputs, int Neurons, int Bits)[] Shapes =
    [
        (1, 1, 1, 8), (3, 35, 70, 8), (4, 64, 5, 1), (5, 65, 9, 3), (7, 200, 33, 8), (1, 784, 128, 8),
        (9, 130, 420, 5), (2, 4200, 3, 8), (6, 4097, 7, 2), (0, 10, 4, 8),
    ];

    private static IEnumerable<TestCaseData> IsaAndShape() =>
        from isa in IsaSelection.Supported
        from shape in Shapes
        select new TestCaseData(isa, shape.Count, shape.Inputs, shape.Neurons, shape.Bits);

    [TestCaseSource(nameof(IsaAndShape))]
    public void SumsEqualTheNaiveSignedProduct(Isa isa, int count, int inputs, int neurons, int bits)
    {
        var random = new Random(count * 1009 + inputs * 31 + neurons * 7 + bits);
        var weights = new BitMatrix(neurons, inputs);
        weights.Randomize(random);
        var pixels = new byte[count * inputs + 3]; // longer than needed: only [count, inputs] is read
        random.NextBytes(pixels);
        if (count > 0) pixels.AsSpan(0, inputs).Fill(255); // the largest levels: the int16 sums' worst case

        BitPlaneDense.PreparedWeights prepared = BitPlaneDense.Prepare(weights, bits, isa);
        Assert.That(prepared.Isa, Is.EqualTo(isa));
        (long words, long ints) = BitPlaneDense.ScratchSize(prepared, count);
        var sums = Enumerable.Repeat(int.MinValue, count * neurons + 2).ToArray();
        BitPlaneDense.Sums(prepared, pixels, count, sums, new ulong[words], new int[ints]);

        for (int k = 0; k < count; k++)
            for (int j = 0; j < neurons; j++)
            {
                int expected = 0;
                for (int i = 0; i < inputs; i++) expected += weights.Sign(j, i) * (pixels[k * inputs + i] >> (8 - bits));
                Assert.That(sums[k * neurons + j], Is.EqualTo(expected), $"sample {k}, neuron {j}");
            }
        Assert.That(sums[(count * neurons)..], Is.All.EqualTo(int.MinValue), "nothing written past D");
    }

    [Test]
    public void TheDefaultPreparationUsesTheProcessIsa() =>
        Assert.That(BitPlaneDense.Prepare(new BitMatrix(2, 3), 4).Isa, Is.EqualTo(IsaSelection.Current));

    [Test]
    public void BadArgumentsAreRefused()
    {
        var weights = new BitMatrix(3, 10);
        Assert.Throws<ArgumentOutOfRangeException>(() => BitPlaneDense.Prepare(weights, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => BitPlaneDense.Prepare(weights, 9));
        BitPlaneDense.PreparedWeights prepared = BitPlaneDense.Prepare(weights, 8, Isa.Scalar);
        (long words, long ints) = BitPlaneDense.ScratchSize(prepared, 2);
        Assert.Throws<ArgumentException>(() => BitPlaneDense.Sums(prepared, new byte[19], 2, new int[6], new ulong[words], new int[ints]));
        Assert.Throws<ArgumentException>(() => BitPlaneDense.Sums(prepared, new byte[20], 2, new int[5], new ulong[words], new int[ints]));
        Assert.Throws<ArgumentException>(() => BitPlaneDense.Sums(prepared, new byte[20], 2, new int[6], new ulong[words - 1], new int[ints]));
    }
}
