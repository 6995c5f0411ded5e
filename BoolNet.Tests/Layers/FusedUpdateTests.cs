using BoolNet.Core.Bits;
using BoolNet.Core.Operators;
using BoolNet.Layers;
using static BoolNet.Tests.Layers.LayerTestHelpers;

namespace BoolNet.Tests.Layers;

/// <summary>
/// Every Boolean layer applies the fused optimizer step it asks for (<see cref="LayerContext.FusedUpdate"/>)
/// to every row of its weight, on every backward path (exact and quantised): the weights and
/// accumulator after a fused backward equal those of a plain backward followed by the step over all rows.
/// </summary>
[Category("Isa")]
public class FusedUpdateTests
{
    /// <summary>Hands out one step per parameter and counts the asks.</summary>
    private sealed class Steps(float[] accumulator) : IFusedUpdates
    {
        public int Asked;

        public FlipWithResetRows Begin(BooleanParameter parameter)
        {
            Asked++;
            return new FlipWithResetRows(parameter.Weights, accumulator, parameter.Signal, beta: 0.9f, eta: 4f, clip: 0f);
        }
    }

    private static IEnumerable<TestCaseData> Layers()
    {
        foreach (int planes in new[] { 0, 4, 6 })
        {
            yield return new TestCaseData("linear", planes);
            yield return new TestCaseData("bitplane", planes);
            yield return new TestCaseData("conv", planes);
        }
    }

    private static (ILayer Layer, Batch Input) Make(string kind, int planes, int seed)
    {
        var random = new Random(11);
        var signal = planes == 0 ? SignalSettings.Exact : new SignalSettings(planes);
        switch (kind)
        {
            case "linear":
                var linear = new BooleanLinear(70, 130, new Random(seed), signal: signal);
                return (linear, Bits(RandomBits(random, 9, 70)));
            case "bitplane":
                var shape = new TensorShape(3, 5, 2);
                var planesLayer = new BitPlaneLinear(shape, 66, new Random(seed), inputBits: 4, signal: signal);
                float[] pixels = Enumerable.Range(0, 7 * shape.Size).Select(_ => (float)random.Next(256)).ToArray();
                return (planesLayer, Batch.FromReal(pixels, 7, shape));
            default:
                var map = new TensorShape(5, 4, 3);
                var conv = new BooleanConvolution2D(map, 9, 3, new Random(seed), padding: 1, signal: signal);
                var bits = new BitMatrix(2 * map.Positions, map.Channels);
                bits.Randomize(random);
                return (conv, Batch.FromBits(bits, 2, map));
        }
    }

    [TestCaseSource(nameof(Layers))]
    public void TheFusedStepEqualsTheStepAfterTheBackward(string kind, int planes)
    {
        (ILayer fusedLayer, Batch input) = Make(kind, planes, seed: 5);
        (ILayer plainLayer, _) = Make(kind, planes, seed: 5);
        var fusedWeight = (BooleanParameter)fusedLayer.Parameters[0];
        var plainWeight = (BooleanParameter)plainLayer.Parameters[0];
        int outputs = fusedLayer.OutputShape.Size;
        var random = new Random(3);
        float[] z = RandomReals(random, input.Count * outputs, 3f);
        var fusedAccumulator = RandomReals(random, fusedWeight.Count, 0.9f);
        var plainAccumulator = (float[])fusedAccumulator.Clone();

        var steps = new Steps(fusedAccumulator);
        var fusedContext = new LayerContext { Training = true, Threads = 2, FusedUpdates = steps };
        fusedLayer.Forward(input, fusedContext);
        float[]? fusedInput = fusedLayer.Backward((float[])z.Clone(), fusedContext);

        var plainContext = new LayerContext { Training = true, Threads = 2 };
        plainLayer.Forward(input, plainContext);
        float[]? plainInput = plainLayer.Backward((float[])z.Clone(), plainContext);
        var step = new FlipWithResetRows(plainWeight.Weights, plainAccumulator, plainWeight.Signal, beta: 0.9f, eta: 4f, clip: 0f);
        step.Apply(0, plainWeight.Weights.Rows);

        Assert.That(steps.Asked, Is.EqualTo(1), "the layer asks once for its weight's step");
        Assert.That(step.Flips, Is.GreaterThan(0), "a step that flips weights");
        Assert.That(fusedWeight.Weights.ContentEquals(plainWeight.Weights), "weights");
        Assert.That(fusedAccumulator, Is.EqualTo(plainAccumulator), "accumulator");
        Assert.That(fusedWeight.Signal, Is.EqualTo(plainWeight.Signal), "signal");
        Assert.That(fusedInput, Is.EqualTo(plainInput), "input signal, computed before any weight changed");
    }
}
