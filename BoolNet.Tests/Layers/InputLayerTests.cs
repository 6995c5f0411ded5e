using BoolNet.Core.Bits;
using BoolNet.Layers;
using static BoolNet.Tests.Layers.LayerTestHelpers;

namespace BoolNet.Tests.Layers;

/// <summary>First layers for 8-bit inputs: bit-plane Boolean weights and thermometer coding.</summary>
[Category("Isa")]
public class InputLayerTests
{
    [TestCase(8, 0)]
    [TestCase(8, 4)]
    [TestCase(4, 6)]
    [TestCase(1, 3)]
    public void BitPlaneForwardIsTheExactMixedSumAndPlaneSignalEqualsExact(int inputBits, int planes)
    {
        var random = new Random(inputBits * 10 + planes);
        var shape = new TensorShape(5, 7, 2);
        int count = 9, outputs = 67, m = shape.Size;
        var settings = planes == 0 ? SignalSettings.Exact : new SignalSettings(planes);
        var layer = new BitPlaneLinear(shape, outputs, new Random(1), inputBits, settings);
        var exact = new BitPlaneLinear(shape, outputs, new Random(1), inputBits, SignalSettings.Exact);
        var x = new float[count * m];
        for (int i = 0; i < x.Length; i++) x[i] = random.Next(4) == 0 ? 0 : random.Next(256);
        var context = new LayerContext { Training = true, Threads = 2, NeedInputGradient = false };
        float[] a = layer.Forward(Batch.FromReal(x, count, shape), context).Real!;
        exact.Forward(Batch.FromReal(x, count, shape), context);
        int shift = 8 - inputBits;
        float outputScale = 1f / ((1 << inputBits) - 1);
        for (int k = 0; k < count; k++)
            for (int j = 0; j < outputs; j++)
            {
                long sum = 0;
                for (int i = 0; i < m; i++) sum += layer.Weight.Weights.Sign(j, i) * ((int)x[k * m + i] >> shift);
                Assert.That(a[k * outputs + j], Is.EqualTo(sum * outputScale).Within(1e-4f * Math.Max(1, Math.Abs(sum * outputScale))));
            }
        float[] z = IntegerSignal(random, count * outputs, planes == 0 ? 7 : (1 << (planes - 1)) - 1);
        Assert.That(layer.Backward(z, context), Is.Null);
        exact.Backward(z, context);
        AssertClose(layer.Weight.Signal, exact.Weight.Signal, 1e-4f, "q");
        for (int j = 0; j < outputs; j += 13)
            for (int i = 0; i < m; i += 7)
            {
                double q = 0;
                for (int k = 0; k < count; k++) q += z[k * outputs + j] * ((int)x[k * m + i] >> shift);
                Assert.That(exact.Weight.Signal[j * m + i], Is.EqualTo(q * outputScale).Within(1e-3 * Math.Max(1, Math.Abs(q * outputScale))));
            }
    }

    [Test]
    public void BitPlaneRejectsValuesOutsideTheByteRange()
    {
        var layer = new BitPlaneLinear(TensorShape.Vector(3), 2, new Random(1));
        Assert.Throws<ArgumentException>(() => layer.Forward(Batch.FromReal([1, 300, 2], 1, TensorShape.Vector(3)), new LayerContext()));
        Assert.Throws<ArgumentException>(() => layer.Forward(Batch.FromReal([1, -2, 2], 1, TensorShape.Vector(3)), new LayerContext()));
    }

    [TestCase(3, true)]
    [TestCase(1, true)]
    [TestCase(5, false)]
    public void ThermometerCountsThresholdsBelowTheValue(int levels, bool flatten)
    {
        var shape = new TensorShape(3, 4, 2);
        var encoder = new ThermometerEncoding(shape, levels, flatten);
        var random = new Random(levels);
        int count = 3;
        var x = new float[count * shape.Size];
        for (int i = 0; i < x.Length; i++) x[i] = random.Next(256);
        x[0] = 0; x[1] = 255;
        Batch output = encoder.Forward(Batch.FromReal(x, count, shape), new LayerContext());
        BitMatrix bits = output.Bits!;
        Assert.That(output.Shape.Size, Is.EqualTo(shape.Size * levels));
        for (int k = 0; k < count; k++)
            for (int i = 0; i < shape.Size; i++)
            {
                int expected = encoder.Thresholds.Count(t => x[k * shape.Size + i] >= t);
                int flat = (k * shape.Size + i) * levels;
                int row = flat / bits.Columns, column = flat % bits.Columns;
                int ones = 0;
                for (int t = 0; t < levels; t++)
                {
                    bool bit = bits[row, column + t];
                    Assert.That(bit, Is.EqualTo(t < expected), "thermometer bits are a prefix of ones");
                    if (bit) ones++;
                }
                Assert.That(ones, Is.EqualTo(expected));
            }
        Assert.That(bits[0, 0], Is.False, "0 is below every threshold");
    }
}
