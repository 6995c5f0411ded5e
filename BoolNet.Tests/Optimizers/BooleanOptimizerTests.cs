using BoolNet.Core.Operators;
using BoolNet.Layers;
using BoolNet.Training.Optimizers;

namespace BoolNet.Tests.Optimizers;

/// <summary>Flip with reset (docs/ALGORITHMS.md section 4) and its error-feedback form (Leconte Alg. 3).</summary>
[Category("Isa")]
public class BooleanOptimizerTests
{
    private static BooleanParameter Weights(int rows, int columns, int seed)
    {
        var parameter = new BooleanParameter("weight", rows, columns);
        parameter.Weights.Randomize(new Random(seed));
        return parameter;
    }

    [Test]
    public void TrueWeightWithAccumulatorAtOneFlipsToFalseAndResets()
    {
        var p = new BooleanParameter("weight", 1, 4);
        p.Weights[0, 0] = true;  // q = +0.6 twice: m = 0.6 then 1.2 -> flips to FALSE on step 2
        p.Weights[0, 1] = false; // q = +0.6: the loss grows with e(w), and w is already FALSE: never flips
        p.Weights[0, 2] = false; // q = -1.0: m = -1 on step 1 -> flips to TRUE
        p.Weights[0, 3] = true;  // q = -5: wrong sign for a TRUE flip
        var optimizer = new BooleanOptimizer(new BooleanOptimizerOptions { LearningRate = 1, Schedule = LearningRateSchedule.Constant, AdaptiveBeta = false });
        float[] q = [0.6f, 0.6f, -1f, -5f];
        q.CopyTo(p.Signal, 0);
        optimizer.Step([p], new StepInfo(0, 2));
        Assert.That(p.Weights[0, 0], Is.True);
        Assert.That(p.Weights[0, 2], Is.True, "m = -1 reaches the threshold of a FALSE weight (>= 1 rule, tie included)");
        Assert.That(optimizer.Accumulator(p), Is.EqualTo(new[] { 0.6f, 0.6f, 0f, -5f }));
        optimizer.Step([p], new StepInfo(1, 2));
        Assert.That(p.Weights[0, 0], Is.False);
        Assert.That(p.Weights[0, 1], Is.False);
        Assert.That(p.Weights[0, 2], Is.True, "now TRUE, its reset accumulator goes to -1: the signal agrees with the weight, no flip");
        Assert.That(optimizer.Accumulator(p)[2], Is.EqualTo(-1f));
        Assert.That(p.Weights[0, 3], Is.True);
        Assert.That(optimizer.Accumulator(p)[0], Is.EqualTo(0f), "reset after the flip");
    }

    [Test]
    public void BetaIsOneMinusTheFlipRatioAndTheReportCountsFlips()
    {
        BooleanParameter p = Weights(10, 10, 1);
        var optimizer = new BooleanOptimizer(new BooleanOptimizerOptions { LearningRate = 1, Schedule = LearningRateSchedule.Constant });
        // Make exactly the TRUE weights of row 0 flip: q = +2 there, 0 elsewhere.
        int expectedFlips = 0;
        for (int c = 0; c < 10; c++)
            if (p.Weights[0, c]) { p.Signal[c] = 2f; expectedFlips++; }
        Assert.That(expectedFlips, Is.GreaterThan(0));
        optimizer.Step([p], new StepInfo(0, 10));
        Assert.That(optimizer.Beta(p), Is.EqualTo(1f - expectedFlips / 100f).Within(1e-6));
        IReadOnlyList<ParameterReport> report = optimizer.TakeReport([p]);
        Assert.That(report[0].FlipRatio, Is.EqualTo(expectedFlips / 100.0).Within(1e-9));
        Assert.That(optimizer.TakeReport([p])[0].FlipRatio, Is.EqualTo(0), "the report resets");
    }

    /// <summary>
    /// Leconte Alg. 3 with beta = 1 in +-1 arithmetic, driven by the same signals, must give the same
    /// weights at every step: m_t = eta q_t + e_t; D = Q1(m, w) = w (relu(w m - 1) + sign(w m - 1)/2 + 1/2);
    /// w' = sign(w - D); e' = m - D. Signals are drawn so that w m = 1 exactly cannot occur.
    /// </summary>
    [TestCase(AccumulatorType.Float32, 70, 0.0)]
    [TestCase(AccumulatorType.Float32, 130, 3.0)]
    public void EqualsTheErrorFeedbackFormAtEveryStep(AccumulatorType type, int columns, double clip)
    {
        const int rows = 9, steps = 60;
        BooleanParameter p = Weights(rows, columns, 3);
        var random = new Random(4);
        var optimizer = new BooleanOptimizer(new BooleanOptimizerOptions
        {
            LearningRate = 0.7, Schedule = LearningRateSchedule.Cosine, AdaptiveBeta = false, Clip = clip, Accumulator = type,
        });
        int n = rows * columns;
        var w = new double[n];
        var e = new double[n];
        for (int i = 0; i < n; i++) w[i] = p.Weights[i / columns, i % columns] ? 1 : -1;
        long flips = 0;
        for (int t = 0; t < steps; t++)
        {
            var step = new StepInfo(t, steps, Threads: 2);
            double eta = (float)optimizer.Rate(step);
            for (int i = 0; i < n; i++) p.Signal[i] = (float)(random.NextDouble() * 2 - 1) * 1.3f;
            optimizer.Step([p], step);
            for (int i = 0; i < n; i++)
            {
                // Same float arithmetic as the optimizer for m, then the EF form on it.
                float m32 = (float)(1f * (float)e[i] + (float)eta * p.Signal[i]);
                if (clip > 0) m32 = Math.Clamp(m32, -(float)clip, (float)clip);
                double m = m32;
                Assume.That(w[i] * m, Is.Not.EqualTo(1.0));
                double wm = w[i] * m;
                double d = w[i] * (Math.Max(wm - 1, 0) + Math.Sign(wm - 1) / 2.0 + 0.5);
                double next = Math.Sign(w[i] - d);
                if (next != w[i]) flips++;
                e[i] = m - d;
                w[i] = next;
                Assert.That(p.Weights[i / columns, i % columns] ? 1 : -1, Is.EqualTo(w[i]), $"weight {i} at step {t}");
                Assert.That(optimizer.Accumulator(p)[i], Is.EqualTo((float)e[i]).Within(1e-6), $"accumulator {i} at step {t}");
            }
        }
        Assert.That(flips, Is.GreaterThan(n / 10), "the test must exercise flips");
    }

    [Test]
    public void AtTheTieTheFlipRuleFlipsWhileTheErrorFeedbackFormHalves()
    {
        // Documented difference: w m = 1 exactly. Flip rule (spec, >= 1): flip and reset.
        var p = new BooleanParameter("weight", 1, 1);
        p.Weights[0, 0] = true;
        p.Signal[0] = 1f;
        var optimizer = new BooleanOptimizer(new BooleanOptimizerOptions { LearningRate = 1, Schedule = LearningRateSchedule.Constant, AdaptiveBeta = false });
        optimizer.Step([p], new StepInfo(0, 1));
        Assert.That(p.Weights[0, 0], Is.False);
        Assert.That(optimizer.Accumulator(p)[0], Is.EqualTo(0f));
        // EF form with sign(0) = 0: D = w/2, w - D = w/2 keeps the sign, e = m - w/2 = 1/2.
        double w = 1, m = 1, wm = w * m;
        double d = w * (Math.Max(wm - 1, 0) + Math.Sign(wm - 1) / 2.0 + 0.5);
        Assert.That(Math.Sign(w - d), Is.EqualTo(1));
        Assert.That(m - d, Is.EqualTo(0.5));
    }

    [Test]
    public void Int16AccumulatorTracksTheFloatOneWithinItsResolution()
    {
        BooleanParameter a = Weights(6, 100, 5), b = Weights(6, 100, 5);
        var floatOptimizer = new BooleanOptimizer(new BooleanOptimizerOptions { LearningRate = 0.3, Schedule = LearningRateSchedule.Constant });
        var fixedOptimizer = new BooleanOptimizer(new BooleanOptimizerOptions { LearningRate = 0.3, Schedule = LearningRateSchedule.Constant, Accumulator = AccumulatorType.Int16 });
        var random = new Random(6);
        int differing = 0;
        for (int t = 0; t < 20; t++)
        {
            for (int i = 0; i < a.Signal.Length; i++) a.Signal[i] = b.Signal[i] = (float)Math.Round(random.NextDouble() * 2 - 1, 2);
            floatOptimizer.Step([a], new StepInfo(t, 20));
            fixedOptimizer.Step([b], new StepInfo(t, 20));
        }
        float[] ma = floatOptimizer.Accumulator(a), mb = fixedOptimizer.Accumulator(b);
        for (int i = 0; i < ma.Length; i++)
        {
            if (a.Weights[i / 100, i % 100] != b.Weights[i / 100, i % 100]) { differing++; continue; }
            Assert.That(mb[i], Is.EqualTo(ma[i]).Within(0.01));
        }
        Assert.That(differing, Is.LessThan(ma.Length / 50), "rounding may move a rare threshold crossing, not many");
        Assert.That(fixedOptimizer.StateBytesPerValue(b), Is.EqualTo(2));
    }

    [Test]
    public void StateRoundTripsThroughSaveAndLoad()
    {
        BooleanParameter p = Weights(3, 70, 7);
        var optimizer = new BooleanOptimizer(new BooleanOptimizerOptions { LearningRate = 0.5, Schedule = LearningRateSchedule.Constant });
        var random = new Random(8);
        for (int i = 0; i < p.Signal.Length; i++) p.Signal[i] = (float)random.NextDouble();
        optimizer.Step([p], new StepInfo(0, 5));
        var stream = new MemoryStream();
        optimizer.SaveState(new BinaryWriter(stream), [p]);
        var restored = new BooleanOptimizer(optimizer.Options);
        stream.Position = 0;
        restored.LoadState(new BinaryReader(stream), [p]);
        Assert.That(restored.Accumulator(p), Is.EqualTo(optimizer.Accumulator(p)));
        Assert.That(restored.Beta(p), Is.EqualTo(optimizer.Beta(p)));
    }

    private static void Fill(float[] signal, Random random, float scale)
    {
        for (int i = 0; i < signal.Length; i++) signal[i] = (float)(random.NextDouble() * 2 - 1) * scale;
    }

    /// <summary>
    /// NormalizeSignal: each tensor's eta is divided by the RMS of its previous step's signal; the
    /// first step, with none yet, uses its own RMS (computed before the update, so it cannot be fused)
    /// and then pushes the accumulator by exactly eta in RMS. From then on the step fuses, and the
    /// fused step (rows applied as the backward would) equals the separate one bit for bit.
    /// </summary>
    [Test]
    public void NormalizedEtaIsDividedByThePreviousStepsSignalRmsAndFuses()
    {
        const double eta = 0.05;
        BooleanParameter fused = Weights(5, 37, 11), separate = Weights(5, 37, 11);
        var options = new BooleanOptimizerOptions { LearningRate = eta, Schedule = LearningRateSchedule.Constant, NormalizeSignal = true };
        BooleanOptimizer a = new(options), b = new(options);
        var random = new Random(12);
        Fill(separate.Signal, random, scale: 1e-3f);
        separate.Signal.CopyTo(fused.Signal, 0);
        float[] q = (float[])separate.Signal.Clone();
        double rms = BooleanOptimizer.RootMeanSquare(q);
        Assert.That(a.BeginFusedStep(fused, new StepInfo(0, 4)), Is.Null, "no previous RMS: the first step runs on its own");
        a.Step([fused], new StepInfo(0, 4));
        b.Step([separate], new StepInfo(0, 4));
        float[] m = b.Accumulator(separate);
        float rate = (float)((float)eta / rms);
        for (int i = 0; i < m.Length; i++) Assert.That(m[i], Is.EqualTo(rate * q[i]), $"m[{i}] = eta / rms(q) * q");
        Assert.That(BooleanOptimizer.RootMeanSquare(m), Is.EqualTo(eta).Within(1e-6), "the first push is eta in RMS");
        Assert.That(b.TakeReport([separate])[0].FlipRatio, Is.Zero);

        long flips = 0;
        for (int t = 1; t < 4; t++)
        {
            // A signal 10x stronger each step: eta still uses the previous, weaker RMS, so the push grows and weights flip.
            Fill(separate.Signal, random, scale: 1e-3f * MathF.Pow(10, t));
            separate.Signal.CopyTo(fused.Signal, 0);
            var step = new StepInfo(t, 4, Threads: 2);
            FlipWithResetRows rows = a.BeginFusedStep(fused, step) ?? throw new AssertionException("a step after the first must fuse");
            Assert.That(rows.Eta, Is.EqualTo((float)eta / rms).Within(1e-4).Percent, "eta / rms of the previous step's signal");
            rows.Apply(0, 2);
            rows.Apply(2, fused.Weights.Rows); // two row ranges, as two threads would
            a.Step([fused], step);
            b.Step([separate], step);
            Assert.That(fused.Weights.ContentEquals(separate.Weights), $"weights at step {t}");
            Assert.That(a.Accumulator(fused), Is.EqualTo(b.Accumulator(separate)), $"accumulators at step {t}");
            rms = BooleanOptimizer.RootMeanSquare(separate.Signal);
            flips += (long)Math.Round(b.TakeReport([separate])[0].FlipRatio * separate.Count);
        }
        Assert.That(flips, Is.GreaterThan(0), "the test must exercise flips");
    }

    [Test]
    public void TheReportCountsStepsAndStepsWithoutAFlip()
    {
        BooleanParameter p = Weights(4, 10, 2);
        var optimizer = new BooleanOptimizer(new BooleanOptimizerOptions { LearningRate = 1, Schedule = LearningRateSchedule.Constant });
        for (int t = 0; t < 3; t++)
        {
            for (int i = 0; i < p.Signal.Length; i++) p.Signal[i] = t == 2 ? (p.Weights[i / 10, i % 10] ? 2f : -2f) : 0f;
            optimizer.Step([p], new StepInfo(t, 3));
        }
        ParameterReport report = optimizer.TakeReport([p])[0];
        Assert.That(report.Steps, Is.EqualTo(3));
        Assert.That(report.StepsWithoutFlip, Is.EqualTo(2), "two all-zero signals, then every weight flips");
        Assert.That(report.FlipRatio, Is.EqualTo(1 / 3.0).Within(1e-12));
        Assert.That(optimizer.TakeReport([p])[0].StepsWithoutFlip, Is.Zero, "the report resets");
    }

    [Test]
    public void NormalizedStateKeepsTheSignalRmsAndRejectsABadOne()
    {
        BooleanParameter p = Weights(3, 70, 7), copy = Weights(3, 70, 7);
        var options = new BooleanOptimizerOptions { LearningRate = 0.2, Schedule = LearningRateSchedule.Constant, NormalizeSignal = true };
        var optimizer = new BooleanOptimizer(options);
        var random = new Random(8);
        Fill(p.Signal, random, scale: 0.01f);
        optimizer.Step([p], new StepInfo(0, 5));
        var stream = new MemoryStream();
        optimizer.SaveState(new BinaryWriter(stream), [p]);
        Assert.That(stream.Length, Is.EqualTo(4 + 4 + 8 + 4 * p.Count), "count, beta, RMS, accumulators");
        var restored = new BooleanOptimizer(options);
        stream.Position = 0;
        restored.LoadState(new BinaryReader(stream), [copy]);
        p.Weights.Words.CopyTo(copy.Weights.Words, 0);
        // The next step's eta comes from the stored RMS: both continue identically.
        Fill(p.Signal, random, scale: 5f);
        p.Signal.CopyTo(copy.Signal, 0);
        optimizer.Step([p], new StepInfo(1, 5));
        restored.Step([copy], new StepInfo(1, 5));
        Assert.That(restored.Accumulator(copy), Is.EqualTo(optimizer.Accumulator(p)));
        Assert.That(copy.Weights.ContentEquals(p.Weights));

        foreach (double bad in new[] { -1.0, double.NaN, double.PositiveInfinity })
        {
            byte[] bytes = stream.ToArray();
            BitConverter.GetBytes(bad).CopyTo(bytes, 8);
            var error = Assert.Throws<InvalidDataException>(() => new BooleanOptimizer(options).LoadState(new BinaryReader(new MemoryStream(bytes)), [copy]));
            Assert.That(error!.Message, Does.Contain("signal RMS"));
        }
    }
}
