using BoolNet.Core.Bits;
using BoolNet.Core.Convolution;
using BoolNet.Core.Operators;
using BoolNet.Layers;

namespace BoolNet.Tests.Convolution;

/// <summary>
/// The Boolean convolution's backward signals (<see cref="BooleanConvolution2D.Backward"/>). The
/// forward is linear in each +-1 value, so for L = sum z * a flipping one weight bit changes L by
/// exactly -2 e(w) q and flipping one input bit by -2 e(x) g: an exact finite-difference oracle built
/// on the (separately tested) forward. The quantised path must equal the exact one on integer
/// signals that its planes represent exactly.
/// </summary>
[Category("Isa")]
public class ConvolutionBackwardTests
{
    private static LayerContext Training(int threads = 1) => new() { Training = true, Threads = threads };

    private static long Loss(int[] forward, int[] signal)
    {
        long sum = 0;
        for (int i = 0; i < forward.Length; i++) sum += (long)forward[i] * signal[i];
        return sum;
    }

    /// <summary>A random square-kernel layer input: (shape, kernel, stride, padding).</summary>
    private static (TensorShape Shape, int Kernel, int Stride, int Padding) RandomLayout(Random random, int channels)
    {
        while (true)
        {
            int kernel = random.Next(1, 4), padding = random.Next(0, kernel), stride = random.Next(1, 3);
            int height = random.Next(1, 8), width = random.Next(1, 8);
            if (height + 2 * padding >= kernel && width + 2 * padding >= kernel) return (new TensorShape(height, width, channels), kernel, stride, padding);
        }
    }

    private static BitMatrix RandomInput(Random random, int count, TensorShape shape)
    {
        var bits = new BitMatrix(count * shape.Positions, shape.Channels);
        bits.Randomize(random);
        return bits;
    }

    [Test]
    public void ExactSignalsEqualFlipDifferencesOfTheForward(
        [Values(PaddingMode.Exclude, PaddingMode.False, PaddingMode.True)] PaddingMode padding,
        [Values(BinaryLogic.Xnor, BinaryLogic.Xor)] BinaryLogic logic)
    {
        var random = new Random(31 + (int)padding * 3 + (int)logic);
        foreach (int channels in new[] { 1, 3, 65 })
        {
            (TensorShape shape, int kernel, int stride, int pad) = RandomLayout(random, channels);
            int count = 2, outputChannels = random.Next(1, 5);
            var layer = new BooleanConvolution2D(shape, outputChannels, kernel, new Random(channels), stride, pad, padding, logic, inputSignalScale: 1f);
            ConvolutionGeometry geometry = layer.Geometry;
            BitMatrix input = RandomInput(random, count, shape);
            BitMatrix weights = layer.Weight.Weights;
            int rows = count * geometry.OutputPositions;
            int[] signal = Enumerable.Range(0, rows * outputChannels).Select(_ => random.Next(-7, 8)).ToArray();
            layer.Forward(Batch.FromBits(input, count, shape), Training());
            float[] inputSignal = layer.Backward(signal.Select(v => (float)v).ToArray(), Training())!;
            float[] weightSignal = layer.Weight.Signal;
            // The forward under XOR is -sum e e, the class formula's sigma; the reference counts XOR's way too.
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
            (TensorShape shape, int kernel, int stride, int pad) = RandomLayout(random, channels);
            int count = random.Next(1, 4), outputChannels = random.Next(1, 70);
            var exact = new BooleanConvolution2D(shape, outputChannels, kernel, new Random(channels), stride, pad, padding, logic, outputScale: 0.5f);
            var quantised = new BooleanConvolution2D(shape, outputChannels, kernel, new Random(channels), stride, pad, padding, logic, outputScale: 0.5f,
                signal: new SignalSettings(5));
            Batch input = Batch.FromBits(RandomInput(random, count, shape), count, shape);
            int rows = count * exact.Geometry.OutputPositions;
            // Integers within +-15 with one at 15: 5 planes hold them exactly (scale 1).
            float[] signal = Enumerable.Range(0, rows * outputChannels).Select(_ => (float)random.Next(-15, 16)).ToArray();
            signal[random.Next(signal.Length)] = 15f;
            exact.Forward(input, Training());
            quantised.Forward(input, Training(2));
            float[] exactInput = exact.Backward(signal, Training())!;
            float[] quantisedInput = quantised.Backward((float[])signal.Clone(), Training(2))!;
            Assert.That(quantised.Weight.Signal, Is.EqualTo(exact.Weight.Signal), $"weight signal {exact.Geometry}");
            Assert.That(quantisedInput, Is.EqualTo(exactInput), $"input signal {exact.Geometry}");
        }
    }

    [Test]
    public void AZeroSignalGivesZeroSignals()
    {
        var shape = new TensorShape(4, 4, 3);
        var layer = new BooleanConvolution2D(shape, 5, 3, new Random(2), padding: 1, signal: new SignalSettings(4));
        layer.Forward(Batch.FromBits(RandomInput(new Random(3), 2, shape), 2, shape), Training());
        Array.Fill(layer.Weight.Signal, 9f);
        float[] g = layer.Backward(new float[2 * 16 * 5], Training())!;
        Assert.That(layer.Weight.Signal, Is.All.EqualTo(0f));
        Assert.That(g, Is.All.EqualTo(0f));
    }
}
