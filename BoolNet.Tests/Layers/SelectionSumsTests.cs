using BoolNet.Core.Bits;
using BoolNet.Layers.Numerics;
using static BoolNet.Tests.Layers.LayerTestHelpers;

namespace BoolNet.Tests.Layers;

/// <summary>
/// <see cref="SelectionSums"/> against its definition, computed naively: shapes around the 4-sample
/// groups, the 32-output blocks and the 64-bit words, several planes in both layouts, offsets, and
/// large values that force the int16 accumulators to be flushed in chunks.
/// </summary>
[Category("Isa")]
public sealed class SelectionSumsTests
{
    [TestCase(1, 1, 1, 1, 7)]
    [TestCase(3, 5, 31, 1, 7)]
    [TestCase(100, 70, 33, 1, 7)]
    [TestCase(65, 13, 64, 4, 7)]
    [TestCase(129, 40, 1, 2, 127)]
    [TestCase(1024, 9, 96, 1, 127)]
    [TestCase(7, 0, 5, 1, 7)]
    public void EqualsTheNaiveSum(int count, int inputs, int columns, int planes, int maxAbs)
    {
        var random = new Random(count * 7 + columns);
        int[] weights = Enumerable.Range(0, planes).Select(b => b == planes - 1 && planes > 1 ? -(1 << b) : 1 << b).ToArray();
        var values = new short[count * columns];
        for (int i = 0; i < values.Length; i++) values[i] = (short)random.Next(-maxAbs, maxAbs + 1);
        if (values.Length > 0) values[0] = (short)maxAbs;
        int[] offsets = Enumerable.Range(0, columns).Select(_ => random.Next(-50, 50)).ToArray();
        BitMatrix selectors = RandomBits(random, inputs * planes, count);
        foreach (bool planeMajor in new[] { false, true })
            foreach (int threads in new[] { 1, 2 })
            {
                var output = new float[inputs * columns];
                SelectionSums.Run(selectors, weights, values, columns, maxAbs, offsets, 0.5f, output, threads, planeMajor);
                for (int i = 0; i < inputs; i++)
                    for (int j = 0; j < columns; j++)
                    {
                        long sum = 0;
                        for (int b = 0; b < planes; b++)
                        {
                            int row = planeMajor ? b * inputs + i : i * planes + b;
                            for (int k = 0; k < count; k++)
                                if (selectors[row, k]) sum += weights[b] * values[k * columns + j];
                        }
                        Assert.That(output[j * inputs + i], Is.EqualTo(0.5f * (sum - offsets[j])), $"i {i}, j {j}, planeMajor {planeMajor}, threads {threads}");
                    }
            }
    }
}
