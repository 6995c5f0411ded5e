using BoolNet.Core.Randomness;

// Not "BoolNet.Tests.Random": that namespace would hide System.Random from the other test namespaces.
namespace BoolNet.Tests.Randomness;

public class DeterministicRandomTests
{
    [Test]
    public void XoshiroMatchesTheReferenceTestVector()
    {
        // Outputs of the reference xoshiro256starstar.c from state {1, 2, 3, 4} (also the test vector of
        // Rust's rand_xoshiro crate).
        ulong[] expected = [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360, 607988272756665600,
            16172922978634559625, 8476171486693032832, 10595114339597558777, 2904607092377533576];
        var random = DeterministicRandom.FromState([1, 2, 3, 4]);
        Assert.That(expected.Select(_ => random.NextUInt64()), Is.EqualTo(expected));
    }

    [Test]
    public void SplitMix64MatchesTheReferenceFromSeedZero()
    {
        ulong x = 0;
        Assert.That(DeterministicRandom.SplitMix64(ref x), Is.EqualTo(0xE220A8397B1DCDAFUL));
        Assert.That(DeterministicRandom.SplitMix64(ref x), Is.EqualTo(0x6E789E6AA1B965F4UL));
        Assert.That(DeterministicRandom.SplitMix64(ref x), Is.EqualTo(0x06C45D188009454FUL));
    }

    [Test]
    public void PermutationIsPinnedAcrossVersions()
    {
        // Contract: the data order for (seed, epoch) never changes (every trained weight depends on it).
        // Values from an independent Python transcription of the counter hash and Fisher-Yates, checked
        // against the trainer's former private shuffle (Trainer.Shuffle) before it was replaced by this one.
        Assert.That(DeterministicRandom.Permutation(1, 0, 10), Is.EqualTo(new[] { 2, 7, 3, 8, 4, 6, 1, 0, 5, 9 }));
        Assert.That(DeterministicRandom.Permutation(1, 1, 10), Is.EqualTo(new[] { 6, 4, 2, 0, 7, 9, 5, 8, 1, 3 }));
        Assert.That(DeterministicRandom.Permutation(42, 3, 12), Is.EqualTo(new[] { 7, 11, 9, 3, 1, 6, 8, 4, 0, 2, 5, 10 }));
        // A negative int seed is sign-extended, as the trainer has always done ((ulong)seed).
        Assert.That(DeterministicRandom.Permutation(unchecked((ulong)-5), 2, 10), Is.EqualTo(new[] { 6, 9, 1, 2, 8, 4, 0, 5, 7, 3 }));
        var random = new DeterministicRandom(12345);
        Assert.That(new[] { random.NextUInt64(), random.NextUInt64(), random.NextUInt64() },
            Is.EqualTo(new[] { 13720838825685603483UL, 2398916695208396998UL, 17770384849984869256UL }));
    }

    [Test]
    public void SameSeedSameSequenceDifferentSeedOrStreamDifferent()
    {
        var a = new DeterministicRandom(7, 3);
        var b = new DeterministicRandom(7, 3);
        var draws = Enumerable.Range(0, 100).Select(_ => a.NextUInt64()).ToArray();
        Assert.That(Enumerable.Range(0, 100).Select(_ => b.NextUInt64()), Is.EqualTo(draws));
        Assert.That(Enumerable.Range(0, 100).Select(_ => new DeterministicRandom(7, 4).NextUInt64()), Is.Not.EqualTo(draws));
        Assert.That(DeterministicRandom.Derive(1, 0), Is.Not.EqualTo(DeterministicRandom.Derive(0, 1)));
    }

    [Test]
    public void PermutationsAreValidAndDifferPerSeedAndEpoch()
    {
        foreach (int count in new[] { 0, 1, 2, 63, 1000 })
        {
            var order = DeterministicRandom.Permutation(99, 5, count);
            Assert.That(order.Order(), Is.EqualTo(Enumerable.Range(0, count)));
            Assert.That(DeterministicRandom.Permutation(99, 5, count), Is.EqualTo(order));
        }
        Assert.That(DeterministicRandom.Permutation(99, 6, 1000), Is.Not.EqualTo(DeterministicRandom.Permutation(99, 5, 1000)));
        Assert.That(DeterministicRandom.Permutation(98, 5, 1000), Is.Not.EqualTo(DeterministicRandom.Permutation(99, 5, 1000)));
        Assert.Throws<ArgumentOutOfRangeException>(() => DeterministicRandom.Permutation(1, 0, -1));
    }

    [Test]
    public void HashIsTheSplitMix64SequenceWithoutState()
    {
        // Hash(seed, i) is the (i + 1)-th SplitMix64 output from seed.
        ulong x = 12345;
        for (ulong i = 0; i < 5; i++) Assert.That(DeterministicRandom.Hash(12345, i), Is.EqualTo(DeterministicRandom.SplitMix64(ref x)));
    }

    [Test]
    public void PermutationVisitsEveryArrangementEvenly()
    {
        // 3! = 6 arrangements, 60000 epochs: each ~10000 (sd ~91); a biased shuffle is off by thousands.
        var counts = new Dictionary<string, int>();
        for (int epoch = 0; epoch < 60000; epoch++)
        {
            string key = string.Join(',', DeterministicRandom.Permutation(1, epoch, 3));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        Assert.That(counts, Has.Count.EqualTo(6));
        Assert.That(counts.Values, Has.All.InRange(9600, 10400));
    }

    [Test]
    public void BoundedIntegersStayInRangeAndAreUniform()
    {
        var random = new DeterministicRandom(2024);
        var counts = new int[10];
        for (int i = 0; i < 100000; i++) counts[random.NextInt(10)]++;
        // Chi-square with 9 degrees of freedom: 27.9 is the 0.1% critical value.
        double chiSquare = counts.Sum(c => (c - 10000.0) * (c - 10000.0) / 10000.0);
        Assert.That(chiSquare, Is.LessThan(27.9));

        for (int i = 0; i < 1000; i++)
        {
            Assert.That(random.NextInt(1), Is.Zero);
            Assert.That(random.NextInt(-5, 5), Is.InRange(-5, 4));
            Assert.That(random.NextInt(int.MinValue, int.MaxValue), Is.LessThan(int.MaxValue));
            Assert.That(random.NextLong(3), Is.InRange(0, 2));
            Assert.That(random.NextLong(long.MaxValue), Is.InRange(0, long.MaxValue - 1));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => random.NextInt(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => random.NextInt(3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => random.NextLong(-1));
    }

    [Test]
    public void FloatingDrawsAreInTheUnitIntervalWithTheRightMoments()
    {
        var random = new DeterministicRandom(3);
        double sum = 0, sumSquares = 0;
        const int n = 100000;
        for (int i = 0; i < n; i++)
        {
            double u = random.NextDouble();
            float f = random.NextSingle();
            Assert.That(u, Is.GreaterThanOrEqualTo(0.0).And.LessThan(1.0));
            Assert.That(f, Is.GreaterThanOrEqualTo(0f).And.LessThan(1f));
            sum += u;
            sumSquares += u * u;
        }
        Assert.That(sum / n, Is.EqualTo(0.5).Within(0.005));
        Assert.That(sumSquares / n - sum / n * (sum / n), Is.EqualTo(1.0 / 12).Within(0.002));
    }

    [Test]
    public void NormalDrawsHaveMeanZeroAndUnitVariance()
    {
        var random = new DeterministicRandom(4);
        const int n = 100000;
        var values = Enumerable.Range(0, n).Select(_ => random.NextNormal()).ToArray();
        double mean = values.Average();
        double variance = values.Select(v => (v - mean) * (v - mean)).Average();
        Assert.That(mean, Is.EqualTo(0).Within(0.015));
        Assert.That(variance, Is.EqualTo(1).Within(0.02));
        Assert.That(values.Count(v => Math.Abs(v) < 1) / (double)n, Is.EqualTo(0.6827).Within(0.01));
        Assert.That(values.All(double.IsFinite));
        var shifted = new DeterministicRandom(4);
        Assert.That(shifted.NextNormal(10, 2), Is.EqualTo(10 + 2 * values[0]).Within(1e-12));
    }

    [Test]
    public void CoinsBernoulliAndBytes()
    {
        var random = new DeterministicRandom(8);
        int heads = Enumerable.Range(0, 20000).Count(_ => random.NextBoolean());
        Assert.That(heads, Is.InRange(9700, 10300));
        int hits = Enumerable.Range(0, 20000).Count(_ => random.NextBernoulli(0.25));
        Assert.That(hits, Is.InRange(4800, 5200));
        Assert.That(Enumerable.Range(0, 100).Any(_ => random.NextBernoulli(0)), Is.False);
        Assert.That(Enumerable.Range(0, 100).All(_ => random.NextBernoulli(1)), Is.True);
        Assert.Throws<ArgumentOutOfRangeException>(() => random.NextBernoulli(double.NaN));

        var bytes = new byte[13];
        random.NextBytes(bytes);
        Assert.That(bytes.Count(b => b != 0), Is.GreaterThan(8));
        Assert.Throws<ArgumentException>(() => DeterministicRandom.FromState([0, 0, 0, 0]));
    }
}
