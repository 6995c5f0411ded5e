using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Tests.Real;

/// <summary>
/// The small float operators (max-pool, elementwise scale and widen, the Adam step): every ISA path
/// equals the scalar loops bit for bit, on lengths that are not multiples of the vector width, empty
/// and single-element inputs.
/// </summary>
[Category("Isa")]
public class FloatOperatorTests
{
    private static readonly int[] Lengths = [0, 1, 7, 8, 9, 15, 16, 17, 33, 100];

    private static float[] RandomValues(Random random, int count, float scale = 1f) =>
        Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();

    [TestCase(2, 2, 5, 4, 8)]
    [TestCase(2, 2, 6, 6, 19)]
    [TestCase(3, 1, 5, 7, 1)]
    [TestCase(3, 2, 7, 6, 32)]
    [TestCase(2, 3, 4, 4, 7)]
    [TestCase(1, 1, 1, 1, 3)]
    public void MaxPoolPathsEqualTheReferenceScanWithTiesAndNaN(int kernel, int stride, int height, int width, int channels)
    {
        var random = new Random(kernel * 100 + channels);
        const int count = 3;
        // Values from {0, 1, 2} tie often; a few NaNs must never win a comparison.
        float[] x = Enumerable.Range(0, count * height * width * channels).Select(i => i % 23 == 5 ? float.NaN : random.Next(3)).ToArray();
        int outputHeight = FloatMaxPool.OutputSize(height, kernel, stride), outputWidth = FloatMaxPool.OutputSize(width, kernel, stride);
        int outputSize = outputHeight * outputWidth * channels, inputSize = height * width * channels;
        // The definition: scan (ky, kx) in order, keep the first value that nothing later beats strictly.
        var expectedY = new float[count * outputSize];
        var expectedIndex = new int[count * outputSize];
        for (int n = 0; n < count; n++)
            for (int oy = 0; oy < outputHeight; oy++)
                for (int ox = 0; ox < outputWidth; ox++)
                    for (int c = 0; c < channels; c++)
                    {
                        int target = ((n * outputHeight + oy) * outputWidth + ox) * channels + c, best = -1;
                        for (int ky = 0; ky < kernel; ky++)
                            for (int kx = 0; kx < kernel; kx++)
                            {
                                int source = ((n * height + oy * stride + ky) * width + ox * stride + kx) * channels + c;
                                if (best < 0 || x[source] > x[best]) best = source;
                            }
                        (expectedY[target], expectedIndex[target]) = (x[best], best);
                    }
        float[] dy = RandomValues(random, count * outputSize);
        var expectedDx = new float[count * inputSize];
        for (int i = 0; i < dy.Length; i++) expectedDx[expectedIndex[i]] += dy[i];
        foreach (Isa isa in IsaSelection.Supported)
            foreach (int threads in new[] { 1, 2 })
            {
                var y = new float[count * outputSize];
                var index = new int[count * outputSize];
                FloatMaxPool.Forward(x, count, height, width, channels, kernel, stride, y, index, threads, isa);
                Assert.That(y.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(expectedY.Select(BitConverter.SingleToInt32Bits)), $"{isa} y");
                Assert.That(index, Is.EqualTo(expectedIndex), $"{isa} argmax");
                float[] dx = Enumerable.Repeat(float.NaN, count * inputSize).ToArray(); // every element written
                FloatMaxPool.Backward(dy, index, count, outputSize, dx, inputSize, threads);
                Assert.That(dx, Is.EqualTo(expectedDx), $"{isa} dx");
            }
    }

    [Test]
    public void ScaleAndWidenPathsEqualTheScalarLoops()
    {
        var random = new Random(6);
        foreach (int length in Lengths)
        {
            float[] x = RandomValues(random, length, 300f);
            byte[] bytes = Enumerable.Range(0, length).Select(_ => (byte)random.Next(256)).ToArray();
            float[] scaled = x.Select(v => v * 0.00392156886f).ToArray();
            float[] widened = bytes.Select(b => (float)b).ToArray();
            foreach (Isa isa in IsaSelection.Supported)
            {
                var y = new float[length + 1];
                Elementwise.Scale(x, 0.00392156886f, y, isa);
                Assert.That(y.Take(length), Is.EqualTo(scaled), $"scale {length} {isa}");
                Assert.That(y[length], Is.Zero, "nothing past the end");
                var w = new float[length];
                Elementwise.Widen(bytes, w, isa);
                Assert.That(w, Is.EqualTo(widened), $"widen {length} {isa}");
            }
            var inPlace = (float[])x.Clone();
            Elementwise.Scale(inPlace, 0.00392156886f);
            Assert.That(inPlace, Is.EqualTo(scaled));
            var threaded = new float[length];
            Elementwise.Scale(x, 0.00392156886f, threaded, length, 3);
            Assert.That(threaded, Is.EqualTo(scaled));
        }
        Assert.Throws<ArgumentException>(() => Elementwise.Scale(new float[3], 2f, new float[2]));
    }

    [Test]
    public void AdamPathsEqualTheScalarLoop()
    {
        var random = new Random(8);
        const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, c1 = 0.271f, c2 = 0.00299f, lr = 1e-3f;
        foreach (int length in Lengths)
        {
            float[] value = RandomValues(random, length), gradient = RandomValues(random, length, 0.1f);
            float[] m = RandomValues(random, length, 0.01f), v = RandomValues(random, length, 0.001f).Select(Math.Abs).ToArray();
            // The definition, element by element.
            float[] expectedValue = (float[])value.Clone(), expectedM = (float[])m.Clone(), expectedV = (float[])v.Clone();
            for (int i = 0; i < length; i++)
            {
                expectedM[i] = b1 * expectedM[i] + (1 - b1) * gradient[i];
                expectedV[i] = b2 * expectedV[i] + (1 - b2) * gradient[i] * gradient[i];
                expectedValue[i] -= lr * (expectedM[i] / c1) / (MathF.Sqrt(expectedV[i] / c2) + eps);
            }
            foreach (Isa isa in IsaSelection.Supported)
            {
                float[] w = (float[])value.Clone(), mi = (float[])m.Clone(), vi = (float[])v.Clone();
                AdamUpdate.Apply(w, gradient, mi, vi, b1, b2, eps, c1, c2, lr, isa);
                Assert.That(w, Is.EqualTo(expectedValue), $"{length} {isa} w");
                Assert.That(mi, Is.EqualTo(expectedM), $"{length} {isa} m");
                Assert.That(vi, Is.EqualTo(expectedV), $"{length} {isa} v");
            }
        }
    }
}
