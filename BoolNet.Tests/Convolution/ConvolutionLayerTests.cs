using BoolNet.Core.Bits;
using BoolNet.Core.Convolution;
using BoolNet.Core.Operators;
using BoolNet.Layers;

namespace BoolNet.Tests.Convolution;

/// <summary>The conv-stack layers: Boolean conv2d, OR max-pool, flatten, float first conv, real max-pool.</summary>
[Category("Isa")]
public class ConvolutionLayerTests
{
    private static LayerContext Training(int threads = 1) => new() { Training = true, Threads = threads };

    private static Batch RandomBits(Random random, int count, TensorShape shape)
    {
        var bits = new BitMatrix(count * shape.Positions, shape.Channels);
        bits.Randomize(random);
        return Batch.FromBits(bits, count, shape);
    }

    [Test]
    public void BooleanConvolutionLayerForwardEqualsNaiveReference([Values(1, 3, 65, 130)] int channels)
    {
        var random = new Random(channels);
        var shape = new TensorShape(6, 5, channels);
        var layer = new BooleanConvolution2D(shape, 7, 3, random, stride: 2, padding: 1, logic: BinaryLogic.Xor);
        Batch input = RandomBits(random, 2, shape);
        float[] output = layer.Forward(input, Training()).RequireReal("test");
        int[] expected = ConvolutionReference.Forward(input.Bits!, 2, layer.Geometry, layer.Weight.Weights, BinaryLogic.Xor, PaddingMode.Exclude);
        Assert.That(layer.OutputShape, Is.EqualTo(new TensorShape(3, 3, 7)));
        Assert.That(output, Is.EqualTo(expected.Select(v => (float)v).ToArray()));
    }

    [Test]
    public void BooleanConvolutionLayerBackwardMatchesExactPathAndScalesTheInputSignal()
    {
        var random = new Random(4);
        var shape = new TensorShape(5, 5, 65);
        var exactLayer = new BooleanConvolution2D(shape, 9, 3, new Random(1), padding: 1, followedByPool: true);
        var planeLayer = new BooleanConvolution2D(shape, 9, 3, new Random(1), padding: 1, followedByPool: true, signal: new SignalSettings(8));
        Assert.That(exactLayer.InputSignalScale, Is.EqualTo(2f * MathF.Sqrt(2f / (9 * 9))).Within(1e-6));
        Batch input = RandomBits(random, 3, shape);
        exactLayer.Forward(input, Training());
        planeLayer.Forward(input, Training(2));
        // Integer signals within +-127: 8 two's-complement planes represent them exactly (scale 1).
        float[] z = Enumerable.Range(0, 3 * 25 * 9).Select(i => (float)(i % 2 == 0 ? 127 : random.Next(-127, 128))).ToArray();
        float[] exactInput = exactLayer.Backward(z, Training())!;
        float[] planeInput = planePlaneBackward(planeLayer, z);
        Assert.That(planeLayer.Weight.Signal, Is.EqualTo(exactLayer.Weight.Signal));
        Assert.That(planeInput, Is.EqualTo(exactInput).Within(1e-3f));

        var unscaledLayer = new BooleanConvolution2D(shape, 9, 3, new Random(1), padding: 1, inputSignalScale: 1f);
        unscaledLayer.Forward(input, Training());
        float[] referenceInput = unscaledLayer.Backward(z, Training())!;
        Assert.That(unscaledLayer.Weight.Signal, Is.EqualTo(exactLayer.Weight.Signal));
        Assert.That(exactInput, Is.EqualTo(referenceInput.Select(v => v * exactLayer.InputSignalScale).ToArray()).Within(1e-3f));

        static float[] planePlaneBackward(BooleanConvolution2D layer, float[] z) => layer.Backward(z, Training(2))!;
    }

    [Test]
    public void OrMaxPoolForwardIsOrOverTheWindow()
    {
        var random = new Random(8);
        var shape = new TensorShape(5, 4, 70);
        var pool = new BooleanMaxPool(shape);
        Batch input = RandomBits(random, 2, shape);
        BitMatrix y = pool.Forward(input, Training()).Bits!;
        Assert.That(pool.OutputShape, Is.EqualTo(new TensorShape(2, 2, 70)));
        for (int n = 0; n < 2; n++)
            for (int oy = 0; oy < 2; oy++)
                for (int ox = 0; ox < 2; ox++)
                    for (int c = 0; c < 70; c++)
                    {
                        bool expected = false;
                        for (int ky = 0; ky < 2; ky++)
                            for (int kx = 0; kx < 2; kx++) expected |= input.Bits![(n * 5 + 2 * oy + ky) * 4 + 2 * ox + kx, c];
                        Assert.That(y[(n * 2 + oy) * 2 + ox, c], Is.EqualTo(expected));
                    }
    }

    [Test]
    public void OrMaxPoolRoutesToTheFirstTrueOrToEveryElementOfAnAllFalseWindow()
    {
        var shape = new TensorShape(2, 2, 3);
        var bits = new BitMatrix(4, 3);
        // Channel 0: TRUE at positions 1 and 3 -> routed to position 1 (first in scan order).
        bits[1, 0] = true; bits[3, 0] = true;
        // Channel 1: all FALSE -> every position receives the gradient.
        // Channel 2: TRUE at position 0 only.
        bits[0, 2] = true;
        var pool = new BooleanMaxPool(shape);
        Batch output = pool.Forward(Batch.FromBits(bits, 1, shape), Training());
        Assert.That(output.Bits![0, 0] && !output.Bits[0, 1] && output.Bits[0, 2], Is.True);
        float[] g = pool.Backward([10f, 20f, 30f], Training())!;
        Assert.That(g, Is.EqualTo(new float[] { 0, 20, 30, 10, 20, 0, 0, 20, 0, 0, 20, 0 }));
    }

    [Test]
    public void FlattenRepacksPositionsIntoOneRowPerSample([Values(1, 3, 64, 65)] int channels)
    {
        var random = new Random(channels);
        var shape = new TensorShape(3, 2, channels);
        Batch input = RandomBits(random, 3, shape);
        var flatten = new Flatten(shape);
        Batch output = flatten.Forward(input, Training());
        Assert.That(output.Shape, Is.EqualTo(TensorShape.Vector(6 * channels)));
        for (int n = 0; n < 3; n++)
            for (int p = 0; p < 6; p++)
                for (int c = 0; c < channels; c++)
                    Assert.That(output.Bits![n, p * channels + c], Is.EqualTo(input.Bits![n * 6 + p, c]));
        Assert.That(BitRepacking.Unflatten(output.Bits!, 6, channels).ContentEquals(input.Bits!), Is.True);
        float[] gradient = Enumerable.Range(0, 3 * 6 * channels).Select(i => (float)i).ToArray();
        Assert.That(flatten.Backward(gradient, Training()), Is.EqualTo(gradient));
    }

    [Test]
    public void RealConvolutionGradientsMatchFiniteDifferences()
    {
        var random = new Random(12);
        var shape = new TensorShape(5, 4, 2);
        var layer = new RealConvolution2D(shape, 3, 3, random, stride: 2, padding: 1, bias: BiasInit.Zero, inputScale: 0.5f);
        float[] u = Enumerable.Range(0, 2 * shape.Size).Select(_ => (float)random.NextDouble() * 4 - 2).ToArray();
        float[] z = Enumerable.Range(0, 2 * layer.OutputShape.Size).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        double Loss()
        {
            float[] a = layer.Forward(Batch.FromReal(u, 2, shape), new LayerContext()).RequireReal("test");
            double sum = 0;
            for (int i = 0; i < a.Length; i++) sum += (double)a[i] * z[i];
            return sum;
        }
        layer.Forward(Batch.FromReal(u, 2, shape), Training());
        float[] g = layer.Backward(z, Training())!;
        const float h = 1e-2f;
        foreach (int i in new[] { 0, 5, 17, layer.Weight.Value.Length - 1 })
        {
            float saved = layer.Weight.Value[i];
            layer.Weight.Value[i] = saved + h; double plus = Loss();
            layer.Weight.Value[i] = saved - h; double minus = Loss();
            layer.Weight.Value[i] = saved;
            Assert.That(layer.Weight.Gradient[i], Is.EqualTo((plus - minus) / (2 * h)).Within(1e-2), $"weight {i}");
        }
        for (int i = 0; i < u.Length; i += 7)
        {
            float saved = u[i];
            u[i] = saved + h; double plus = Loss();
            u[i] = saved - h; double minus = Loss();
            u[i] = saved;
            Assert.That(g[i], Is.EqualTo((plus - minus) / (2 * h)).Within(1e-2), $"input {i}");
        }
        Assert.That(layer.Bias!.Gradient[1], Is.EqualTo(Enumerable.Range(0, z.Length / 3).Sum(r => (double)z[r * 3 + 1])).Within(1e-4));
    }

    [Test]
    public void RealMaxPoolTakesTheMaximumAndRoutesToIt()
    {
        var shape = new TensorShape(2, 2, 2);
        float[] u = [1, -5, 3, -2, 3, -7, 0, -1];
        var pool = new RealMaxPool(shape);
        float[] y = pool.Forward(Batch.FromReal(u, 1, shape), Training()).RequireReal("test");
        Assert.That(y, Is.EqualTo(new float[] { 3, -1 }));
        // Channel 0 ties at positions 1 and 2: the first in scan order receives the gradient.
        Assert.That(pool.Backward([2f, 4f], Training()), Is.EqualTo(new float[] { 0, 0, 2, 0, 0, 0, 0, 4 }));
    }

    [Test]
    public void LayersRejectWrongInputs()
    {
        var random = new Random(1);
        var layer = new BooleanConvolution2D(new TensorShape(4, 4, 3), 2, 3, random, padding: 1);
        Assert.Throws<InvalidOperationException>(() => layer.Forward(Batch.FromReal(new float[48], 1, new TensorShape(4, 4, 3)), Training()));
        Assert.Throws<ArgumentException>(() => layer.Forward(RandomBits(random, 1, new TensorShape(4, 5, 3)), Training()));
        Assert.Throws<InvalidOperationException>(() => layer.Backward(new float[32], Training()));
        Assert.Throws<ArgumentException>(() => _ = new BooleanMaxPool(new TensorShape(1, 4, 3)));
    }
}
