using BoolNet.Layers;
using BoolNet.Training.Optimizers;

namespace BoolNet.Tests.Optimizers;

/// <summary>Adam and SGD against their textbook updates.</summary>
[Category("Isa")]
public class RealOptimizerTests
{
    [Test]
    public void AdamFirstStepMovesEachValueByTheLearningRateAgainstTheGradientSign()
    {
        var p = new RealParameter("w", 3);
        p.Value[0] = 1; p.Value[1] = 2; p.Value[2] = 3;
        p.Gradient[0] = 0.5f; p.Gradient[1] = -2f; p.Gradient[2] = 0f;
        var adam = new AdamOptimizer(new RealOptimizerOptions { LearningRate = 0.1, Schedule = LearningRateSchedule.Constant });
        adam.Step([p], new StepInfo(0, 1));
        Assert.That(p.Value[0], Is.EqualTo(0.9f).Within(1e-5));
        Assert.That(p.Value[1], Is.EqualTo(2.1f).Within(1e-5));
        Assert.That(p.Value[2], Is.EqualTo(3f));
    }

    [TestCase(0, 1)]
    [TestCase(1, 1)]
    [TestCase(7, 2)]
    [TestCase(8, 2)]
    [TestCase(17, 1)]
    [TestCase(4099, 2)]
    [TestCase(300_003, 2)]
    public void AdamVectorAndThreadedStepsEqualTheScalarLoopBitForBit(int count, int threads)
    {
        var random = new Random(count);
        var p = new RealParameter("w", count);
        for (int i = 0; i < count; i++) p.Value[i] = (float)(random.NextDouble() * 2 - 1);
        float[] value = (float[])p.Value.Clone(), m = new float[count], v = new float[count];
        var options = new RealOptimizerOptions { LearningRate = 0.01, Schedule = LearningRateSchedule.Cosine };
        var adam = new AdamOptimizer(options);
        float b1 = (float)options.Beta1, b2 = (float)options.Beta2, eps = (float)options.Epsilon;
        for (int t = 1; t <= 3; t++)
        {
            for (int i = 0; i < count; i++) p.Gradient[i] = (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 2)));
            var step = new StepInfo(t - 1, 10, threads);
            adam.Step([p], step);
            // The textbook scalar update, in the order the class documents.
            float lr = (float)Schedules.Rate(options.LearningRate, options.Schedule, step);
            float c1 = (float)(1 - Math.Pow(options.Beta1, t)), c2 = (float)(1 - Math.Pow(options.Beta2, t));
            for (int i = 0; i < count; i++)
            {
                float g = p.Gradient[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                value[i] -= lr * (m[i] / c1) / (MathF.Sqrt(v[i] / c2) + eps);
            }
            Assert.That(p.Value, Is.EqualTo(value), $"step {t}");
        }
    }

    [Test]
    public void SgdMomentumAccumulatesVelocityAndCosineReachesZero()
    {
        var p = new RealParameter("w", 1);
        p.Gradient[0] = 1f;
        var sgd = new SgdOptimizer(new RealOptimizerOptions { Kind = RealOptimizerKind.Sgd, LearningRate = 0.1, Momentum = 0.5, Schedule = LearningRateSchedule.Constant });
        sgd.Step([p], new StepInfo(0, 2));
        sgd.Step([p], new StepInfo(1, 2));
        Assert.That(p.Value[0], Is.EqualTo(-0.1f - 0.15f).Within(1e-6));
        Assert.That(Schedules.Rate(2, LearningRateSchedule.Cosine, new StepInfo(0, 10)), Is.EqualTo(2));
        Assert.That(Schedules.Rate(2, LearningRateSchedule.Cosine, new StepInfo(5, 10)), Is.EqualTo(1).Within(1e-12));
        Assert.That(Schedules.Rate(2, LearningRateSchedule.Cosine, new StepInfo(10, 10)), Is.EqualTo(0).Within(1e-12));
    }

    [Test]
    public void OptimizersRejectParametersOfTheWrongKind()
    {
        var adam = new AdamOptimizer(new RealOptimizerOptions());
        Assert.Throws<ArgumentException>(() => adam.Step([new BooleanParameter("b", 1, 1)], new StepInfo(0, 1)));
        var boolean = new BooleanOptimizer();
        Assert.Throws<ArgumentException>(() => boolean.Step([new RealParameter("r", 1)], new StepInfo(0, 1)));
    }
}
