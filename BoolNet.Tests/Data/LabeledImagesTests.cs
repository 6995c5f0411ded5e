using BoolNet.Core.Randomness;
using BoolNet.Layers;
using BoolNet.Training.Data;

namespace BoolNet.Tests.Data;

public class LabeledImagesTests
{
    static LabeledImages Sample() =>
        new(Enumerable.Range(0, 5 * 6).Select(i => (byte)i).ToArray(), [0, 1, 2, 3, 4], new TensorShape(2, 3, 1));

    [Test]
    public void SubsetFollowsTheGivenOrder()
    {
        var subset = Sample().Subset([4, 0, 4]);
        Assert.That(subset.Labels, Is.EqualTo(new byte[] { 4, 0, 4 }));
        Assert.That(subset.Image(0).ToArray(), Is.EqualTo(new byte[] { 24, 25, 26, 27, 28, 29 }));
        Assert.That(subset.Image(1).ToArray(), Is.EqualTo(new byte[] { 0, 1, 2, 3, 4, 5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sample().Subset([5]));
    }

    [Test]
    public void ShuffledEpochKeepsImagesWithTheirLabels()
    {
        var images = Sample();
        var shuffled = images.Subset(DeterministicRandom.Permutation(seed: 3, epoch: 0, images.Count));
        for (int i = 0; i < shuffled.Count; i++)
            Assert.That(shuffled.Image(i)[0], Is.EqualTo(shuffled.Labels[i] * 6));
        Assert.That(shuffled.Labels.Order(), Is.EqualTo(images.Labels));
    }

    [Test]
    public void TakeCopiesAPrefix()
    {
        var first = Sample().Take(2);
        Assert.That(first.Count, Is.EqualTo(2));
        Assert.That(first.Pixels, Is.EqualTo(Enumerable.Range(0, 12).Select(i => (byte)i)));
        Assert.That(Sample().Take(99).Count, Is.EqualTo(5));
    }
}
