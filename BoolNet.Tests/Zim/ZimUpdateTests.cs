using BoolNet.Layers;
using BoolNet.Training.Optimizers.Zim;

namespace BoolNet.Tests.Zim;

/// <summary>The ZIM update: its moments (Wilson et al. Prop. B.1), its invariants and its modes.</summary>
public class ZimUpdateTests
{
    private const double Sigmas = 6;

    private static IntegerParameter Parameter(string name, params float[] gradient)
    {
        var parameter = new IntegerParameter(name, gradient.Length);
        gradient.CopyTo(parameter.Gradient, 0);
        return parameter;
    }

    [TestCase(0.3, 1.0, 1.0, MultinomialMethod.Alias)]
    [TestCase(1.0, 0.05, 2.0, MultinomialMethod.Alias)]
    [TestCase(0.7, 0.5, 0.5, MultinomialMethod.Alias)]
    [TestCase(0.3, 1.0, 1.0, MultinomialMethod.ConditionalBinomial)]
    [TestCase(1.0, 0.05, 2.0, MultinomialMethod.ConditionalBinomial)]
    public void FirstAndSecondMomentsMatchTheZeroInflatedMultinomial(double eta, double smoothing, double trialFactor, MultinomialMethod method)
    {
        float[] gradient = { 0.4f, -2f, 0.05f, -0.3f, 1.2f, -0.01f, 0.8f, 3f };
        var parameter = Parameter("w", gradient);
        var update = new ZimUpdate(new ZimOptions { Eta = eta, Smoothing = smoothing, TrialFactor = trialFactor, Seed = 3, Sampler = method });
        int d = gradient.Length;
        long n = (long)Math.Round(trialFactor * d);
        double denominator = gradient.Sum(g => Math.Abs((double)g)) + d * smoothing;
        const int draws = 30_000;
        var sum = new double[d];
        var sumSquares = new double[d];
        var sumFourth = new double[d];
        for (int draw = 0; draw < draws; draw++)
        {
            Array.Clear(parameter.Value);
            update.Step(new[] { parameter });
            long total = 0;
            for (int i = 0; i < d; i++)
            {
                int change = parameter.Value[i];
                // The move is against the gradient's sign: X_i = -sign(g_i) * change >= 0.
                double x = -Math.Sign(gradient[i]) * change;
                Assert.That(x, Is.GreaterThanOrEqualTo(0));
                total += (long)x;
                sum[i] += x;
                sumSquares[i] += x * x;
                sumFourth[i] += x * x * x * x;
            }
            Assert.That(total == 0 || total == n, Is.True, $"counts sum to {total}, expected 0 or {n}");
        }
        for (int i = 0; i < d; i++)
        {
            double p = (Math.Abs(gradient[i]) + smoothing) / denominator;
            double mean = eta * n * p;
            double second = eta * (n * p * (1 - p) + (double)n * n * p * p);
            double varianceX = second - mean * mean;
            double empiricalSecond = sumSquares[i] / draws;
            double varianceSquare = Math.Max(sumFourth[i] / draws - empiricalSecond * empiricalSecond, 1e-12);
            Assert.That(sum[i] / draws, Is.EqualTo(mean).Within(Sigmas * Math.Sqrt(varianceX / draws)), $"E[X_{i}]");
            Assert.That(empiricalSecond, Is.EqualTo(second).Within(Sigmas * Math.Sqrt(varianceSquare / draws)), $"E[X_{i}^2]");
        }
    }

    [TestCase(MultinomialMethod.Alias)]
    [TestCase(MultinomialMethod.ConditionalBinomial)]
    public void ZeroGradientCoordinatesNeverMove(MultinomialMethod method)
    {
        // Large c gives the zero-gradient coordinates most of the probability mass; they still never move.
        var first = Parameter("a", 0f, 1f, 0f, -0.5f);
        var second = Parameter("b", 0f, 0f, 2f);
        var update = new ZimUpdate(new ZimOptions { Eta = 1, Smoothing = 10, Seed = 9, Sampler = method });
        long moved = 0;
        for (int step = 0; step < 2000; step++)
        {
            update.Step(new[] { first, second });
            Assert.That(first.Value[0], Is.EqualTo(0));
            Assert.That(first.Value[2], Is.EqualTo(0));
            Assert.That(second.Value[0], Is.EqualTo(0));
            Assert.That(second.Value[1], Is.EqualTo(0));
        }
        moved = update.UnitsMoved;
        Assert.That(moved, Is.GreaterThan(0), "the non-zero coordinates did move");
        Assert.That(first.Value[1], Is.LessThan(0), "positive gradient moves down");
        Assert.That(first.Value[3], Is.GreaterThan(0), "negative gradient moves up");
        Assert.That(second.Value[2], Is.LessThan(0));
    }

    [Test]
    public void GlobalModeDrawsOneMultinomialOverAllTensors()
    {
        // n = d = 7 trials shared by both tensors: every taken step moves exactly 7 units in total.
        var first = Parameter("a", 1f, -1f, 2f);
        var second = Parameter("b", 0.5f, -0.5f, 3f, -3f);
        var update = new ZimUpdate(new ZimOptions { Eta = 0.5, Seed = 4 });
        int taken = 0;
        for (int step = 0; step < 500; step++)
        {
            long before = first.Value.Sum(v => (long)Math.Abs(v)) + second.Value.Sum(v => (long)Math.Abs(v));
            long movedBefore = update.UnitsMoved;
            update.Step(new[] { first, second });
            long stepMoved = update.UnitsMoved - movedBefore;
            Assert.That(stepMoved == 0 || stepMoved == 7, Is.True);
            if (stepMoved > 0) taken++;
        }
        Assert.That(update.SkippedDraws + update.MultinomialDraws, Is.EqualTo(500));
        Assert.That(taken, Is.EqualTo(update.MultinomialDraws));
        Assert.That(taken, Is.InRange(250 - 6 * 11.2, 250 + 6 * 11.2), "eta = 0.5 of the steps are taken");
    }

    [Test]
    public void PerTensorModeUsesTheRootOfTheElementCount()
    {
        var matrix = new IntegerParameter("weight", 128 * 784, 128, 784);
        var bias = new IntegerParameter("bias", 10);
        Array.Fill(matrix.Gradient, 0.25f);
        Array.Fill(bias.Gradient, -1f);
        Assert.That(ZimUpdate.PerTensorTrials(matrix), Is.EqualTo(317)); // round(sqrt(100352))
        Assert.That(ZimUpdate.PerTensorTrials(bias), Is.EqualTo(10));
        var update = new ZimUpdate(new ZimOptions { Eta = 1, Trials = ZimTrials.PerTensor, Seed = 2 });
        update.Step(new[] { matrix, bias });
        Assert.That(matrix.Value.Sum(), Is.EqualTo(-317));
        Assert.That(bias.Value.Sum(), Is.EqualTo(10));
    }

    [Test]
    public void SameSeedReproducesDifferentSeedDiffers()
    {
        int[] Run(ulong seed)
        {
            var parameter = Parameter("w", Enumerable.Range(0, 1000).Select(i => (float)Math.Sin(i)).ToArray());
            var update = new ZimUpdate(new ZimOptions { Eta = 0.6, Seed = seed });
            for (int step = 0; step < 20; step++) update.Step(new[] { parameter });
            return parameter.Value;
        }
        Assert.That(Run(1), Is.EqualTo(Run(1)));
        Assert.That(Run(1), Is.Not.EqualTo(Run(2)));
    }

    [Test]
    public void ReferenceModeTakesEveryStep()
    {
        var parameter = Parameter("w", 1f, 2f, -3f);
        var update = new ZimUpdate(ZimOptions.Reference);
        for (int step = 0; step < 50; step++) update.Step(new[] { parameter });
        Assert.That(update.SkippedDraws, Is.EqualTo(0));
        Assert.That(update.UnitsMoved, Is.EqualTo(150));
    }

    [Test]
    public void CosineScheduleRunsFromEtaToItsMinimum()
    {
        var options = new ZimOptions { Eta = 0.8, EtaMinimum = 0.2, Schedule = ZimSchedule.Cosine, TotalSteps = 100 };
        Assert.That(options.EtaAt(0), Is.EqualTo(0.8).Within(1e-12));
        Assert.That(options.EtaAt(50), Is.EqualTo(0.5).Within(1e-12));
        Assert.That(options.EtaAt(100), Is.EqualTo(0.2).Within(1e-12));
        Assert.That(options.EtaAt(1000), Is.EqualTo(0.2).Within(1e-12));
        Assert.That(new ZimOptions { Eta = 0.3 }.EtaAt(77), Is.EqualTo(0.3));
    }

    [Test]
    public void InvalidSettingsAndGradientsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ZimUpdate(new ZimOptions { Eta = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ZimUpdate(new ZimOptions { Smoothing = 0 }));
        var parameter = Parameter("w", 1f, float.NaN);
        var update = new ZimUpdate(new ZimOptions { Eta = 1 });
        var error = Assert.Throws<InvalidOperationException>(() => update.Step(new[] { parameter }));
        Assert.That(error!.Message, Does.Contain("'w'"));
    }
}
