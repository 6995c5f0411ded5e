using BoolNet.Core.Bits;
using BoolNet.Core.Convolution;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Tests.Convolution;

/// <summary>The lowered Boolean convolution against the naive +-1 definition.</summary>
[Category("Isa")]
public class BooleanConvolutionTests
{
    private static readonly int[] ChannelCounts = [1, 3, 63, 64, 65, 130];

    [Test]
    public void LoweredForwardEqualsNaiveForRandomShapesAndEveryPadding(
        [Values(PaddingMode.Exclude, PaddingMode.False, PaddingMode.True)] PaddingMode padding,
        [Values(BinaryLogic.Xnor, BinaryLogic.Xor)] BinaryLogic logic)
    {
        var random = new Random(17 + (int)padding * 5 + (int)logic);
        foreach (int channels in ChannelCounts)
            for (int trial = 0; trial < 4; trial++)
            {
                ConvolutionGeometry geometry = ConvolutionReference.RandomGeometry(random, channels);
                int count = random.Next(1, 3), outputChannels = random.Next(1, 10);
                BitMatrix input = ConvolutionReference.RandomInput(random, count, geometry);
                var weights = new BitMatrix(outputChannels, geometry.FanIn);
                weights.Randomize(random);
                int[] expected = ConvolutionReference.Forward(input, count, geometry, weights, logic, padding);
                int[] actual = ConvolutionReference.Lowered(input, count, geometry, weights, logic, padding);
                Assert.That(actual, Is.EqualTo(expected), $"{geometry}, c_out {outputChannels}, {padding}, {logic}");
            }
    }

    [Test]
    public void PaddingModesDifferOnlyAtTheBorder()
    {
        var random = new Random(5);
        var geometry = new ConvolutionGeometry(5, 5, 65, 3, 3, 1, 1);
        BitMatrix input = ConvolutionReference.RandomInput(random, 1, geometry);
        var weights = new BitMatrix(4, geometry.FanIn);
        weights.Randomize(random);
        int[] exclude = ConvolutionReference.Lowered(input, 1, geometry, weights, BinaryLogic.Xnor, PaddingMode.Exclude);
        int[] falsePad = ConvolutionReference.Lowered(input, 1, geometry, weights, BinaryLogic.Xnor, PaddingMode.False);
        int[] truePad = ConvolutionReference.Lowered(input, 1, geometry, weights, BinaryLogic.Xnor, PaddingMode.True);
        int centre = (2 * 5 + 2) * 4;
        Assert.That(exclude[centre], Is.EqualTo(falsePad[centre]));
        Assert.That(exclude[centre], Is.EqualTo(truePad[centre]));
        // At a corner the three modes see different windows: -1 pads plus +1 pads cancel to twice the excluded sum.
        for (int o = 0; o < 4; o++) Assert.That(falsePad[o] + truePad[o], Is.EqualTo(2 * exclude[o]));
        Assert.That(falsePad.AsSpan(0, 4).SequenceEqual(truePad.AsSpan(0, 4)), Is.False);
    }

    [TestCaseSource(typeof(IsaSelection), nameof(IsaSelection.Supported))]
    public void ResultDoesNotDependOnThreadsOrIsa(Isa isa)
    {
        var random = new Random(9);
        var geometry = new ConvolutionGeometry(14, 14, 130, 3, 3, 1, 1);
        BitMatrix input = ConvolutionReference.RandomInput(random, 3, geometry);
        var weights = new BitMatrix(20, geometry.FanIn);
        weights.Randomize(random);
        int[] expected = ConvolutionReference.Forward(input, 3, geometry, weights, BinaryLogic.Xnor, PaddingMode.Exclude);
        foreach (int threads in new[] { 1, 2 })
            Assert.That(ConvolutionReference.Lowered(input, 3, geometry, weights, BinaryLogic.Xnor, PaddingMode.Exclude, threads, isa),
                Is.EqualTo(expected), $"{threads} thread(s)");
        Assert.That(ConvolutionReference.Lowered(input, 3, geometry, weights, BinaryLogic.Xnor, PaddingMode.Exclude, 2),
            Is.EqualTo(expected), "the default entry point");
    }

    [TestCase(8, false)]
    [TestCase(40, false)]
    [TestCase(128, false)]
    [TestCase(BooleanConvolution.RowBlock, true)]
    [TestCase(40, true)]
    public void RowBlocksAndRowLayoutsGiveTheSameResult(int rowBlock, bool padRowsToVectors)
    {
        // The default block (1024 rows) covers every other test's output in one block; small blocks force
        // several full blocks and a partial last one through the lowering. Padded rows are the benchmark's
        // other layout (SIMD paths only; the scalar path ignores it).
        var random = new Random(23);
        var geometry = new ConvolutionGeometry(9, 9, 70, 3, 3, 2, 1);
        BitMatrix input = ConvolutionReference.RandomInput(random, 5, geometry);
        var weights = new BitMatrix(11, geometry.FanIn);
        weights.Randomize(random);
        int[] expected = ConvolutionReference.Forward(input, 5, geometry, weights, BinaryLogic.Xnor, PaddingMode.Exclude);
        var tuning = new ConvolutionTuning(rowBlock, padRowsToVectors);
        foreach (Isa isa in IsaSelection.Supported)
            foreach (int threads in new[] { 1, 2 })
            {
                int[] actual = ConvolutionReference.Lowered(input, 5, geometry, weights, BinaryLogic.Xnor, PaddingMode.Exclude, threads, isa, tuning);
                Assert.That(actual, Is.EqualTo(expected), $"block {rowBlock}, padded {padRowsToVectors}, {isa}, threads {threads}");
            }
    }

    [TestCase(0)]
    [TestCase(-8)]
    public void ANonPositiveRowBlockIsRefused(int rowBlock)
    {
        var geometry = new ConvolutionGeometry(4, 4, 3, 3, 3, 1, 1);
        var input = new BitMatrix(geometry.InputPositions, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => ConvolutionReference.Lowered(input, 1, geometry, new BitMatrix(2, geometry.FanIn),
            BinaryLogic.Xnor, PaddingMode.Exclude, tuning: new ConvolutionTuning(rowBlock, false)));
    }

    [Test]
    public void GeometryRejectsImpossibleShapes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ConvolutionGeometry(4, 4, 3, 3, 3, 1, 3));
        Assert.Throws<ArgumentException>(() => _ = new ConvolutionGeometry(1, 1, 3, 5, 5, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ConvolutionGeometry(4, 4, 0, 3, 3, 1, 1));
        var geometry = new ConvolutionGeometry(7, 6, 3, 3, 2, 2, 1);
        Assert.That((geometry.OutputHeight, geometry.OutputWidth), Is.EqualTo((4, 4)));
    }

    [Test]
    public void CopyBitsExtractsArbitraryRanges()
    {
        var random = new Random(2);
        var source = new ulong[4];
        for (int i = 0; i < 4; i++) source[i] = (ulong)random.NextInt64();
        foreach ((int start, int length) in new[] { (0, 64), (3, 70), (63, 1), (100, 130), (64, 128), (190, 66) })
        {
            var destination = new ulong[(length + 63) / 64];
            BitLowering.CopyBits(source, start, destination, length);
            for (int i = 0; i < destination.Length * 64; i++)
            {
                bool expected = i < length && ((source[(start + i) >> 6] >> ((start + i) & 63)) & 1) != 0;
                Assert.That(((destination[i >> 6] >> (i & 63)) & 1) != 0, Is.EqualTo(expected), $"start {start} length {length} bit {i}");
            }
        }
    }
}
