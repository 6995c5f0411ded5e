using BoolNet.Layers;
using static BoolNet.Tests.Layers.LayerTestHelpers;

namespace BoolNet.Tests.Layers;

/// <summary>
/// <see cref="Workspace"/>: arrays lent within a step are distinct and come back after a recycle, and
/// layers that take their outputs and gradients from a poisoned workspace (recycled arrays full of
/// NaN) give exactly what they give with fresh arrays, step after step: no layer reads an element of
/// a lent array before writing it.
/// </summary>
public class WorkspaceTests
{
    [Test]
    public void LentArraysAreDistinctWithinAStepAndReusedAfterARecycle()
    {
        var workspace = new Workspace();
        float[] a = workspace.Floats(100), b = workspace.Floats(100), c = workspace.Floats(7);
        Assert.That(b, Is.Not.SameAs(a));
        Assert.That(c, Has.Length.EqualTo(7));
        long bytes = workspace.Bytes;
        workspace.Recycle();
        float[] again = workspace.Floats(100), again2 = workspace.Floats(100), third = workspace.Floats(100);
        Assert.That(new[] { again, again2 }, Is.EquivalentTo(new[] { a, b }), "both 100-float arrays come back");
        Assert.That(third, Is.Not.SameAs(a).And.Not.SameAs(b), "a third one is new");
        Assert.That(workspace.Bytes, Is.EqualTo(bytes + 400));
        Assert.Throws<ArgumentOutOfRangeException>(() => workspace.Floats(-1));
    }

    [Test]
    public void ContextWithoutWorkspaceAllocates()
    {
        var context = new LayerContext();
        Assert.That(context.Floats(5), Is.Not.SameAs(context.Floats(5)));
    }

    [TestCase(6)]
    [TestCase(0)]
    public void LayersGiveTheSameResultsFromAPoisonedWorkspace(int planes)
    {
        // float first layer -> BN -> threshold -> Boolean linear -> BN -> threshold -> float head,
        // as the default MLP; three steps so every array is recycled at least twice.
        Network Build() => new([
            new RealLinear(TensorShape.Vector(40), 64, new Random(1), bias: false, inputScale: 1f / 255f),
            new BatchNorm(TensorShape.Vector(64)),
            new ThresholdActivation(TensorShape.Vector(64)),
            new BooleanLinear(64, 48, new Random(2), signal: planes > 0 ? new SignalSettings(planes) : SignalSettings.Exact),
            new BatchNorm(TensorShape.Vector(48)),
            new ThresholdActivation(TensorShape.Vector(48)),
            new RealLinear(TensorShape.Vector(48), 10, new Random(3)),
        ]);
        Network fresh = Build(), pooled = Build();
        var workspace = new Workspace(poison: true);
        var random = new Random(4);
        for (int step = 0; step < 3; step++)
        {
            int count = 30 + step; // a new batch size on the way
            float[] input = Enumerable.Range(0, count * 40).Select(_ => (float)random.Next(256)).ToArray();
            float[] gradient = RandomReals(random, count * 10);
            workspace.Recycle();
            var freshContext = new LayerContext { Training = true, Threads = 2, Step = step };
            var pooledContext = new LayerContext { Training = true, Threads = 2, Step = step, Workspace = workspace };
            float[] freshOutput = fresh.Forward(Batch.FromReal(input, count, TensorShape.Vector(40)), freshContext).RequireReal("test");
            float[] pooledOutput = pooled.Forward(Batch.FromReal(input, count, TensorShape.Vector(40)), pooledContext).RequireReal("test");
            Assert.That(pooledOutput, Is.EqualTo(freshOutput), $"outputs, step {step}");
            fresh.Backward(gradient, freshContext);
            pooled.Backward(gradient, pooledContext);
            var freshParameters = fresh.Parameters.Select(entry => entry.Parameter).ToList();
            var pooledParameters = pooled.Parameters.Select(entry => entry.Parameter).ToList();
            for (int p = 0; p < freshParameters.Count; p++)
            {
                float[] expected = freshParameters[p] switch { RealParameter r => r.Gradient, BooleanParameter b => b.Signal, _ => [] };
                float[] actual = pooledParameters[p] switch { RealParameter r => r.Gradient, BooleanParameter b => b.Signal, _ => [] };
                Assert.That(actual, Is.EqualTo(expected), $"parameter {p} signal, step {step}");
                Assert.That(actual.All(float.IsFinite), Is.True, $"parameter {p}: no poison leaked");
            }
        }
        Assert.That(workspace.Bytes, Is.GreaterThan(0), "the layers did use the workspace");
    }
}
