using BoolNet.Layers;
using BoolNet.Training;
using BoolNet.Training.Data;
using BoolNet.Training.Models;
using BoolNet.Training.Optimizers;

namespace BoolNet.Tests.Data;

/// <summary>Training-image augmentation: each output is a mirror/shift of the input, draws cover every case, runs stay reproducible.</summary>
public class AugmentationTests
{
    private static readonly TensorShape Shape = new(7, 9, 2);

    private static byte[] RandomImage(int seed)
    {
        var random = new Random(seed);
        var image = new byte[Shape.Size];
        for (int i = 0; i < image.Length; i++) image[i] = (byte)random.Next(1, 256); // no zeros, so zero fill is visible
        return image;
    }

    /// <summary>Independent reference: target(y, x, c) = source(y - dy, x' - dx, c), x' = x or its mirror W - 1 - x; zero outside.</summary>
    private static float[] Transformed(byte[] image, bool mirror, int dx, int dy)
    {
        var result = new float[image.Length];
        for (int y = 0; y < Shape.Height; y++)
            for (int x = 0; x < Shape.Width; x++)
                for (int c = 0; c < Shape.Channels; c++)
                {
                    int sy = y - dy, sx = (mirror ? Shape.Width - 1 - x : x) - dx;
                    if (sy < 0 || sy >= Shape.Height || sx < 0 || sx >= Shape.Width) continue;
                    result[(y * Shape.Width + x) * Shape.Channels + c] = image[(sy * Shape.Width + sx) * Shape.Channels + c];
                }
        return result;
    }

    [Test]
    public void NoneCopiesTheImage()
    {
        byte[] image = RandomImage(1);
        var target = new float[image.Length];
        Augmentation.Apply(AugmentationKind.None, image, target, Shape, key: 12345);
        Assert.That(target, Is.EqualTo(image.Select(b => (float)b).ToArray()));
    }

    [TestCase(AugmentationKind.Flip, 0)]
    [TestCase(AugmentationKind.FlipShift, Augmentation.MaxShift)]
    public void EveryDrawIsAMirrorOrShiftAndAllOccur(AugmentationKind kind, int maxShift)
    {
        byte[] image = RandomImage(2);
        var seen = new HashSet<(bool, int, int)>();
        var target = new float[image.Length];
        for (int position = 0; position < 600; position++)
        {
            Augmentation.Apply(kind, image, target, Shape, Augmentation.Key(seed: 5, epoch: 3, position));
            (bool, int, int)? match = null;
            foreach (bool mirror in new[] { false, true })
                for (int dx = -maxShift; dx <= maxShift; dx++)
                    for (int dy = -maxShift; dy <= maxShift; dy++)
                        if (match is null && Transformed(image, mirror, dx, dy).AsSpan().SequenceEqual(target)) match = (mirror, dx, dy);
            Assert.That(match, Is.Not.Null, $"draw {position} is not a mirror/shift of the input");
            seen.Add(match!.Value);
        }
        int side = 2 * maxShift + 1;
        Assert.That(seen, Has.Count.EqualTo(2 * side * side), "every mirror and shift should be drawn");
    }

    [Test]
    public void WrongSizesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => Augmentation.Apply(AugmentationKind.Flip, new byte[5], new float[Shape.Size], Shape, 0));
    }

    [Test]
    public void AugmentedTrainingIsReproducibleAcrossThreadsAndChangesTheRun()
    {
        Dataset data = Training.TrainerTests.Synthetic(train: 600, test: 100);
        var settings = new ModelSettings { Hidden = [64, 32] };
        Trainer Run(int threads, AugmentationKind kind)
        {
            var options = new TrainingOptions
            {
                Epochs = 1, BatchSize = 100, Seed = 4, Threads = threads, Augmentation = kind,
                Boolean = new BooleanOptimizerOptions { LearningRate = 0.2, NormalizeSignal = true },
            };
            var trainer = new Trainer(ModelCatalog.BuildMlp(new ModelRequest(new TensorShape(28, 28, 1), 10, 4, settings)), options);
            trainer.Run(data);
            return trainer;
        }
        Trainer one = Run(1, AugmentationKind.FlipShift), two = Run(2, AugmentationKind.FlipShift), plain = Run(2, AugmentationKind.None);
        Assert.That(two.History[0].TrainLoss, Is.EqualTo(one.History[0].TrainLoss));
        Assert.That(two.History[0].TestAccuracy, Is.EqualTo(one.History[0].TestAccuracy));
        Assert.That(plain.History[0].TrainLoss, Is.Not.EqualTo(one.History[0].TrainLoss), "augmentation must change what is trained on");
    }
}
