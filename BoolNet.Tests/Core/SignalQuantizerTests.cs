using System.Runtime.InteropServices;
using BoolNet.Core.Bits;
using BoolNet.Core.Operators;
using static BoolNet.Tests.Layers.LayerTestHelpers;

namespace BoolNet.Tests.Core;

/// <summary>The signal quantiser, and the bit-planes <see cref="PlaneProducts"/> packs its levels (and pixel levels) into.</summary>
[Category("Isa")]
public class SignalQuantizerTests
{
    [TestCase(2)]
    [TestCase(4)]
    [TestCase(8)]
    public void PlanesReconstructTheLevelsInBothLayouts(int planes)
    {
        var random = new Random(planes);
        int rows = 37, columns = 131, top = (1 << (planes - 1)) - 1;
        var levels = new sbyte[rows * columns];
        for (int i = 0; i < levels.Length; i++) levels[i] = (sbyte)random.Next(-top, top + 1);
        int[] weights = PlaneProducts.SignedWeights(planes);
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(levels.AsSpan());
        BitMatrix rowPlanes = PlaneProducts.Pack(bytes, rows, columns, planes);
        BitMatrix columnPlanes = PlaneProducts.PackTransposed(bytes, rows, columns, planes);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                int fromRows = 0, fromColumns = 0;
                for (int p = 0; p < planes; p++)
                {
                    if (rowPlanes[r * planes + p, c]) fromRows += weights[p];
                    if (columnPlanes[c * planes + p, r]) fromColumns += weights[p];
                }
                Assert.That(fromRows, Is.EqualTo(levels[r * columns + c]));
                Assert.That(fromColumns, Is.EqualTo(levels[r * columns + c]));
            }
    }

    [Test]
    public void NearestRoundingIsWithinHalfAStepAndIntegersAreExact()
    {
        var random = new Random(3);
        float[] z = RandomReals(random, 1000, 2.5f);
        var levels = new sbyte[z.Length];
        float scale = SignalQuantizer.Quantize(z, 4, SignalRounding.Nearest, 0, levels);
        Assert.That(scale, Is.EqualTo(z.Max(Math.Abs) / 7).Within(1e-6));
        for (int i = 0; i < z.Length; i++) Assert.That(Math.Abs(levels[i] * scale - z[i]), Is.LessThanOrEqualTo(scale / 2 + 1e-6));
        float[] integers = IntegerSignal(random, 500, 7);
        SignalQuantizer.Quantize(integers, 4, SignalRounding.Nearest, 0, levels);
        for (int i = 0; i < integers.Length; i++) Assert.That(levels[i], Is.EqualTo((sbyte)integers[i]));
    }

    [Test]
    public void VectorNearestRoundingEqualsTheScalarDefinition()
    {
        // Ties and near-ties (0.49999997 must go down, 0.5 and 2.5 away from zero), both signs,
        // lengths around the 8-lane and 32-value steps, and a maximum placed in the scalar tail.
        var random = new Random(5);
        foreach (int length in new[] { 1, 7, 8, 9, 16, 31, 32, 33, 63, 64, 65, 1001 })
            foreach (int planes in new[] { 2, 4, 8 })
            {
                int top = (1 << (planes - 1)) - 1;
                var z = new float[length];
                for (int i = 0; i < length; i++)
                {
                    float step = random.Next(-2 * top, 2 * top + 1) / 2f; // exact half steps
                    float nearTie = step >= 0 ? MathF.BitDecrement(step) : MathF.BitIncrement(step); // towards zero: |z| <= top
                    z[i] = (i % 3) switch { 0 => step, 1 => nearTie, _ => (float)(random.NextDouble() * 2 - 1) * top };
                }
                z[^1] = top; // max |z| >= top; when it is top, z * inverse = z exactly and the ties stay ties
                float inverse = top / z.Max(MathF.Abs);
                var levels = new sbyte[length];
                SignalQuantizer.Quantize(z, planes, SignalRounding.Nearest, 0, levels);
                for (int i = 0; i < length; i++)
                {
                    int expected = Math.Clamp((int)MathF.Round(z[i] * inverse, MidpointRounding.AwayFromZero), -top, top);
                    Assert.That(levels[i], Is.EqualTo(expected), $"z = {z[i]:R}, length {length}, planes {planes}");
                }
            }
        Assert.That(SignalQuantizer.MaxAbs([1f, -3f, 2f, 0f, 0f, 0f, 0f, 0f, -9f]), Is.EqualTo(9f));
        var nanInVector = new float[16];
        nanInVector[3] = float.NaN;
        Assert.That(float.IsNaN(SignalQuantizer.MaxAbs(nanInVector)));
        Assert.Throws<ArithmeticException>(() => SignalQuantizer.Quantize(nanInVector, 4, SignalRounding.Nearest, 0, new sbyte[16]));
    }

    [Test]
    public void StochasticRoundingIsReproducibleAndUnbiased()
    {
        float[] z = Enumerable.Repeat(0.3f, 20000).Append(7f).ToArray();
        var first = new sbyte[z.Length];
        var second = new sbyte[z.Length];
        float scale = SignalQuantizer.Quantize(z, 4, SignalRounding.Stochastic, 42, first);
        SignalQuantizer.Quantize(z, 4, SignalRounding.Stochastic, 42, second);
        Assert.That(first, Is.EqualTo(second));
        Assert.That(scale, Is.EqualTo(1f));
        double mean = first.Take(20000).Average(v => (double)v);
        Assert.That(mean, Is.EqualTo(0.3).Within(0.02));
        Assert.That(first.Take(20000).All(v => v is 0 or 1));
        var other = new sbyte[z.Length];
        SignalQuantizer.Quantize(z, 4, SignalRounding.Stochastic, 43, other);
        Assert.That(other, Is.Not.EqualTo(first));
    }

    [TestCase(SignalRounding.Nearest)]
    [TestCase(SignalRounding.Stochastic)]
    public void ThreadedQuantisationEqualsTheSingleSpan(SignalRounding rounding)
    {
        var random = new Random(5);
        foreach (int length in new[] { 0, 1, 31, 8192, 8193, 100 * 1024 + 7 })
        {
            // A longer array than the signal: only the first length values count.
            float[] z = Enumerable.Range(0, length + 5).Select(_ => (float)(random.NextDouble() * 2 - 1) * 0.01f).ToArray();
            if (length > 0) z[random.Next(length)] = -0.5f; // the maximum somewhere in one chunk
            z[length] = 9f; // past the end: must not set the scale
            var expected = new sbyte[length];
            float expectedScale = SignalQuantizer.Quantize(z.AsSpan(0, length), 6, rounding, 11, expected);
            foreach (int threads in new[] { 1, 2, 3 })
            {
                var levels = new sbyte[length + 3];
                float scale = SignalQuantizer.Quantize(z, length, 6, rounding, 11, levels, threads);
                Assert.That(scale, Is.EqualTo(expectedScale), $"length {length}, threads {threads}");
                Assert.That(levels.AsSpan(0, length).ToArray(), Is.EqualTo(expected), $"length {length}, threads {threads}");
            }
        }
        var nanLate = new float[3 * 8192];
        nanLate[^2] = float.NaN;
        Assert.Throws<ArithmeticException>(() => SignalQuantizer.Quantize(nanLate, nanLate.Length, 6, rounding, 0, new sbyte[nanLate.Length], 2));
    }

    [Test]
    public void ZeroSignalGivesZeroScaleAndBadInputIsRejected()
    {
        var levels = new sbyte[4];
        Assert.That(SignalQuantizer.Quantize(new float[4], 4, SignalRounding.Nearest, 0, levels), Is.EqualTo(0f));
        Assert.That(levels, Is.All.EqualTo(0));
        Assert.Throws<ArithmeticException>(() => SignalQuantizer.Quantize([1f, float.NaN], 4, SignalRounding.Nearest, 0, levels));
        Assert.Throws<ArgumentOutOfRangeException>(() => PlaneProducts.SignedWeights(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PlaneProducts.SignedWeights(9));
        Assert.Throws<ArgumentOutOfRangeException>(() => SignalLevels.Quantize(new float[4], 2, 2, 1, SignalRounding.Nearest, 0));
    }

    [TestCase(1)]
    [TestCase(4)]
    [TestCase(8)]
    public void UnsignedPlanesReconstructTheValues(int bits)
    {
        var random = new Random(bits);
        int rows = 5, columns = 200;
        var values = new byte[rows * columns];
        for (int i = 0; i < values.Length; i++) values[i] = (byte)random.Next(1 << bits);
        int[] weights = PlaneProducts.UnsignedWeights(bits);
        BitMatrix rowPlanes = PlaneProducts.Pack(values, rows, columns, bits);
        BitMatrix columnPlanes = PlaneProducts.PackTransposed(values, rows, columns, bits);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                int fromRows = 0, fromColumns = 0;
                for (int b = 0; b < bits; b++)
                {
                    if (rowPlanes[r * bits + b, c]) fromRows += weights[b];
                    if (columnPlanes[c * bits + b, r]) fromColumns += weights[b];
                }
                Assert.That(fromRows, Is.EqualTo(values[r * columns + c]));
                Assert.That(fromColumns, Is.EqualTo(values[r * columns + c]));
            }
    }

    [Test]
    public void QuantisationRoundsToTheNearestLevelInTwosComplementPlanes()
    {
        float[] signal = [0.5f, -1.0f, 0.26f, -0.1f, 0.74f, 0f];
        SignalLevels z = SignalLevels.Quantize(signal, 2, 3, planes: 3, SignalRounding.Nearest, seed: 0);
        // scale = max|z| / 3 = 1/3: levels round(z * 3).
        Assert.That(z.Scale, Is.EqualTo(1f / 3f).Within(1e-7));
        Assert.That(z.Levels, Is.EqualTo(new sbyte[] { 2, -3, 1, 0, 2, 0 }));
        Assert.That(z.MaxLevel, Is.EqualTo(3));
        // -3 = 101b in 3-bit two's complement (-4 + 1): planes 0 and 2 of row 0, column 1.
        BitMatrix planes = PlaneProducts.Pack(MemoryMarshal.AsBytes(z.Levels.AsSpan()), 2, 3, 3);
        Assert.That(planes[0 * 3 + 0, 1] && !planes[0 * 3 + 1, 1] && planes[0 * 3 + 2, 1], Is.True);
        Assert.That(PlaneProducts.SignedWeights(3), Is.EqualTo(new[] { 1, 2, -4 }));
        BitMatrix transposed = PlaneProducts.PackTransposed(MemoryMarshal.AsBytes(z.Levels.AsSpan()), 2, 3, 3);
        Assert.That(transposed[1 * 3 + 2, 0], Is.True);
        Assert.Throws<ArithmeticException>(() => SignalLevels.Quantize([float.NaN], 1, 1, 2, SignalRounding.Nearest, 0));
    }
}
