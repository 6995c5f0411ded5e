using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Tests.Core;

/// <summary>
/// <see cref="SignalProducts"/>: its reference against the definition computed from +-1 values, and
/// every path on every ISA this machine supports against the reference, bit for bit, on random
/// shapes: empty and size-1 operands, odd contractions (an unpaired last level), row counts off the
/// 4-row tile, column counts off the 16/32-column steps and the 64-bit words, dense and 90%-zero
/// signals, 2 to 8 planes (8 planes over 1030 samples forces the int16 chunking), and 1-3 threads.
/// The weight signal's epilogue must see every row exactly once, already final.
/// </summary>
[Category("Isa")]
public class SignalProductsTests
{
    // (N, out, m): rows of Z, columns of Z, columns of the bit operand.
    private static readonly (int Count, int Outputs, int Inputs)[] Shapes =
    [
        (0, 3, 5), (3, 0, 5), (2, 3, 0), (1, 1, 1), (2, 1, 33), (3, 5, 7), (7, 2, 31), (100, 64, 130), (101, 33, 65), (9, 70, 129),
        (100, 130, 96), (65, 17, 16), (5, 3, 65), (258, 9, 40), (1030, 7, 40), (4, 1, 1024),
    ];

    private static IEnumerable<Isa> Isas => IsaSelection.Supported;

    /// <summary>
    /// Every (ISA, path) among <paramref name="paths"/> the operator can run here: the byte paths on the
    /// x86 vector ISAs, the planes on every ISA (their popcount kernel has a scalar and a NEON path); the reference is the expectation.
    /// </summary>
    private static IEnumerable<(Isa Isa, SignalAlgorithm Algorithm)> Paths(params SignalAlgorithm[] paths) =>
        from isa in Isas
        from algorithm in paths
        where isa is Isa.Avx2 or Isa.Avx512 || algorithm == SignalAlgorithm.Planes
        select (isa, algorithm);

    private static SignalLevels Levels(Random random, int count, int outputs, int planes, bool sparse)
    {
        int top = (1 << (planes - 1)) - 1;
        var levels = new sbyte[count * outputs];
        for (int i = 0; i < levels.Length; i++) levels[i] = sparse && random.Next(10) != 0 ? (sbyte)0 : (sbyte)random.Next(-top, top + 1);
        if (levels.Length > 0) levels[random.Next(levels.Length)] = (sbyte)-top;
        return new SignalLevels(levels, 0.5f, count, outputs, planes);
    }

    private static BitMatrix Bits(Random random, int rows, int columns)
    {
        var bits = new BitMatrix(rows, columns);
        bits.Randomize(random);
        return bits;
    }

    private static IEnumerable<TestCaseData> Cases() =>
        from shape in Shapes
        from planes in new[] { 2, 4, 6, 8 }
        select new TestCaseData(shape.Count, shape.Outputs, shape.Inputs, planes);

    [TestCaseSource(nameof(Cases))]
    public void ReferenceIsTheDefinition(int count, int outputs, int inputs, int planes)
    {
        var random = new Random(count * 31 + outputs * 7 + inputs + planes);
        SignalLevels z = Levels(random, count, outputs, planes, sparse: false);
        BitMatrix w = Bits(random, outputs, inputs), x = Bits(random, count, inputs);
        var u = new byte[count * inputs];
        random.NextBytes(u);
        for (int n = 0; n < u.Length; n++) u[n] &= 15;
        var g = new float[count * inputs];
        var q = new float[outputs * inputs];
        var qu = new float[outputs * inputs];
        SignalProducts.InputSignal(z, w, 0.5f, g, 2, null, Isa.Scalar, SignalAlgorithm.Reference);
        SignalProducts.WeightSignal(z, x, null, 0.5f, q, 2, default(NoRowEpilogue), Isa.Scalar, SignalAlgorithm.Reference);
        SignalProducts.WeightSignal(z, u, 4, inputs, 0.5f, qu, 2, default(NoRowEpilogue), Isa.Scalar, SignalAlgorithm.Reference);
        for (int k = 0; k < count; k++)
            for (int i = 0; i < inputs; i++)
            {
                long sum = 0;
                for (int j = 0; j < outputs; j++) sum += z.Levels[k * outputs + j] * w.Sign(j, i);
                Assert.That(g[k * inputs + i], Is.EqualTo(0.5f * sum), $"g[{k}, {i}]");
            }
        for (int j = 0; j < outputs; j++)
            for (int i = 0; i < inputs; i++)
            {
                long sum = 0, sumU = 0;
                for (int k = 0; k < count; k++)
                {
                    sum += z.Levels[k * outputs + j] * x.Sign(k, i);
                    sumU += z.Levels[k * outputs + j] * u[k * inputs + i];
                }
                Assert.That(q[j * inputs + i], Is.EqualTo(0.5f * sum), $"q[{j}, {i}]");
                Assert.That(qu[j * inputs + i], Is.EqualTo(0.5f * sumU), $"q of bytes [{j}, {i}]");
            }
    }

    [TestCaseSource(nameof(Cases))]
    public void InputSignalPathsEqualTheReference(int count, int outputs, int inputs, int planes)
    {
        var random = new Random(count * 131 + outputs * 7 + inputs + planes);
        foreach (bool sparse in new[] { false, true })
        {
            SignalLevels z = Levels(random, count, outputs, planes, sparse);
            BitMatrix w = Bits(random, outputs, inputs);
            var expected = new float[count * inputs];
            SignalProducts.InputSignal(z, w, 0.37f, expected, 1, null, Isa.Scalar, SignalAlgorithm.Reference);
            foreach ((Isa isa, SignalAlgorithm algorithm) in Paths(SignalAlgorithm.DenseBytes))
                foreach (int threads in new[] { 1, 3 })
                {
                    var actual = new float[count * inputs];
                    SignalProducts.InputSignal(z, w, 0.37f, actual, threads, null, isa, algorithm);
                    Assert.That(actual, Is.EqualTo(expected), $"{algorithm} on {isa}, {threads} threads, sparse {sparse}");
                }
            var chosen = new float[count * inputs];
            SignalProducts.InputSignal(z, w, 0.37f, chosen, threads: 2);
            Assert.That(chosen, Is.EqualTo(expected), "the path the operator picks");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void WeightSignalPathsEqualTheReference(int count, int outputs, int inputs, int planes)
    {
        var random = new Random(count * 17 + outputs * 3 + inputs + planes);
        foreach (bool sparse in new[] { false, true })
        {
            SignalLevels z = Levels(random, count, outputs, planes, sparse);
            BitMatrix x = Bits(random, count, inputs);
            var expected = new float[outputs * inputs];
            SignalProducts.WeightSignal(z, x, null, 0.37f, expected, 1, default(NoRowEpilogue), Isa.Scalar, SignalAlgorithm.Reference);
            foreach ((Isa isa, SignalAlgorithm algorithm) in Paths(SignalAlgorithm.DenseBytes, SignalAlgorithm.SparseBytes, SignalAlgorithm.Planes))
                foreach (int threads in new[] { 1, 3 })
                {
                    var actual = new float[outputs * inputs];
                    SignalProducts.WeightSignal(z, x, null, 0.37f, actual, threads, default(NoRowEpilogue), isa, algorithm);
                    Assert.That(actual, Is.EqualTo(expected), $"{algorithm} on {isa}, {threads} threads, sparse {sparse}");
                }
            var chosen = new float[outputs * inputs];
            SignalProducts.WeightSignal(z, x, 0.37f, chosen, 2, default(NoRowEpilogue));
            Assert.That(chosen, Is.EqualTo(expected), "the path the operator picks");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void WeightSignalOfBytesPathsEqualTheReference(int count, int outputs, int inputs, int planes)
    {
        var random = new Random(count * 7 + outputs * 5 + inputs + planes);
        foreach (int valueBits in new[] { 1, 4, 8 })
        {
            SignalLevels z = Levels(random, count, outputs, planes, sparse: true);
            var u = new byte[count * inputs];
            random.NextBytes(u);
            for (int n = 0; n < u.Length; n++) u[n] &= (byte)((1 << valueBits) - 1);
            var expected = new float[outputs * inputs];
            SignalProducts.WeightSignal(z, u, valueBits, inputs, 0.37f, expected, 1, default(NoRowEpilogue), Isa.Scalar, SignalAlgorithm.Reference);
            bool fits = 2 * z.MaxLevel * ((1 << valueBits) - 1) <= short.MaxValue;
            foreach ((Isa isa, SignalAlgorithm algorithm) in fits ? Paths(SignalAlgorithm.SparseBytes, SignalAlgorithm.Planes) : Paths(SignalAlgorithm.Planes))
                foreach (int threads in new[] { 1, 3 })
                {
                    var actual = new float[outputs * inputs];
                    SignalProducts.WeightSignal(z, u, valueBits, inputs, 0.37f, actual, threads, default(NoRowEpilogue), isa, algorithm);
                    Assert.That(actual, Is.EqualTo(expected), $"{algorithm} on {isa}, {threads} threads, {valueBits}-bit values");
                }
            var chosen = new float[outputs * inputs];
            SignalProducts.WeightSignal(z, u, valueBits, inputs, 0.37f, chosen, 2, default(NoRowEpilogue));
            Assert.That(chosen, Is.EqualTo(expected), $"the path the operator picks, {valueBits}-bit values");
        }
    }

    [TestCase(9, 5, 12, 4)]
    [TestCase(100, 64, 288, 9)]
    [TestCase(1, 3, 3, 3)]
    [TestCase(1500, 7, 130, 2)]
    public void ExcludedEntriesReadZero(int count, int outputs, int inputs, int groups)
    {
        // Entries of X marked excluded hold 0 bits and contribute 0 (not -1): q with their rows' level
        // sums added back equals the definition with v = 0 there, on the reference and the planes path.
        var random = new Random(count + outputs + groups);
        SignalLevels z = Levels(random, count, outputs, 4, sparse: false);
        BitMatrix x = Bits(random, count, inputs);
        int width = inputs / groups;
        var excludedGroup = new bool[count, groups];
        var excludedSums = new int[outputs * groups];
        for (int k = 0; k < count; k++)
            for (int group = 0; group < groups; group++)
            {
                if (random.Next(3) != 0) continue;
                excludedGroup[k, group] = true;
                for (int i = group * width; i < (group + 1) * width; i++) x[k, i] = false;
                for (int j = 0; j < outputs; j++) excludedSums[j * groups + group] += z.Levels[k * outputs + j];
            }
        var definition = new float[outputs * inputs];
        for (int j = 0; j < outputs; j++)
            for (int i = 0; i < inputs; i++)
            {
                long sum = 0;
                for (int k = 0; k < count; k++)
                    if (!excludedGroup[k, i / width]) sum += z.Levels[k * outputs + j] * x.Sign(k, i);
                definition[j * inputs + i] = 0.25f * sum;
            }
        foreach ((Isa isa, SignalAlgorithm algorithm) in Paths(SignalAlgorithm.Planes).Append((Isa.Scalar, SignalAlgorithm.Reference)))
        {
            var q = new float[outputs * inputs];
            SignalProducts.WeightSignal(z, x, excludedSums, 0.25f, q, 2, default(NoRowEpilogue), isa, algorithm);
            Assert.That(q, Is.EqualTo(definition), $"{algorithm} on {isa}");
        }
        var chosen = new float[outputs * inputs];
        SignalProducts.WeightSignal(z, x, 0.25f, chosen, 2, default(NoRowEpilogue), excludedSums);
        Assert.That(chosen, Is.EqualTo(definition), "the path the operator picks");
        Assert.Throws<NotSupportedException>(() => SignalProducts.WeightSignal(z, x, excludedSums, 1f, new float[outputs * inputs], 1,
            default(NoRowEpilogue), Isa.Avx2, SignalAlgorithm.SparseBytes));
    }

    /// <summary>Records each row the epilogue receives, with the row's values at that moment.</summary>
    private readonly struct RowRecorder(float[] output, float[] seen, int[] handed, int columns) : IRowEpilogue
    {
        public void Apply(int start, int end)
        {
            for (int r = start; r < end; r++) Interlocked.Increment(ref handed[r]);
            Array.Copy(output, start * columns, seen, start * columns, (end - start) * columns);
        }
    }

    [TestCase(100, 1024, 256)]
    [TestCase(100, 31, 70)]
    [TestCase(1500, 9, 130)]
    [TestCase(3, 1, 1)]
    public void EveryWeightSignalPathHandsEachFinalRowToTheEpilogueOnce(int count, int outputs, int inputs)
    {
        var random = new Random(count + outputs + inputs);
        SignalLevels z = Levels(random, count, outputs, 6, sparse: false);
        BitMatrix x = Bits(random, count, inputs);
        var u = new byte[count * inputs];
        random.NextBytes(u);
        foreach ((Isa isa, SignalAlgorithm algorithm) in Paths(SignalAlgorithm.DenseBytes, SignalAlgorithm.SparseBytes, SignalAlgorithm.Planes).Append((Isa.Scalar, SignalAlgorithm.Reference)))
            foreach (int threads in new[] { 1, 2, 3 })
                foreach (bool bytes in new[] { false, true })
                {
                    if (bytes && algorithm == SignalAlgorithm.DenseBytes) continue;
                    var q = new float[outputs * inputs];
                    var seen = new float[outputs * inputs];
                    var handed = new int[outputs];
                    var recorder = new RowRecorder(q, seen, handed, inputs);
                    if (bytes) SignalProducts.WeightSignal(z, u, 8, inputs, 0.5f, q, threads, recorder, isa, algorithm); // 2 * 31 * 255 fits int16
                    else SignalProducts.WeightSignal(z, x, null, 0.5f, q, threads, recorder, isa, algorithm);
                    string what = $"{algorithm} on {isa}, {threads} threads, bytes {bytes}";
                    Assert.That(handed, Is.All.EqualTo(1), $"{what}: each row once");
                    Assert.That(seen, Is.EqualTo(q), $"{what}: rows were final when handed on");
                }
    }

    [Test]
    public void WrongShapesAndImpossiblePathsAreRejected()
    {
        var z = new SignalLevels(new sbyte[6], 1f, 2, 3, 4);
        var rows = default(NoRowEpilogue);
        Assert.Throws<ArgumentException>(() => SignalProducts.InputSignal(z, new BitMatrix(2, 5), 1f, new float[10]));
        Assert.Throws<ArgumentException>(() => SignalProducts.InputSignal(z, new BitMatrix(3, 5), 1f, new float[9]));
        Assert.Throws<ArgumentException>(() => SignalProducts.WeightSignal(z, new BitMatrix(3, 5), 1f, new float[15], 1, rows));
        Assert.Throws<ArgumentException>(() => SignalProducts.WeightSignal(z, new BitMatrix(2, 5), 1f, new float[14], 1, rows));
        Assert.Throws<ArgumentException>(() => SignalProducts.WeightSignal(z, new BitMatrix(2, 5), 1f, new float[15], 1, rows, new int[4]));
        Assert.Throws<ArgumentException>(() => SignalProducts.WeightSignal(z, new byte[9], 4, 5, 1f, new float[15], 1, rows));
        Assert.Throws<ArgumentOutOfRangeException>(() => SignalProducts.WeightSignal(z, new byte[10], 9, 5, 1f, new float[15], 1, rows));
        Assert.Throws<ArgumentOutOfRangeException>(() => SignalProducts.InputSignal(z with { Planes = 9 }, new BitMatrix(3, 5), 1f, new float[10]));
        Assert.Throws<NotSupportedException>(() => SignalProducts.InputSignal(z, new BitMatrix(3, 5), 1f, new float[10], 1, null,
            IsaSelection.Current, SignalAlgorithm.SparseBytes));
        Assert.Throws<NotSupportedException>(() => SignalProducts.InputSignal(z, new BitMatrix(3, 5), 1f, new float[10], 1, null,
            IsaSelection.Current, SignalAlgorithm.Planes));
        Assert.Throws<PlatformNotSupportedException>(() => SignalProducts.WeightSignal(z, new BitMatrix(2, 5), null, 1f, new float[15], 1, rows,
            Isa.Scalar, SignalAlgorithm.DenseBytes));
        // 8-plane levels on 8-bit values would saturate vpmaddubsw's int16 pairs: the sparse byte path refuses them.
        var wide = new SignalLevels([-127, 127], 1f, 1, 2, 8);
        if (IsaSelection.IsSupported(Isa.Avx2))
            Assert.Throws<ArgumentException>(() => SignalProducts.WeightSignal(wide, new byte[] { 255 }, 8, 1, 1f, new float[2], 1, rows,
                Isa.Avx2, SignalAlgorithm.SparseBytes));
    }

    [TestCase(1, 1)]
    [TestCase(100, 1024)]
    [TestCase(300, 17)]
    [TestCase(3, 40)]
    [TestCase(0, 5)]
    [TestCase(4, 1024 + 31)]
    public void CentringSumsEqualTheNaiveSums(int rows, int columns)
    {
        var random = new Random(rows + columns);
        var levels = new sbyte[rows * columns];
        for (int n = 0; n < levels.Length; n++) levels[n] = (sbyte)random.Next(-128, 128);
        var z = new SignalLevels(levels, 1f, rows, columns, 8);
        int[] columnSums = SignalProducts.ColumnSums(z), rowSums = SignalProducts.RowSums(z);
        for (int c = 0; c < columns; c++)
            Assert.That(columnSums[c], Is.EqualTo(Enumerable.Range(0, rows).Sum(r => (int)levels[r * columns + c])), $"column {c}");
        for (int r = 0; r < rows; r++)
            Assert.That(rowSums[r], Is.EqualTo(Enumerable.Range(0, columns).Sum(c => (int)levels[r * columns + c])), $"row {r}");
    }
}
