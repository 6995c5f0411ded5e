using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Tests.Layers;

/// <summary>
/// The vectorised, threaded bias operations and level row sums equal the plain loops bit for bit:
/// column counts that are not multiples of 8 or 32, a single row or column, 1-3 threads, every ISA path.
/// </summary>
[Category("Isa")]
public class RowBroadcastTests
{
    private static readonly (int Rows, int Columns)[] Shapes = [(0, 5), (1, 1), (3, 7), (100, 1024), (37, 33), (5, 100), (200, 65)];

    [Test]
    public void AddToRowsAndColumnSumsEqualThePlainLoops()
    {
        var random = new Random(3);
        foreach ((int rows, int columns) in Shapes)
        {
            float[] z = Enumerable.Range(0, rows * columns).Select(_ => (float)(random.NextDouble() * 2 - 1) * 100f).ToArray();
            float[] bias = Enumerable.Range(0, columns).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            var expectedRows = (float[])z.Clone();
            for (int k = 0; k < rows; k++)
                for (int j = 0; j < columns; j++) expectedRows[k * columns + j] += bias[j];
            var expectedSums = new float[columns];
            for (int k = 0; k < rows; k++)
                for (int j = 0; j < columns; j++) expectedSums[j] += z[k * columns + j];
            foreach (Isa isa in IsaSelection.Supported)
                foreach (int threads in new[] { 1, 2, 3 })
                {
                    var added = (float[])z.Clone();
                    RowBroadcast.AddToRows(added, bias, rows, columns, threads, isa);
                    Assert.That(added, Is.EqualTo(expectedRows), $"add {rows}x{columns}, threads {threads}, {isa}");
                    var sums = Enumerable.Repeat(float.NaN, columns + 2).ToArray(); // every column written, the rest untouched
                    RowBroadcast.ColumnSums(z, rows, columns, sums, threads, isa);
                    Assert.That(sums.Take(columns), Is.EqualTo(expectedSums), $"sums {rows}x{columns}, threads {threads}, {isa}");
                    Assert.That(sums.Skip(columns), Is.All.NaN);
                }
        }
        Assert.Throws<ArgumentException>(() => RowBroadcast.AddToRows(new float[5], new float[3], 2, 3, 1));
        Assert.Throws<ArgumentException>(() => RowBroadcast.ColumnSums(new float[6], 2, 3, new float[2], 1));
    }
}
