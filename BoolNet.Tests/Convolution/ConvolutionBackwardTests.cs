using BoolNet.Core.Bits;
using BoolNet.Core.Convolution;
using BoolNet.Core.Kernels;

namespace BoolNet.Tests.Convolution;

/// <summary>
/// Backward signals. The forward is linear in each +-1 value, so for L = sum z * a flipping one
/// weight bit changes L by exactly -2 e(w) q and flipping one input bit by -2 e(x) g: an exact
/// finite-difference oracle built on the (separately tested) forward.
/// </summary>
[Category("Isa")]
public class ConvolutionBackwardTests
{
    private static long Loss(int[] forward, int[] signal)
    {
        long sum = 0;
        for (int i = 0; i < forward.Length; i++) sum += (long)forward[i] * signal[i];
        return sum;
    }

    [Test]
    public void ExactSignalsEqualFlipDifferencesOfTheForward(
        [Values(PaddingMode.Exclude, PaddingMode.False, PaddingMode.True)] PaddingMode padding,
        [Values(BinaryLogic.Xnor, BinaryLogic.Xor)] BinaryLogic logic)
    {
        var random = new Random(31 + (int)padding * 3 + (int)logic);
        foreach (int channels in new[] { 1, 3, 65 })
        {
            ConvolutionGeometry geometry = ConvolutionReference.RandomGeometry(random, channels);
            int count = 2, outputChannels = random.Next(1, 5);
            BitMatrix input = ConvolutionReference.RandomInput(random, count, geometry);
            var weights = new BitMatrix(outputChannels, geometry.FanIn);
            weights.Randomize(random);
            int rows = count * geometry.OutputPositions;
            int[] signal = Enumerable.Range(0, rows * outputChannels).Select(_ => random.Next(-7, 8)).ToArray();
            var weightSignal = new float[outputChannels * geometry.FanIn];
            var inputSignal = new float[count * geometry.InputPositions * channels];
            ConvolutionBackward.Exact(input.Words, count, geometry, weights, logic, padding, signal.Select(v => (float)v).ToArray(), weightSignal, inputSignal);
            long baseline = Loss(ConvolutionReference.Forward(input, count, geometry, weights, logic, padding), signal);
            for (int trial = 0; trial < 12; trial++)
            {
                int o = random.Next(outputChannels), column = random.Next(geometry.FanIn);
                int sign = weights.Sign(o, column);
                weights.Flip(o, column);
                long flipped = Loss(ConvolutionReference.Forward(input, count, geometry, weights, logic, padding), signal);
                weights.Flip(o, column);
                Assert.That(flipped - baseline, Is.EqualTo(-2L * sign * (long)weightSignal[o * geometry.FanIn + column]), $"weight ({o}, {column}) {geometry}");

                int row = random.Next(count * geometry.InputPositions), channel = random.Next(channels);
                int inputSign = input.Sign(row, channel);
                input.Flip(row, channel);
                flipped = Loss(ConvolutionReference.Forward(input, count, geometry, weights, logic, padding), signal);
                input.Flip(row, channel);
                Assert.That(flipped - baseline, Is.EqualTo(-2L * inputSign * (long)inputSignal[row * channels + channel]), $"input ({row}, {channel}) {geometry}");
            }
        }
    }

    [Test]
    public void QuantisedPathEqualsExactOnIntegerSignals(
        [Values(PaddingMode.Exclude, PaddingMode.False, PaddingMode.True)] PaddingMode padding,
        [Values(BinaryLogic.Xnor, BinaryLogic.Xor)] BinaryLogic logic)
    {
        var random = new Random(71 + (int)padding * 3 + (int)logic);
        foreach (int channels in new[] { 1, 3, 63, 65, 130 })
        {
            ConvolutionGeometry geometry = ConvolutionReference.RandomGeometry(random, channels);
            int count = random.Next(1, 4), outputChannels = random.Next(1, 70);
            BitMatrix input = ConvolutionReference.RandomInput(random, count, geometry);
            var weights = new BitMatrix(outputChannels, geometry.FanIn);
            weights.Randomize(random);
            int rows = count * geometry.OutputPositions;
            float[] signal = Enumerable.Range(0, rows * outputChannels).Select(_ => (float)random.Next(-15, 16)).ToArray();
            var exactWeight = new float[outputChannels * geometry.FanIn];
            var exactInput = new float[count * geometry.InputPositions * channels];
            ConvolutionBackward.Exact(input.Words, count, geometry, weights, logic, padding, signal, exactWeight, exactInput);
            var weight = new float[exactWeight.Length];
            var inputSignal = new float[exactInput.Length];
            ConvolutionBackward.Quantised(input.Words, count, geometry, BooleanConvolution.Prepare(weights, geometry), logic, padding,
                new PaddingPattern(geometry), signal, planes: 5, weight, inputSignal, scale: 1f, threads: 2);
            Assert.That(weight, Is.EqualTo(exactWeight), $"weight signal {geometry}");
            Assert.That(inputSignal, Is.EqualTo(exactInput), $"input signal {geometry}");
        }
    }

    [Test]
    public void QuantisationRoundsToTheNearestLevelInTwosComplementPlanes()
    {
        float[] signal = [0.5f, -1.0f, 0.26f, -0.1f, 0.74f, 0f];
        SignalPlanes planes = SignalPlanes.Quantize(signal, 2, 3, planes: 3, transposed: false);
        // scale = max|z| / 3 = 1/3: levels round(z * 3).
        Assert.That(planes.Scale, Is.EqualTo(1f / 3f).Within(1e-7));
        Assert.That(planes.Levels, Is.EqualTo(new[] { 2, -3, 1, 0, 2, 0 }));
        // -3 = 101b in 3-bit two's complement (-4 + 1): planes 0 and 2 of row 0, column 1.
        Assert.That(planes.Planes[0 * 3 + 0, 1] && !planes.Planes[0 * 3 + 1, 1] && planes.Planes[0 * 3 + 2, 1], Is.True);
        Assert.That(planes.PlaneWeights, Is.EqualTo(new long[] { 1, 2, -4 }));
        SignalPlanes transposed = SignalPlanes.Quantize(signal, 2, 3, planes: 3, transposed: true);
        Assert.That(transposed.Planes[1 * 3 + 2, 0], Is.True);
        Assert.Throws<ArgumentException>(() => SignalPlanes.Quantize([float.NaN], 1, 1, 2, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new SignalPlanes(new[] { 4 }, 1f, 1, 1, 3, false));
    }
}
