using BoolNet.Layers;
using BoolNet.Tests.IO;
using BoolNet.Training.Data;

namespace BoolNet.Tests.Data;

public class DatasetLoaderTests
{
    /// <summary>Writes the four IDX files of a small dataset (images height x width, pixel = f(index)).</summary>
    static void WriteIdxFolder(string folder, int trainCount, int testCount, int height, int width, bool gzip)
    {
        string suffix = gzip ? ".gz" : "";
        IdxWriter.Write(Path.Combine(folder, "train-images-idx3-ubyte" + suffix), IdxArray.FromBytes(Pixels(trainCount * height * width, 0), trainCount, height, width), gzip);
        IdxWriter.Write(Path.Combine(folder, "train-labels-idx1-ubyte" + suffix), IdxArray.FromBytes(Labels(trainCount), trainCount), gzip);
        IdxWriter.Write(Path.Combine(folder, "t10k-images-idx3-ubyte" + suffix), IdxArray.FromBytes(Pixels(testCount * height * width, 1), testCount, height, width), gzip);
        IdxWriter.Write(Path.Combine(folder, "t10k-labels-idx1-ubyte" + suffix), IdxArray.FromBytes(Labels(testCount), testCount), gzip);
    }

    static byte[] Pixels(int count, int salt) => Enumerable.Range(0, count).Select(i => (byte)(i * 13 + salt)).ToArray();
    static byte[] Labels(int count) => Enumerable.Range(0, count).Select(i => (byte)(i * 7 % 10)).ToArray();

    [Test]
    public void RealFashionMnist()
    {
        var dataset = DatasetLoader.Load();
        Assert.That(dataset.Name, Is.EqualTo("fashion-mnist"));
        Assert.That(dataset.ClassCount, Is.EqualTo(10));
        Assert.That(dataset.Train.Count, Is.EqualTo(60000));
        Assert.That(dataset.Test.Count, Is.EqualTo(10000));
        Assert.That(dataset.Train.Shape, Is.EqualTo(new TensorShape(28, 28, 1)));
        Assert.That(dataset.Test.Shape, Is.EqualTo(new TensorShape(28, 28, 1)));
        // Fashion-MNIST is balanced: 6000 training and 1000 test images per class.
        Assert.That(Histogram(dataset.Train.Labels), Is.EqualTo(Enumerable.Repeat(6000, 10)));
        Assert.That(Histogram(dataset.Test.Labels), Is.EqualTo(Enumerable.Repeat(1000, 10)));
        Assert.That(dataset.Train.Pixels.Max(), Is.EqualTo(255));
        // The first training image is an ankle boot (class 9); its border pixels are background.
        Assert.That(dataset.Train.Labels[0], Is.EqualTo(9));
        Assert.That(dataset.Train.Image(0)[0], Is.EqualTo(0));
    }

    static int[] Histogram(byte[] labels)
    {
        var counts = new int[10];
        foreach (byte label in labels) counts[label]++;
        return counts;
    }

    [TestCase(false)]
    [TestCase(true)]
    public void LoadsAFolderGivenWithData(bool gzip)
    {
        using var folder = new TemporaryFolder();
        WriteIdxFolder(folder.Path, 12, 5, height: 3, width: 4, gzip);
        foreach (string name in new[] { "mnist", "fashion-mnist", "Fashion_MNIST" })
        {
            var dataset = DatasetLoader.Load(name, folder.Path);
            Assert.That(dataset.Train.Count, Is.EqualTo(12));
            Assert.That(dataset.Test.Count, Is.EqualTo(5));
            Assert.That(dataset.Train.Shape, Is.EqualTo(new TensorShape(3, 4, 1)));
            Assert.That(dataset.Train.Pixels, Is.EqualTo(Pixels(12 * 12, 0)));
            Assert.That(dataset.Test.Pixels, Is.EqualTo(Pixels(5 * 12, 1)));
            Assert.That(dataset.Train.Labels, Is.EqualTo(Labels(12)));
        }
    }

    [Test]
    public void AcceptsTheDottedArchiveSpelling()
    {
        using var folder = new TemporaryFolder();
        WriteIdxFolder(folder.Path, 2, 2, 2, 2, gzip: false);
        File.Move(folder.File("train-images-idx3-ubyte"), folder.File("train-images.idx3-ubyte"));
        Assert.That(DatasetLoader.Load("mnist", folder.Path).Train.Count, Is.EqualTo(2));
    }

    [Test]
    public void FourDimensionalImagesAreNhwc()
    {
        using var folder = new TemporaryFolder();
        string images = folder.File("images");
        string labels = folder.File("labels");
        IdxWriter.Write(images, IdxArray.FromBytes(Pixels(2 * 2 * 3 * 3, 0), 2, 2, 3, 3));
        IdxWriter.Write(labels, IdxArray.FromBytes([1, 2], 2));
        var loaded = DatasetLoader.LoadIdxPair(images, labels);
        Assert.That(loaded.Shape, Is.EqualTo(new TensorShape(2, 3, 3)));
        Assert.That(loaded.Count, Is.EqualTo(2));
    }

    // ---- errors ----

    [Test]
    public void MissingDefaultDatasetSaysHowToInstallIt()
    {
        using var folder = new TemporaryFolder();
        string absent = folder.File("fashion-mnist");
        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetLoader.Load(null, null, absent))!;
        Assert.That(error.Path, Is.EqualTo(absent));
        Assert.That(error.Message, Does.Contain(absent).And.Contain("sudo apt-get install dataset-fashion-mnist").And.Contain("--data"));
        Assert.That(error.Dataset, Is.EqualTo("fashion-mnist"));
    }

    [Test]
    public void MissingDataFolder()
    {
        using var folder = new TemporaryFolder();
        string absent = folder.File("nope");
        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetLoader.Load("mnist", absent))!;
        Assert.That(error.Message, Does.StartWith(absent + ": ").And.Contain("--data DIR"));
    }

    [Test]
    public void MissingOneFileNamesIt()
    {
        using var folder = new TemporaryFolder();
        WriteIdxFolder(folder.Path, 2, 2, 2, 2, gzip: true);
        File.Delete(folder.File("t10k-labels-idx1-ubyte.gz"));
        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetLoader.Load("fashion-mnist", folder.Path))!;
        Assert.That(error.Message, Does.Contain(folder.File("t10k-labels-idx1-ubyte")));
    }

    [Test]
    public void LabelOutOfRangeNamesTheLabelFile()
    {
        using var folder = new TemporaryFolder();
        WriteIdxFolder(folder.Path, 3, 2, 2, 2, gzip: false);
        string labels = folder.File("train-labels-idx1-ubyte");
        IdxWriter.Write(labels, IdxArray.FromBytes([0, 10, 1], 3));
        var error = Assert.Throws<DataException>(() => DatasetLoader.Load("mnist", folder.Path))!;
        Assert.That(error.Path, Is.EqualTo(labels));
        Assert.That(error.Problem, Does.Contain("label 10 of item 1 is out of range 0..9"));
    }

    [Test]
    public void LabelCountMustMatchImageCount()
    {
        using var folder = new TemporaryFolder();
        WriteIdxFolder(folder.Path, 3, 2, 2, 2, gzip: false);
        string labels = folder.File("t10k-labels-idx1-ubyte");
        IdxWriter.Write(labels, IdxArray.FromBytes([0, 1, 2], 3));
        var error = Assert.Throws<DataException>(() => DatasetLoader.Load("mnist", folder.Path))!;
        Assert.That(error.Path, Is.EqualTo(labels));
        Assert.That(error.Problem, Does.Contain("holds 3 labels").And.Contain("2 images"));
    }

    [Test]
    public void WrongImageAndLabelLayoutsNameTheFile()
    {
        using var folder = new TemporaryFolder();
        string images = folder.File("images");
        string labels = folder.File("labels");
        IdxWriter.Write(labels, IdxArray.FromBytes([1, 2], 2));

        IdxWriter.Write(images, IdxArray.FromSingles(new float[8], 2, 2, 2));
        var typeError = Assert.Throws<DataException>(() => DatasetLoader.LoadIdxPair(images, labels))!;
        Assert.That(typeError.Message, Does.StartWith(images + ": ").And.Contain("unsigned bytes"));

        IdxWriter.Write(images, IdxArray.FromBytes(new byte[8], 2, 4));
        var rankError = Assert.Throws<DataException>(() => DatasetLoader.LoadIdxPair(images, labels))!;
        Assert.That(rankError.Message, Does.StartWith(images + ": ").And.Contain("3 dimensions"));

        IdxWriter.Write(images, IdxArray.FromBytes(new byte[8], 2, 2, 2));
        IdxWriter.Write(labels, IdxArray.FromBytes([1, 2], 1, 2));
        var labelError = Assert.Throws<DataException>(() => DatasetLoader.LoadIdxPair(images, labels))!;
        Assert.That(labelError.Message, Does.StartWith(labels + ": ").And.Contain("label file"));
    }

    [Test]
    public void TestShapeMustMatchTrainingShape()
    {
        using var folder = new TemporaryFolder();
        WriteIdxFolder(folder.Path, 2, 2, 2, 2, gzip: false);
        string testImages = folder.File("t10k-images-idx3-ubyte");
        IdxWriter.Write(testImages, IdxArray.FromBytes(new byte[18], 2, 3, 3));
        var error = Assert.Throws<DataException>(() => DatasetLoader.Load("mnist", folder.Path))!;
        Assert.That(error.Path, Is.EqualTo(testImages));
        Assert.That(error.Problem, Does.Contain("3x3x1").And.Contain("2x2x1"));
    }

    [Test]
    public void CorruptFileInsideADatasetNamesThatFile()
    {
        using var folder = new TemporaryFolder();
        WriteIdxFolder(folder.Path, 2, 2, 2, 2, gzip: false);
        string images = folder.File("train-images-idx3-ubyte");
        File.WriteAllBytes(images, File.ReadAllBytes(images)[..^1]);
        var error = Assert.Throws<DataException>(() => DatasetLoader.Load("mnist", folder.Path))!;
        Assert.That(error.Path, Is.EqualTo(images));
        Assert.That(error.Problem, Does.Contain("truncated data"));
    }

    [Test]
    public void UnknownNameAndCifarWithoutFolder()
    {
        var unknown = Assert.Throws<DataException>(() => DatasetLoader.Load("imagenet", null))!;
        Assert.That(unknown.Message, Does.Contain("imagenet").And.Contain("fashion-mnist, mnist, cifar10"));
        var cifar = Assert.Throws<DatasetNotFoundException>(() => DatasetLoader.Load("cifar10", null))!;
        Assert.That(cifar.Message, Does.Contain("--data DIR").And.Contain("data_batch_1.bin"));
    }
}
