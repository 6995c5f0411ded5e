using BoolNet.Core.Operators;
using BoolNet.Layers;
using BoolNet.Training.Models;

namespace BoolNet.Tests.Convolution;

/// <summary>The catalogue's CNNs build, chain their shapes and run forward and backward.</summary>
[Category("Isa")]
public class ConvolutionalModelTests
{
    [TestCase("bold-cnn", 28, 28, 1)]
    [TestCase("bold-cnn-thermometer", 28, 28, 1)]
    [TestCase("bold-cnn-discrete", 28, 28, 1)]
    [TestCase("bold-vgg-small", 32, 32, 3)]
    [TestCase("bold-vgg-small-half", 32, 32, 3)]
    public void ModelBuildsAndRunsOnSyntheticImages(string name, int height, int width, int channels)
    {
        var shape = new TensorShape(height, width, channels);
        ModelEntry entry = ModelCatalog.Get(name);
        // Stochastic rounding keeps small signals alive in expectation, so every layer's signal is non-zero.
        Network network = entry.Build(shape, 10, seed: 3, entry.Settings with { Rounding = SignalRounding.Stochastic });
        Assert.That(network.OutputShape, Is.EqualTo(TensorShape.Vector(10)));
        var random = new Random(5);
        const int count = 3;
        float[] pixels = Enumerable.Range(0, count * shape.Size).Select(_ => (float)random.Next(256)).ToArray();
        var context = new LayerContext { Training = true, Threads = 2 };
        float[] logits = network.Forward(Batch.FromReal(pixels, count, shape), context).RequireReal("test");
        Assert.That(logits, Has.Length.EqualTo(count * 10));
        Assert.That(logits.All(float.IsFinite), Is.True);
        // Distinct per-sample gradients: identical ones would cancel in the batch norms' backward.
        float[] gradient = Enumerable.Range(0, count * 10).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        network.Backward(gradient, context);
        // Every hidden convolution and linear layer carries Boolean weights, and they received a signal.
        var booleanLayers = network.Layers.Where(l => l is BooleanConvolution2D or BooleanLinear).ToList();
        Assert.That(booleanLayers, Is.Not.Empty);
        foreach (ILayer layer in booleanLayers)
        {
            var weight = (BooleanParameter)layer.Parameters[0];
            Assert.That(weight.Signal.Any(v => v != 0f), Is.True, $"{layer.Kind} {layer.OutputShape} got no signal");
        }
        if (name.StartsWith("bold-vgg-small"))
            Assert.That(network.Layers.OfType<BooleanMaxPool>().Count(), Is.EqualTo(3));
    }
}
