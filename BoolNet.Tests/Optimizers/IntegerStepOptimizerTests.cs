using BoolNet.Layers;
using BoolNet.Training.Optimizers;

namespace BoolNet.Tests.Optimizers;

/// <summary>Step with reset: flip-with-reset lifted to integer weights (IntegerStepOptimizer).</summary>
public class IntegerStepOptimizerTests
{
    private static IntegerStepOptions Plain(double rate) =>
        new() { LearningRate = rate, Schedule = LearningRateSchedule.Constant, AdaptiveBeta = false };

    [Test]
    public void AccumulatesUntilAWholeStepThenStepsAgainstTheGradientAndResets()
    {
        var p = new IntegerParameter("w", IntegerRange.Int8, 3);
        p.Value[0] = 5;
        p.Value[1] = -3;
        p.Value[2] = 0;
        // Tensor RMS of [1, -1, 1] is 1, so q = g and m grows by 0.4 per step.
        var optimizer = new IntegerStepOptimizer(Plain(0.4));
        float[] g = [1f, -1f, 1f];
        for (int step = 0; step < 2; step++)
        {
            g.CopyTo(p.Gradient, 0);
            optimizer.Step([p], new StepInfo(step, 10));
            Assert.That(p.Value, Is.EqualTo(new[] { 5, -3, 0 }), $"|m| = {0.4 * (step + 1)} < 1: no step yet");
        }
        g.CopyTo(p.Gradient, 0);
        optimizer.Step([p], new StepInfo(2, 10));
        Assert.That(p.Value, Is.EqualTo(new[] { 4, -2, -1 }), "|m| = 1.2: one step against the gradient's sign");
        IReadOnlyList<ParameterReport> report = optimizer.TakeReport([p]);
        Assert.That(report[0].FlipRatio, Is.EqualTo(3.0 / (3 * 3)).Within(1e-12), "3 units moved over 3 weights x 3 steps");
        Assert.That(report[0].MaxAccumulator, Is.LessThan(1), "the accumulators were reset");
    }

    [Test]
    public void LargePushesTakeSeveralWholeStepsAndSaturateAtTheRange()
    {
        var p = new IntegerParameter("w", IntegerRange.Int8, 2);
        p.Value[0] = 126;
        p.Value[1] = 0;
        var optimizer = new IntegerStepOptimizer(Plain(3.5));
        p.Gradient[0] = -1f; // push +3.5 -> +3 steps, saturating at 127
        p.Gradient[1] = 1f;  // push -3.5 -> -3 steps
        optimizer.Step([p], new StepInfo(0, 1));
        Assert.That(p.Value, Is.EqualTo(new[] { 127, -3 }));

        // Four units moved over two weights: the adaptive beta stays at 0, not -1, and the state saves and loads.
        var adaptive = new IntegerStepOptimizer(Plain(3.5) with { AdaptiveBeta = true });
        p.Value[0] = 0;
        p.Value[1] = 0;
        adaptive.Step([p], new StepInfo(0, 1));
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) adaptive.SaveState(writer, [p]);
        stream.Position = 0;
        using var reader = new BinaryReader(stream);
        Assert.DoesNotThrow(() => new IntegerStepOptimizer(Plain(3.5) with { AdaptiveBeta = true }).LoadState(reader, [p]));
    }

    [TestCase(IntegerSignalNormalization.Tensor)]
    [TestCase(IntegerSignalNormalization.Element)]
    public void ThreadCountDoesNotChangeTheWeightsAndStateRoundTrips(IntegerSignalNormalization normalization)
    {
        int[] Run(int threads, bool saveHalfway)
        {
            var p = new IntegerParameter("w", IntegerRange.Int8, 50_000, 100, 500);
            var random = new Random(3);
            for (int i = 0; i < p.Count; i++) p.Value[i] = random.Next(-20, 21);
            var options = new IntegerStepOptions { LearningRate = 0.7, Normalization = normalization };
            var optimizer = new IntegerStepOptimizer(options);
            for (int step = 0; step < 12; step++)
            {
                var gradients = new Random(100 + step);
                for (int i = 0; i < p.Count; i++) p.Gradient[i] = (float)(gradients.NextDouble() - 0.45) * 1e-3f;
                optimizer.Step([p], new StepInfo(step, 12, threads));
                if (saveHalfway && step == 5)
                {
                    using var stream = new MemoryStream();
                    using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) optimizer.SaveState(writer, [p]);
                    stream.Position = 0;
                    optimizer = new IntegerStepOptimizer(options);
                    using var reader = new BinaryReader(stream);
                    optimizer.LoadState(reader, [p]);
                }
            }
            return (int[])p.Value.Clone();
        }
        int[] one = Run(1, false);
        Assert.That(Run(2, false), Is.EqualTo(one));
        Assert.That(Run(2, true), Is.EqualTo(one), "a resumed optimizer continues exactly");
        Assert.That(one.Count(v => v != 0), Is.GreaterThan(0));
    }

    [Test]
    public void VectorPathEqualsTheScalarRuleOnOddLengthsAndAtTheRangeEnds()
    {
        foreach (int length in new[] { 0, 1, 7, 8, 9, 31, 4099 })
        {
            var random = new Random(length);
            int[] w = Enumerable.Range(0, length).Select(_ => random.Next(-127, 128)).ToArray();
            float[] m = Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            float[] g = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() - 0.5) * (random.Next(3) == 0 ? 1e6 : 4))).ToArray();
            (int[] W, float[] M, long Moved, float Max) Run(bool vector)
            {
                int[] weights = (int[])w.Clone();
                float[] accumulators = (float[])m.Clone();
                (long moved, float max) = IntegerStepOptimizer.ApplyTensor(weights, g, accumulators, IntegerRange.Int8, 0.9f, 0.7f, vector);
                return (weights, accumulators, moved, max);
            }
            var scalar = Run(false);
            var vector = Run(true);
            Assert.That(vector.W, Is.EqualTo(scalar.W), $"length {length}");
            Assert.That(vector.M, Is.EqualTo(scalar.M), $"length {length}");
            Assert.That((vector.Moved, vector.Max), Is.EqualTo((scalar.Moved, scalar.Max)), $"length {length}");
            Assert.That(scalar.W.All(v => v is >= -127 and <= 127));
        }
    }

    [Test]
    public void NonFiniteGradientIsAClearError()
    {
        var p = new IntegerParameter("w", IntegerRange.Int8, 2);
        p.Gradient[1] = float.NaN;
        var error = Assert.Throws<InvalidOperationException>(() => new IntegerStepOptimizer().Step([p], new StepInfo(0, 1)));
        Assert.That(error!.Message, Does.Contain("'w'").And.Contain("NaN"));
    }

    [Test]
    public void CorruptStateIsRejected()
    {
        var p = new IntegerParameter("w", IntegerRange.Int8, 2);
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(2);
            writer.Write(1.5f); // beta outside [0, 1]
            writer.Write(0L);
            writer.Write(0f);
            writer.Write(0f);
        }
        stream.Position = 0;
        using var reader = new BinaryReader(stream);
        Assert.Throws<InvalidDataException>(() => new IntegerStepOptimizer().LoadState(reader, [p]));
    }
}
