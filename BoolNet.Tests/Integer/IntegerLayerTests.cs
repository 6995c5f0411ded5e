using BoolNet.Layers;

namespace BoolNet.Tests.Integer;

/// <summary>Integer-weight layers and LayerNorm: forward against naive loops, backward against finite differences.</summary>
[Category("Isa")]
public class IntegerLayerTests
{
    [TestCase(1, 1, 1)]
    [TestCase(3, 7, 5)]
    [TestCase(9, 70, 33)]
    public void IntegerLinearForwardIsTheIntegerMatrixProduct(int count, int inputs, int outputs)
    {
        var random = new Random(count + inputs * 3 + outputs * 7);
        var layer = new IntegerLinear(TensorShape.Vector(inputs), outputs, random, initialScale: 20, inputScale: 0.5f);
        for (int o = 0; o < outputs; o++) layer.Bias!.Value[o] = random.Next(-5, 6);
        float[] x = GradientCheck.Random(random, count * inputs, 3);
        float[] y = layer.Forward(Batch.FromReal(x, count, layer.InputShape), new LayerContext { Threads = 2 }).Real!;
        for (int n = 0; n < count; n++)
            for (int o = 0; o < outputs; o++)
            {
                double expected = layer.Bias!.Value[o];
                for (int i = 0; i < inputs; i++) expected += (double)layer.Weight.Value[o * inputs + i] * 0.5 * x[n * inputs + i];
                Assert.That(y[n * outputs + o], Is.EqualTo(expected).Within(1e-4 * (1 + Math.Abs(expected))));
            }
        Assert.That(layer.Weight.Value.Any(w => w != 0), Is.True);
        Assert.That(layer.Weight.Value.All(w => Math.Abs(w) <= 20), Is.True);
    }

    [TestCase(4, 13, 6)]
    [TestCase(1, 1, 1)]
    public void IntegerLinearBackwardMatchesFiniteDifferences(int count, int inputs, int outputs)
    {
        var random = new Random(5);
        var layer = new IntegerLinear(TensorShape.Vector(inputs), outputs, random, initialScale: 9, inputScale: 0.25f);
        GradientCheck.Check(layer, GradientCheck.Random(random, count * inputs), count, seed: 6);
    }

    [TestCase(2, 5, 6, 3, 4, 3, 1, 1)]
    [TestCase(1, 4, 4, 1, 2, 3, 1, 0)]
    [TestCase(3, 7, 5, 2, 3, 3, 2, 1)]
    [TestCase(1, 3, 3, 2, 1, 1, 1, 0)]
    public void IntegerConvolutionMatchesNaiveLoopsAndFiniteDifferences(int count, int height, int width, int channels, int outputs, int kernel, int stride, int padding)
    {
        var random = new Random(height * 100 + width * 10 + channels);
        var shape = new TensorShape(height, width, channels);
        var layer = new IntegerConvolution(shape, outputs, kernel, random, initialScale: 7, stride: stride, padding: padding, inputScale: 2f);
        for (int o = 0; o < outputs; o++) layer.Bias!.Value[o] = random.Next(-3, 4);
        float[] x = GradientCheck.Random(random, count * shape.Size);
        float[] y = layer.Forward(Batch.FromReal(x, count, shape), new LayerContext { Threads = 2 }).Real!;
        TensorShape output = layer.OutputShape;
        for (int n = 0; n < count; n++)
            for (int oy = 0; oy < output.Height; oy++)
                for (int ox = 0; ox < output.Width; ox++)
                    for (int o = 0; o < outputs; o++)
                    {
                        double expected = layer.Bias!.Value[o];
                        for (int ky = 0; ky < kernel; ky++)
                            for (int kx = 0; kx < kernel; kx++)
                            {
                                int iy = oy * stride - padding + ky, ix = ox * stride - padding + kx;
                                if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
                                for (int c = 0; c < channels; c++)
                                    expected += (double)layer.Weight.Value[((o * kernel + ky) * kernel + kx) * channels + c]
                                        * 2 * x[((n * height + iy) * width + ix) * channels + c];
                            }
                        float actual = y[((n * output.Height + oy) * output.Width + ox) * outputs + o];
                        Assert.That(actual, Is.EqualTo(expected).Within(1e-4 * (1 + Math.Abs(expected))));
                    }
        GradientCheck.Check(layer, x, count, seed: 8);
    }

    [Test]
    public void LayerNormNormalisesEachSampleAndMatchesFiniteDifferences()
    {
        var random = new Random(3);
        var shape = new TensorShape(3, 2, 4);
        var layer = new LayerNorm(shape);
        float[] x = GradientCheck.Random(random, 5 * shape.Size, 4);
        for (int i = 0; i < shape.Size; i++) x[i] += 10; // an offset the normalisation must remove
        float[] y = layer.Forward(Batch.FromReal(x, 5, shape), new LayerContext { Training = true }).Real!;
        for (int n = 0; n < 5; n++)
        {
            var sample = y.AsSpan(n * shape.Size, shape.Size).ToArray();
            double mean = sample.Average(v => (double)v);
            double variance = sample.Average(v => (v - mean) * (v - mean));
            Assert.That(mean, Is.EqualTo(0).Within(1e-6));
            Assert.That(variance, Is.EqualTo(1).Within(1e-4));
        }
        GradientCheck.Check(new LayerNorm(shape), x, 5, seed: 4, epsilon: 1e-3, tolerance: 5e-3);
        GradientCheck.Check(new LayerNorm(shape, gain: 2.5f), x, 5, seed: 4, epsilon: 1e-3, tolerance: 5e-3);
    }

    [Test]
    public void LayerNormOfAConstantSampleIsZero()
    {
        var layer = new LayerNorm(TensorShape.Vector(4));
        float[] y = layer.Forward(Batch.FromReal(new float[] { 3, 3, 3, 3 }, 1, TensorShape.Vector(4)), new LayerContext()).Real!;
        Assert.That(y, Is.EqualTo(new float[4]));
    }

    [Test]
    public void ReluAndMaxPoolMatchFiniteDifferences()
    {
        var random = new Random(12);
        var shape = new TensorShape(5, 4, 3);
        float[] x = GradientCheck.Random(random, 2 * shape.Size, 2);
        GradientCheck.Check(new Relu(shape), x, 2, seed: 1, epsilon: 1e-3);
        var pool = new RealMaxPool(shape);
        Assert.That(pool.OutputShape, Is.EqualTo(new TensorShape(2, 2, 3)));
        GradientCheck.Check(pool, x, 2, seed: 2, epsilon: 1e-3);
        float[] y = pool.Forward(Batch.FromReal(x, 2, shape), new LayerContext()).Real!;
        // y[0, 1, 1, 2] is the max over rows 2-3, columns 2-3 of channel 2 of sample 0.
        float expected = new[] { (2, 2), (2, 3), (3, 2), (3, 3) }.Max(p => x[(p.Item1 * 4 + p.Item2) * 3 + 2]);
        Assert.That(y[(1 * 2 + 1) * 3 + 2], Is.EqualTo(expected));
    }

    [TestCase(19)]
    [TestCase(32)]
    public void MaxPoolVectorPathKeepsTheFirstMaximumUnderTies(int channels)
    {
        // Values from {0, 1, 2}: many ties; the gradient must go to the first maximum in row-major order.
        var random = new Random(channels);
        var shape = new TensorShape(4, 6, channels);
        float[] x = Enumerable.Range(0, 2 * shape.Size).Select(_ => (float)random.Next(3)).ToArray();
        var pool = new RealMaxPool(shape);
        var context = new LayerContext { Training = true };
        float[] y = (float[])pool.Forward(Batch.FromReal(x, 2, shape), context).Real!.Clone();
        float[] dy = Enumerable.Range(0, y.Length).Select(i => (float)(i + 1)).ToArray();
        float[] dx = pool.Backward(dy, context)!;
        var expected = new float[x.Length];
        for (int n = 0; n < 2; n++)
            for (int oy = 0; oy < 2; oy++)
                for (int ox = 0; ox < 3; ox++)
                    for (int c = 0; c < channels; c++)
                    {
                        int best = -1;
                        for (int dyy = 0; dyy < 2; dyy++)
                            for (int dxx = 0; dxx < 2; dxx++)
                            {
                                int index = ((n * 4 + oy * 2 + dyy) * 6 + ox * 2 + dxx) * channels + c;
                                if (best < 0 || x[index] > x[best]) best = index;
                            }
                        int output = ((n * 2 + oy) * 3 + ox) * channels + c;
                        Assert.That(y[output], Is.EqualTo(x[best]));
                        expected[best] += dy[output];
                    }
        Assert.That(dx, Is.EqualTo(expected));
    }

    [Test]
    public void LayersRejectWrongInputs()
    {
        var layer = new IntegerLinear(TensorShape.Vector(4), 2, new Random(1), 1);
        Assert.Throws<ArgumentException>(() => layer.Forward(Batch.FromReal(new float[6], 2, TensorShape.Vector(3)), new LayerContext()));
        Assert.Throws<ArgumentException>(() => new IntegerConvolution(new TensorShape(2, 2, 1), 1, 3, new Random(1), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntegerLinear(TensorShape.Vector(4), 2, new Random(1), -1));
    }
}
