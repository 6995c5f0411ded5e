using BoolNet.Core.Operators;
using BoolNet.Layers;
using static BoolNet.Tests.Layers.LayerTestHelpers;

namespace BoolNet.Tests.Layers;

/// <summary>Float layers, the loss and the surrogate by finite differences and naive formulas.</summary>
[Category("Isa")]
public class RealLayerTests
{
    /// <summary>Checks dL/dx of L = sum(y * probe) against central differences.</summary>
    private static void CheckInputGradient(ILayer layer, float[] x, int count, float step = 1e-2f, float tolerance = 2e-2f)
    {
        var random = new Random(99);
        var train = new LayerContext { Training = true, Threads = 1 };
        float[] y = layer.Forward(Batch.FromReal(x, count, layer.InputShape), train).Real!;
        float[] probe = RandomReals(random, y.Length);
        float[] dx = layer.Backward(probe, train)!;
        for (int i = 0; i < x.Length; i += Math.Max(1, x.Length / 25))
        {
            float saved = x[i];
            x[i] = saved + step;
            double plus = Dot(layer.Forward(Batch.FromReal(x, count, layer.InputShape), train).Real!, probe);
            x[i] = saved - step;
            double minus = Dot(layer.Forward(Batch.FromReal(x, count, layer.InputShape), train).Real!, probe);
            x[i] = saved;
            Assert.That(dx[i], Is.EqualTo((plus - minus) / (2 * step)).Within(tolerance * (1 + Math.Abs(dx[i]))), $"dx[{i}]");
        }
    }

    private static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < b.Length; i++) sum += (double)a[i] * b[i];
        return sum;
    }

    [Test]
    public void BatchNormOnMapsNormalisesPerChannelAndHasTheRightGradient()
    {
        var shape = new TensorShape(3, 2, 4);
        var layer = new BatchNorm(shape);
        var random = new Random(5);
        int count = 5;
        for (int c = 0; c < 4; c++) { layer.Scale!.Value[c] = 0.5f + c; layer.Shift!.Value[c] = c - 1; }
        float[] x = RandomReals(random, count * shape.Size, 3f);
        float[] y = layer.Forward(Batch.FromReal(x, count, shape), new LayerContext { Training = true }).Real!;
        for (int c = 0; c < 4; c++)
        {
            var values = Enumerable.Range(0, count * shape.Positions).Select(r => (double)y[r * 4 + c]).ToArray();
            Assert.That(values.Average(), Is.EqualTo(c - 1).Within(1e-4));
            double variance = values.Select(v => (v - (c - 1)) * (v - (c - 1))).Average();
            Assert.That(Math.Sqrt(variance), Is.EqualTo(0.5 + c).Within(1e-2));
        }
        CheckInputGradient(layer, x, count);
    }

    /// <summary>
    /// Batch norm equals the plain per-channel loops bit for bit (sums over rows in order, one
    /// formula per element) on any thread count, whatever the channel blocks the threads take.
    /// </summary>
    [TestCase(1, 1)]
    [TestCase(9, 7)]
    [TestCase(100, 64)]
    [TestCase(33, 1000)]
    [TestCase(100, 1024)]
    public void BatchNormEqualsThePlainLoopsOnAnyThreadCount(int rows, int channels)
    {
        var random = new Random(rows * 31 + channels);
        float[] x = RandomReals(random, rows * channels), dy = RandomReals(random, rows * channels);
        float[] gamma = RandomReals(random, channels), beta = RandomReals(random, channels);
        const float epsilon = 1e-5f;
        // The plain loops.
        var y = new float[rows * channels];
        var h = new float[rows * channels];
        var dx = new float[rows * channels];
        var sumDy = new float[channels];
        var sumDyH = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            float sum = 0, squares = 0;
            for (int r = 0; r < rows; r++) sum += x[r * channels + c];
            float mean = sum / rows;
            for (int r = 0; r < rows; r++) { float d = x[r * channels + c] - mean; squares += d * d; }
            float inverseStd = 1f / MathF.Sqrt(squares / rows + epsilon);
            for (int r = 0; r < rows; r++)
            {
                h[r * channels + c] = (x[r * channels + c] - mean) * inverseStd;
                y[r * channels + c] = gamma[c] * h[r * channels + c] + beta[c];
            }
            for (int r = 0; r < rows; r++)
            {
                sumDy[c] += dy[r * channels + c];
                sumDyH[c] += dy[r * channels + c] * h[r * channels + c];
            }
            float factor = gamma[c] * inverseStd, meanDy = sumDy[c] / rows, meanDyH = sumDyH[c] / rows;
            for (int r = 0; r < rows; r++)
                dx[r * channels + c] = factor * (dy[r * channels + c] - meanDy - h[r * channels + c] * meanDyH);
        }
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var layer = new BatchNorm(TensorShape.Vector(channels), epsilon: epsilon);
            gamma.CopyTo(layer.Scale!.Value, 0);
            beta.CopyTo(layer.Shift!.Value, 0);
            var context = new LayerContext { Training = true, Threads = threads };
            float[] actualY = layer.Forward(Batch.FromReal((float[])x.Clone(), rows, layer.InputShape), context).Real!;
            Assert.That(actualY.AsSpan(0, rows * channels).ToArray(), Is.EqualTo(y), $"y, threads {threads}");
            float[] actualDx = layer.Backward((float[])dy.Clone(), context)!;
            Assert.That(actualDx.AsSpan(0, rows * channels).ToArray(), Is.EqualTo(dx), $"dx, threads {threads}");
            Assert.That(layer.Scale.Gradient, Is.EqualTo(sumDyH), $"d gamma, threads {threads}");
            Assert.That(layer.Shift.Gradient, Is.EqualTo(sumDy), $"d beta, threads {threads}");
        }
        // The operator on every ISA path (scalar: the plain loops' own order).
        foreach (BoolNet.Core.Execution.Isa isa in BoolNet.Core.Execution.IsaSelection.Supported)
        {
            float[] actualY = new float[rows * channels], actualH = new float[rows * channels], actualDx = new float[rows * channels];
            float[] inverseStd = new float[channels], runningMean = new float[channels], runningVariance = new float[channels];
            BatchNormalization.Forward(x, rows, channels, gamma, beta, epsilon, 0.1f, runningMean, runningVariance, inverseStd, actualH, actualY, 2, isa);
            Assert.That(actualY, Is.EqualTo(y), $"y, {isa}");
            float[] gammaGradient = new float[channels], betaGradient = new float[channels];
            BatchNormalization.Backward(dy, actualH, inverseStd, rows, channels, gamma, gammaGradient, betaGradient, actualDx, 2, isa);
            Assert.That(actualDx, Is.EqualTo(dx), $"dx, {isa}");
            Assert.That((gammaGradient, betaGradient), Is.EqualTo((sumDyH, sumDy)), $"d gamma, d beta, {isa}");
        }
    }

    [Test]
    public void BatchNormInferenceUsesRunningStatistics()
    {
        var layer = new BatchNorm(TensorShape.Vector(2), momentum: 1f);
        float[] x = [1, 10, 3, 20];
        layer.Forward(Batch.FromReal(x, 2, TensorShape.Vector(2)), new LayerContext { Training = true });
        Assert.That(layer.RunningMean, Is.EqualTo(new[] { 2f, 15f }));
        Assert.That(layer.RunningVariance[0], Is.EqualTo(2f).Within(1e-5)); // unbiased
        float[] y = layer.Forward(Batch.FromReal([2, 15], 1, TensorShape.Vector(2)), new LayerContext()).Real!;
        Assert.That(y[0], Is.EqualTo(0f).Within(1e-6));
        Assert.That(y[1], Is.EqualTo(0f).Within(1e-6));
    }

    [Test]
    public void RealLinearGradientsMatchFiniteDifferences()
    {
        var random = new Random(8);
        var layer = new RealLinear(TensorShape.Vector(19), 7, random, inputScale: 0.5f);
        float[] x = RandomReals(random, 3 * 19);
        CheckInputGradient(layer, x, 3);
        var context = new LayerContext { Training = true, Threads = 2 };
        float[] y = layer.Forward(Batch.FromReal(x, 3, layer.InputShape), context).Real!;
        float[] probe = RandomReals(random, y.Length);
        layer.Backward(probe, context);
        for (int j = 0; j < 7; j++)
            for (int i = 0; i < 19; i++)
            {
                double expected = 0;
                for (int k = 0; k < 3; k++) expected += probe[k * 7 + j] * 0.5 * x[k * 19 + i];
                Assert.That(layer.Weight.Gradient[j * 19 + i], Is.EqualTo(expected).Within(1e-4));
            }
    }

    [Test]
    public void NarrowHeadSumsInTheDot8OrderAndWideLayersInTheChainOrder()
    {
        // The folded inference layer reproduces these orders (FloatDenseLayer.TrainingOrder), so a head
        // (fewer than 16 outputs) must give the Dot8 reference bit for bit and a wide layer the chain.
        var random = new Random(4);
        foreach ((int count, int inputs, int outputs) in new[] { (3, 1024, 10), (2, 13, 15), (1, 7, 4), (5, 1025, 3), (4, 40, 16), (3, 19, 33) })
        {
            var layer = new RealLinear(TensorShape.Vector(inputs), outputs, random);
            float[] x = RandomReals(random, count * inputs);
            float[] y = layer.Forward(Batch.FromReal(x, count, layer.InputShape), new LayerContext { Threads = 2 }).Real!;
            FloatSumOrder order = outputs < RealLinear.NarrowOutputs ? FloatSumOrder.Dot8 : FloatSumOrder.Chain;
            Assert.That(layer.SumOrder, Is.EqualTo(order));
            var expected = new float[count * outputs];
            FloatGemm.MultiplyReference(x, false, layer.Weight.Value, true, expected, count, outputs, inputs, order);
            for (int i = 0; i < expected.Length; i++) expected[i] += layer.Bias!.Value[i % outputs];
            Assert.That(y.Take(expected.Length), Is.EqualTo(expected), $"{count}x{inputs}->{outputs}");
        }
    }

    [Test]
    public void SoftmaxCrossEntropyGradientIsMeanOfSoftmaxMinusOneHot()
    {
        float[] logits = [1, 2, 3, 0, 0, 0];
        byte[] labels = [2, 1];
        var z = new float[6];
        (double loss, int correct) = SoftmaxCrossEntropy.Compute(logits, labels, 3, z);
        double e = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        Assert.That(loss, Is.EqualTo(-Math.Log(Math.Exp(3) / e) + Math.Log(3)).Within(1e-9));
        Assert.That(correct, Is.EqualTo(1));
        Assert.That(z[2], Is.EqualTo((Math.Exp(3) / e - 1) / 2).Within(1e-6));
        Assert.That(z[4], Is.EqualTo((1.0 / 3 - 1) / 2).Within(1e-6));
        Assert.That(z.Sum(), Is.EqualTo(0).Within(1e-6));
    }

    [Test]
    public void ThresholdForwardAndSurrogates()
    {
        var shape = new TensorShape(1, 2, 3);
        float[] a = [-2f, -0.5f, 0f, 0.4f, 1.5f, 3f];
        var tanh = new ThresholdActivation(shape, Surrogate.Tanh, width: 0.9f, threshold: 0.4f);
        var context = new LayerContext { Training = true };
        Batch y = tanh.Forward(Batch.FromReal(a, 1, shape), context);
        Assert.That(y.Bits!.Rows, Is.EqualTo(2));
        bool[] expected = [false, false, false, true, true, true];
        for (int i = 0; i < 6; i++) Assert.That(y.Bits[i / 3, i % 3], Is.EqualTo(expected[i]));
        float[] g = tanh.Backward([1, 1, 1, 1, 1, 2], context)!;
        for (int i = 0; i < 6; i++)
        {
            double t = Math.Tanh(0.9 * (a[i] - 0.4));
            Assert.That(g[i], Is.EqualTo((i == 5 ? 2 : 1) * (1 - t * t)).Within(1e-4));
        }
        var box = new ThresholdActivation(shape, Surrogate.Box, width: 1f);
        box.Forward(Batch.FromReal(a, 1, shape), context);
        Assert.That(box.Backward([1, 1, 1, 1, 1, 1], context), Is.EqualTo(new[] { 0f, 1, 1, 1, 0, 0 }));
    }
}
