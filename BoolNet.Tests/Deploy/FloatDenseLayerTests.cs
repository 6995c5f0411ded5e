using BoolNet.Core.Bits;
using BoolNet.Core.Operators;
using BoolNet.Inference;
using BoolNet.Layers;

namespace BoolNet.Tests.Deploy;

/// <summary>
/// The float inference layer's pre-activations z = (x * scale) W^T + b are the reference product in the
/// file's summation order bit for bit, for every input kind and for batches that cut its blocks and
/// register tiles unevenly; its folded rule packs [z &lt;= t] XOR f of those values.
/// </summary>
[Category("Isa")]
public sealed class FloatDenseLayerTests
{
    /// <summary>Inputs of each kind for <paramref name="count"/> samples of <paramref name="k"/> values, and x as the layer sees it.</summary>
    private static (Activations Input, float[] X) Inputs(ValueKind kind, int count, int k, float scale, Random random)
    {
        var input = new Activations();
        var x = new float[count * k];
        switch (kind)
        {
            case ValueKind.Bytes:
                input.Bytes = new byte[count * k];
                for (int i = 0; i < input.Bytes.Length; i++) input.Bytes[i] = (byte)(i % 5 == 0 ? 0 : random.Next(256));
                for (int i = 0; i < x.Length; i++) x[i] = input.Bytes[i] * scale;
                break;
            case ValueKind.Real:
                input.Real = new float[count * k];
                for (int i = 0; i < x.Length; i++) x[i] = (input.Real[i] = (float)(random.NextDouble() * 4 - 2)) * scale;
                break;
            default:
                int words = BitMatrix.WordsFor(k);
                input.Words = new ulong[count * words];
                for (int s = 0; s < count; s++)
                    for (int p = 0; p < k; p++)
                    {
                        bool bit = random.Next(2) == 1;
                        if (bit) input.Words[s * words + p / 64] |= 1UL << (p % 64);
                        x[s * k + p] = bit ? 1f : -1f;
                    }
                break;
        }
        return (input, x);
    }

    private static float[] Reference(float[] x, float[] weights, float[] bias, int count, int n, int k, FloatSumOrder order)
    {
        var z = new float[count * n];
        FloatGemm.MultiplyReference(x, false, weights, true, z, count, n, k, order);
        for (int i = 0; i < z.Length; i++) z[i] += bias[i % n];
        return z;
    }

    [TestCase(35, 300)]
    [TestCase(784, 1024)] // bold-mlp's first layer
    [TestCase(67, 10)]    // a narrow head: the dot8 order
    [TestCase(9, 129)]
    public void PreActivationsEqualTheReferenceOnEveryInputKindAndBatch(int k, int n)
    {
        var random = new Random(k * 7 + n);
        float[] weights = new float[n * k], bias = new float[n];
        for (int i = 0; i < weights.Length; i++) weights[i] = (float)(random.NextDouble() - 0.5) * 0.2f;
        for (int j = 0; j < n; j++) bias[j] = (float)(random.NextDouble() - 0.5);
        FloatSumOrder order = FloatDenseLayer.TrainingOrder(n);
        const float scale = 1f / 255;
        var layer = new FloatDenseLayer(TensorShape.Vector(k), weights, bias, n, scale, rule: null, order);
        var scratch = new Scratch();
        int[] counts = k * n > 100_000 ? [1, 9, 70] : [0, 1, 3, 4, 5, 8, 9, 13, 63, 64, 65, 130];
        foreach (ValueKind kind in new[] { ValueKind.Bytes, ValueKind.Real, ValueKind.Bits })
            foreach (int count in counts)
            {
                (Activations input, float[] x) = Inputs(kind, count, k, kind == ValueKind.Bits ? 1f : scale, random);
                var output = new Activations();
                layer.Forward(input, kind, output, count, scratch);
                float[] expected = Reference(x, weights, bias, count, n, k, order);
                Assert.That(Real.FloatPanelsTests.Bits(output.Real.AsSpan(0, count * n)), Is.EqualTo(Real.FloatPanelsTests.Bits(expected)),
                    $"{k}->{n} {kind} count {count}");
            }
    }

    [Test]
    public void FoldedRuleComparesTheExactPreActivations()
    {
        const int k = 50, n = 140, count = 70;
        var random = new Random(12);
        float[] weights = new float[n * k], bias = new float[n];
        for (int i = 0; i < weights.Length; i++) weights[i] = (float)(random.NextDouble() - 0.5);
        (Activations input, float[] x) = Inputs(ValueKind.Bytes, count, k, 1f / 255, random);
        float[] z = Reference(x, weights, bias, count, n, k, FloatSumOrder.Chain);
        // Thresholds exactly at some pre-activations (ties must count as z <= t), flips on every third neuron.
        var thresholds = new float[n];
        for (int j = 0; j < n; j++) thresholds[j] = j % 2 == 0 ? z[(j % count) * n + j] : (float)(random.NextDouble() - 0.5) * 2;
        var flips = new ulong[BitMatrix.WordsFor(n)];
        for (int j = 0; j < n; j += 3) flips[j / 64] |= 1UL << (j % 64);
        var layer = new FloatDenseLayer(TensorShape.Vector(k), weights, bias, n, 1f / 255, new FloatThresholdRule(thresholds, flips));
        var output = new Activations();
        layer.Forward(input, ValueKind.Bytes, output, count, new Scratch());
        int words = BitMatrix.WordsFor(n);
        for (int s = 0; s < count; s++)
            for (int j = 0; j < n; j++)
            {
                bool expected = (z[s * n + j] <= thresholds[j]) ^ (j % 3 == 0);
                bool actual = (output.Words[s * words + j / 64] >> (j % 64) & 1) == 1;
                Assert.That(actual, Is.EqualTo(expected), $"sample {s} neuron {j}");
            }
    }

    [Test]
    public void OneSampleAllocatesNothing()
    {
        const int k = 784, n = 1024;
        var layer = new FloatDenseLayer(TensorShape.Vector(k), new float[n * k], null, n, 1f, rule: null);
        var input = new Activations { Bytes = new byte[k] };
        var output = new Activations();
        var scratch = new Scratch();
        for (int i = 0; i < 3; i++) layer.Forward(input, ValueKind.Bytes, output, 1, scratch);
        // The fewest bytes over three rounds of 20 calls: an allocation in Forward shows in every round, while
        // a one-off allocation of the runtime on this thread (seen once under qemu-aarch64, where tiered
        // compilation's timing differs) shows in one round only.
        long fewest = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++) layer.Forward(input, ValueKind.Bytes, output, 1, scratch);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.That(fewest, Is.Zero);
    }
}
