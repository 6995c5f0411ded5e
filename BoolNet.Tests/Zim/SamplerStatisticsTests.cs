using BoolNet.Core.Randomness;
using BoolNet.Training.Optimizers.Zim;

namespace BoolNet.Tests.Zim;

/// <summary>
/// The binomial and multinomial samplers against their exact moments. Tolerances are 6 standard
/// errors of the sample mean (sd / sqrt(draws)), so a correct sampler fails with probability ~1e-9.
/// </summary>
public class SamplerStatisticsTests
{
    private const double Sigmas = 6;

    [TestCase(20L, 0.3)]          // inversion
    [TestCase(1L, 0.5)]
    [TestCase(1000L, 0.3)]        // BTRS
    [TestCase(1000L, 0.9)]        // symmetry + BTRS
    [TestCase(5_000_000L, 2e-7)]  // inversion at n = millions, p ~ 1/n (the ZIM regime)
    [TestCase(5_000_000L, 1e-5)]  // BTRS at n = millions
    public void BinomialMeanAndVarianceMatch(long n, double p)
    {
        var random = new DeterministicRandom(42);
        const int draws = 100_000;
        double sum = 0, sumSquares = 0;
        for (int i = 0; i < draws; i++)
        {
            long x = BinomialSampler.Sample(random, n, p);
            Assert.That(x, Is.InRange(0, n));
            sum += x;
            sumSquares += (double)x * x;
        }
        double mean = n * p, variance = n * p * (1 - p);
        double sampleMean = sum / draws;
        double sampleVariance = sumSquares / draws - sampleMean * sampleMean;
        Assert.That(sampleMean, Is.EqualTo(mean).Within(Sigmas * Math.Sqrt(variance / draws)), "mean");
        // SE of the sample variance: sqrt((mu4 - sigma^4) / draws); binomial mu4 = 3 s^4 + s^2 (1 - 6pq) with s^2 = npq.
        // Plus the error of using the sample mean, (mean error)^2 <= Sigmas^2 sigma^2 / draws (dominant when mu4 = sigma^4, e.g. Bernoulli(1/2)).
        double mu4 = 3 * variance * variance + variance * (1 - 6 * p * (1 - p));
        double tolerance = Sigmas * Math.Sqrt((mu4 - variance * variance) / draws) + Sigmas * Sigmas * variance / draws;
        Assert.That(sampleVariance, Is.EqualTo(variance).Within(tolerance), "variance");
    }

    [Test]
    public void BinomialSmallCaseMatchesTheExactDistribution()
    {
        // Every probability of Binomial(12, 0.35) within 6 SE of the empirical frequency.
        const int n = 12, draws = 200_000;
        const double p = 0.35;
        var random = new DeterministicRandom(7);
        var histogram = new int[n + 1];
        for (int i = 0; i < draws; i++) histogram[BinomialSampler.Sample(random, n, p)]++;
        for (int k = 0; k <= n; k++)
        {
            double exact = Math.Exp(BinomialSampler.LogFactorial(n) - BinomialSampler.LogFactorial(k) - BinomialSampler.LogFactorial(n - k)
                + k * Math.Log(p) + (n - k) * Math.Log(1 - p));
            double frequency = (double)histogram[k] / draws;
            Assert.That(frequency, Is.EqualTo(exact).Within(Sigmas * Math.Sqrt(exact * (1 - exact) / draws) + 1e-6), $"k = {k}");
        }
    }

    [Test]
    public void LogFactorialSeriesJoinsTheTable()
    {
        double summed = 0;
        for (int k = 1; k <= 300; k++) summed += Math.Log(k);
        Assert.That(BinomialSampler.LogFactorial(300), Is.EqualTo(summed).Within(1e-9));
        Assert.That(BinomialSampler.LogFactorial(0), Is.EqualTo(0));
    }

    [Test]
    public void MultinomialCountsSumToNAndMatchTheMeans()
    {
        double[] weights = { 0.5, 3, 0, 1, 1e-3, 10, 2.5 };
        double total = weights.Sum();
        const int n = 37, draws = 40_000;
        var random = new DeterministicRandom(11);
        var counts = new int[weights.Length];
        var suffix = new double[weights.Length];
        var sums = new double[weights.Length];
        for (int draw = 0; draw < draws; draw++)
        {
            MultinomialSampler.Sample(random, n, weights, counts, suffix);
            Assert.That(counts.Sum(), Is.EqualTo(n));
            for (int i = 0; i < counts.Length; i++) sums[i] += counts[i];
        }
        Assert.That(sums[2], Is.EqualTo(0), "a zero weight is never drawn");
        for (int i = 0; i < weights.Length; i++)
        {
            double p = weights[i] / total;
            Assert.That(sums[i] / draws, Is.EqualTo(n * p).Within(Sigmas * Math.Sqrt(n * p * (1 - p) / draws) + 1e-12), $"coordinate {i}");
        }
    }

    [Test]
    public void AliasTableRepresentsTheProbabilitiesToDoublePrecision()
    {
        var random = new Random(3);
        double[] weights = Enumerable.Range(0, 100_003).Select(i => i % 7 == 0 ? 0 : random.NextDouble() * (i % 13 == 0 ? 1e4 : 1)).ToArray();
        double total = (double)weights.Sum(w => (decimal)w);
        var table = new AliasTable();
        table.Build(weights);
        double[] implied = table.ImpliedProbabilities();
        for (int i = 0; i < weights.Length; i++)
            Assert.That(implied[i], Is.EqualTo(weights[i] / total).Within(1e-12 * (weights[i] / total) + 1e-18), $"category {i}");
    }

    [Test]
    public void AliasMultinomialCountsSumToNAndMatchTheMeans()
    {
        double[] weights = { 0.5, 3, 0, 1, 1e-3, 10, 2.5, 7 };
        double total = weights.Sum();
        const int n = 53, draws = 40_000;
        var random = new DeterministicRandom(13);
        var table = new AliasTable();
        table.Build(weights);
        var counts = new int[weights.Length];
        var sums = new double[weights.Length];
        for (int draw = 0; draw < draws; draw++)
        {
            table.SampleMultinomial(random, n, counts);
            Assert.That(counts.Sum(), Is.EqualTo(n));
            for (int i = 0; i < counts.Length; i++) sums[i] += counts[i];
        }
        Assert.That(sums[2], Is.EqualTo(0), "a zero weight is never drawn");
        for (int i = 0; i < weights.Length; i++)
        {
            double p = weights[i] / total;
            Assert.That(sums[i] / draws, Is.EqualTo(n * p).Within(Sigmas * Math.Sqrt(n * p * (1 - p) / draws) + 1e-12), $"coordinate {i}");
        }
    }

    [TestCase(MultinomialMethod.Alias)]
    [TestCase(MultinomialMethod.ConditionalBinomial)]
    public void BlockedMultinomialSplitsExactlyAndIgnoresTheThreadCount(MultinomialMethod method)
    {
        // 3.5 blocks with different masses: every draw sums to n; each region's mean count is n W_r / W;
        // one and two threads give the same counts.
        int d = BlockedMultinomial.BlockSize * 7 / 2;
        var weights = new double[d];
        for (int i = 0; i < d; i++) weights[i] = (i / (BlockedMultinomial.BlockSize / 2)) % 3 + 0.5 + (i % 5) * 0.1;
        double total = weights.Sum();
        const long n = 1000;
        const int draws = 120;
        var sampler = new BlockedMultinomial();
        var counts = new int[d];
        var other = new int[d];
        int regions = 7;
        var sums = new double[regions];
        int regionSize = BlockedMultinomial.BlockSize / 2;
        for (int draw = 0; draw < draws; draw++)
        {
            sampler.Sample((ulong)draw, n, weights, counts, method, threads: 1);
            Assert.That(counts.Sum(c => (long)c), Is.EqualTo(n));
            for (int i = 0; i < d; i++) sums[i / regionSize] += counts[i];
            if (draw < 3)
            {
                sampler.Sample((ulong)draw, n, weights, other, method, threads: 2);
                Assert.That(other, Is.EqualTo(counts));
            }
        }
        for (int r = 0; r < regions; r++)
        {
            double p = weights.Skip(r * regionSize).Take(regionSize).Sum() / total;
            Assert.That(sums[r] / draws, Is.EqualTo(n * p).Within(Sigmas * Math.Sqrt(n * p * (1 - p) / draws)), $"region {r}");
        }
    }

    [Test]
    public void MultinomialRejectsInvalidWeights()
    {
        var random = new DeterministicRandom(1);
        Assert.Throws<ArgumentException>(() => MultinomialSampler.Sample(random, 3, new double[] { 1, double.NaN }, new int[2], new double[2]));
        Assert.Throws<ArgumentException>(() => MultinomialSampler.Sample(random, 3, new double[] { 0, 0 }, new int[2], new double[2]));
        Assert.Throws<ArgumentException>(() => MultinomialSampler.Sample(random, 3, new double[] { 1, -1 }, new int[2], new double[2]));
        Assert.Throws<ArgumentException>(() => new AliasTable().Build(new double[] { 0, 0 }));
        Assert.Throws<ArgumentException>(() => new AliasTable().Build(new double[] { 1, double.PositiveInfinity }));
    }

    [Test]
    public void GeneratorIsSeededAndUniform()
    {
        var first = new DeterministicRandom(5);
        var second = new DeterministicRandom(5);
        var third = new DeterministicRandom(6);
        double sum = 0;
        bool differs = false;
        for (int i = 0; i < 100_000; i++)
        {
            double u = first.NextDouble();
            Assert.That(u, Is.EqualTo(second.NextDouble()));
            differs |= u != third.NextDouble();
            Assert.That(u, Is.GreaterThanOrEqualTo(0).And.LessThan(1));
            sum += u;
        }
        Assert.That(differs, Is.True);
        Assert.That(sum / 100_000, Is.EqualTo(0.5).Within(Sigmas * Math.Sqrt(1.0 / 12 / 100_000)));
    }
}
