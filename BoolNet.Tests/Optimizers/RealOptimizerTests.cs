using BoolNet.Layers;
using BoolNet.Train.Optimizers;

namespace BoolNet.Tests.Optimizers;

/// <summary>Adam and SGD against their textbook updates.</summary>
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
