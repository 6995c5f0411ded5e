using BoolNet.Core.Bits;
using BoolNet.Layers;

namespace BoolNet.Tests.Layers;

internal static class LayerTestHelpers
{
    public static float[] RandomReals(Random random, int count, float scale = 1f)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    /// <summary>Integers in [-top, top] with at least one at +-top, so the P-plane quantiser is exact (scale 1).</summary>
    public static float[] IntegerSignal(Random random, int count, int top)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = random.Next(-top, top + 1);
        if (count > 0) values[random.Next(count)] = random.Next(2) == 0 ? top : -top;
        return values;
    }

    public static BitMatrix RandomBits(Random random, int rows, int columns)
    {
        var bits = new BitMatrix(rows, columns);
        bits.Randomize(random);
        return bits;
    }

    public static Batch Bits(BitMatrix bits) => Batch.FromBits(bits, bits.Rows, TensorShape.Vector(bits.Columns));

    public static void AssertClose(float[] actual, float[] expected, float tolerance, string what)
    {
        Assert.That(actual.Length, Is.GreaterThanOrEqualTo(expected.Length), what);
        for (int i = 0; i < expected.Length; i++)
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(tolerance + tolerance * Math.Abs(expected[i])), $"{what}[{i}]");
    }
}
