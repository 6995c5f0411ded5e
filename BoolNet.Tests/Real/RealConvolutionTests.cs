using BoolNet.Core.Convolution;
using BoolNet.Core.Operators;
using BoolNet.Layers;
using BoolNet.Tests.Integer;

namespace BoolNet.Tests.Real;

/// <summary>The float convolution against naive loops and finite differences; im2col's adjoint property.</summary>
[Category("Isa")]
public class RealConvolutionTests
{
    [TestCase(2, 6, 5, 3, 4, 3, 1, 1)]
    [TestCase(1, 5, 5, 1, 2, 3, 2, 0)]
    public void ForwardMatchesNaiveLoopsAndBackwardMatchesFiniteDifferences(int count, int height, int width, int channels, int outputs, int kernel, int stride, int padding)
    {
        var random = new Random(count * 31 + height);
        var shape = new TensorShape(height, width, channels);
        var layer = new RealConvolution2D(shape, outputs, kernel, random, stride, padding, BiasInit.Uniform);
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
                                        * x[((n * height + iy) * width + ix) * channels + c];
                            }
                        Assert.That(y[((n * output.Height + oy) * output.Width + ox) * outputs + o], Is.EqualTo(expected).Within(1e-5));
                    }
        GradientCheck.Check(layer, x, count, seed: 3, epsilon: 1e-2, tolerance: 2e-3);
    }

    [Test]
    public void RaiseIsTheAdjointOfLower()
    {
        // <Lower(x), c> = <x, Raise(c)> for every x, c.
        var random = new Random(2);
        const int count = 2, height = 5, width = 4, channels = 3, kernel = 3, stride = 1, padding = 1;
        var geometry = new ConvolutionGeometry(height, width, channels, kernel, kernel, stride, padding);
        int rows = count * geometry.OutputPositions;
        float[] x = GradientCheck.Random(random, count * height * width * channels);
        float[] c = GradientCheck.Random(random, rows * kernel * kernel * channels);
        var lowered = new float[c.Length];
        var raised = new float[x.Length];
        FloatConvolution.Lower(x, count, geometry, 1f, lowered, 2);
        FloatConvolution.Raise(c, count, geometry, raised, 2);
        double left = 0, right = 0;
        for (int i = 0; i < c.Length; i++) left += (double)lowered[i] * c[i];
        for (int i = 0; i < x.Length; i++) right += (double)x[i] * raised[i];
        Assert.That(left, Is.EqualTo(right).Within(1e-4));
    }

    [Test]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        var shape = new TensorShape(8, 8, 4);
        float[] x = GradientCheck.Random(new Random(1), 16 * shape.Size);
        float[] Run(int threads)
        {
            var layer = new RealConvolution2D(shape, 16, 3, new Random(4), padding: 1, bias: BiasInit.Uniform, inputScale: 0.5f);
            var context = new LayerContext { Training = true, Threads = threads };
            float[] y = (float[])layer.Forward(Batch.FromReal(x, 16, shape), context).Real!.Clone();
            float[] dx = (float[])layer.Backward(y, context)!.Clone();
            return y.Concat(dx).Concat(layer.Weight.Gradient).ToArray();
        }
        Assert.That(Run(2), Is.EqualTo(Run(1)));
    }
}
