using BoolNet.Core.Bits;
using BoolNet.Core.Operators;
using BoolNet.Layers;
using static BoolNet.Tests.Layers.LayerTestHelpers;

namespace BoolNet.Tests.Layers;

/// <summary>The dense Boolean layer against naive +-1 arithmetic (docs/ALGORITHMS.md sections 2-3).</summary>
[Category("Isa")]
public class BooleanLinearTests
{
    [TestCase(5, 70, 9, BinaryLogic.Xnor, false)]
    [TestCase(3, 64, 4, BinaryLogic.Xor, true)]
    [TestCase(1, 1, 1, BinaryLogic.Xnor, true)]
    [TestCase(8, 130, 67, BinaryLogic.Xor, false)]
    public void ForwardAndExactBackwardEqualNaiveSignedSums(int count, int inputs, int outputs, BinaryLogic logic, bool bias)
    {
        var random = new Random(count * 1000 + inputs * 10 + outputs);
        var layer = new BooleanLinear(inputs, outputs, random, logic, bias, outputScale: 0.5f, inputSignalScale: 0.25f);
        BitMatrix x = RandomBits(random, count, inputs);
        var context = new LayerContext { Training = true, Threads = 1 };
        float[] a = layer.Forward(Bits(x), context).Real!;
        float sign = logic == BinaryLogic.Xnor ? 1 : -1;
        BitMatrix w = layer.Weight.Weights;
        for (int k = 0; k < count; k++)
            for (int j = 0; j < outputs; j++)
            {
                float sum = 0;
                for (int i = 0; i < inputs; i++) sum += x.Sign(k, i) * w.Sign(j, i);
                float expected = 0.5f * (sign * sum + (bias ? layer.Bias!.Weights.Sign(0, j) : 0));
                Assert.That(a[k * outputs + j], Is.EqualTo(expected), $"a[{k},{j}]");
            }

        float[] z = RandomReals(random, count * outputs);
        float[] g = layer.Backward(z, context)!;
        for (int j = 0; j < outputs; j++)
            for (int i = 0; i < inputs; i++)
            {
                double q = 0;
                for (int k = 0; k < count; k++) q += z[k * outputs + j] * x.Sign(k, i);
                Assert.That(layer.Weight.Signal[j * inputs + i], Is.EqualTo(0.5 * sign * q).Within(1e-4), $"q[{j},{i}]");
            }
        for (int k = 0; k < count; k++)
            for (int i = 0; i < inputs; i++)
            {
                double sum = 0;
                for (int j = 0; j < outputs; j++) sum += z[k * outputs + j] * w.Sign(j, i);
                Assert.That(g[k * inputs + i], Is.EqualTo(0.25 * 0.5 * sign * sum).Within(1e-4), $"g[{k},{i}]");
            }
        if (bias)
            for (int j = 0; j < outputs; j++)
            {
                double sum = 0;
                for (int k = 0; k < count; k++) sum += z[k * outputs + j];
                Assert.That(layer.Bias!.Signal[j], Is.EqualTo(0.5 * sum).Within(1e-4));
            }
    }

    [TestCase(4, 100, 70, 4)]
    [TestCase(65, 64, 129, 2)]
    [TestCase(1, 3, 1, 8)]
    [TestCase(130, 200, 10, 5)]
    public void BitPlanePathEqualsExactPathOnIntegerSignals(int count, int inputs, int outputs, int planes)
    {
        var random = new Random(count + inputs * 3 + outputs * 7 + planes);
        foreach (BinaryLogic logic in new[] { BinaryLogic.Xnor, BinaryLogic.Xor })
        {
            var exact = new BooleanLinear(inputs, outputs, new Random(5), logic);
            var fast = new BooleanLinear(inputs, outputs, new Random(5), logic, signal: new SignalSettings(planes));
            Assert.That(fast.Weight.Weights.ContentEquals(exact.Weight.Weights));
            BitMatrix x = RandomBits(random, count, inputs);
            float[] z = IntegerSignal(random, count * outputs, (1 << (planes - 1)) - 1);
            var context = new LayerContext { Training = true, Threads = 2 };
            exact.Forward(Bits(x), context);
            fast.Forward(Bits(x), context);
            float[] gExact = exact.Backward(z, context)!;
            float[] gFast = fast.Backward(z, context)!;
            AssertClose(fast.Weight.Signal, exact.Weight.Signal, 1e-5f, "q");
            AssertClose(gFast, gExact, 1e-5f, "g");
        }
    }

    [TestCase(6, 4)]
    [TestCase(4, 6)]
    [TestCase(3, 8)]
    public void InputPlanesSetOnlyTheInputSignal(int planes, int inputPlanes)
    {
        // q must be what `planes` alone gives and g what `inputPlanes` alone gives, on a real signal
        // where the two quantisations differ.
        var random = new Random(planes * 10 + inputPlanes);
        const int count = 50, inputs = 90, outputs = 70;
        BitMatrix x = RandomBits(random, count, inputs);
        float[] z = RandomReals(random, count * outputs, 2f);
        (float[] q, float[] g) Run(SignalSettings settings)
        {
            var layer = new BooleanLinear(inputs, outputs, new Random(5), signal: settings);
            var context = new LayerContext { Training = true, Threads = 2, Step = 3 };
            layer.Forward(Bits(x), context);
            float[] g = layer.Backward((float[])z.Clone(), context)!;
            return ((float[])layer.Weight.Signal.Clone(), g);
        }
        (float[] qSplit, float[] gSplit) = Run(new SignalSettings(planes) { InputPlanes = inputPlanes });
        (float[] qOnly, float[] gWeightPlanes) = Run(new SignalSettings(planes));
        (float[] qInputPlanes, float[] gOnly) = Run(new SignalSettings(inputPlanes));
        Assert.That(qSplit, Is.EqualTo(qOnly), "q follows Planes");
        Assert.That(gSplit, Is.EqualTo(gOnly), "g follows InputPlanes");
        Assert.That(gSplit, Is.Not.EqualTo(gWeightPlanes), "the two plane counts must give different g here");
        Assert.That(qSplit, Is.Not.EqualTo(qInputPlanes), "the two plane counts must give different q here");
    }

    [Test]
    public void BackwardNeedsATrainingForward()
    {
        var layer = new BooleanLinear(10, 3, new Random(1));
        layer.Forward(Bits(RandomBits(new Random(2), 2, 10)), new LayerContext { Training = false });
        Assert.Throws<InvalidOperationException>(() => layer.Backward(new float[6], new LayerContext()));
    }
}
