using BoolNet.Layers;
using BoolNet.Tests.IO;
using BoolNet.Training.Data;

namespace BoolNet.Tests.Data;

public class Cifar10ReaderTests
{
    /// <summary>Channel c of pixel (y, x) of record r in batch b: a value that tells all four apart.</summary>
    static byte Value(int batch, int record, int y, int x, int channel) => (byte)(batch * 31 + record * 17 + y * 5 + x * 3 + channel * 101);

    static byte Label(int batch, int record) => (byte)((batch * 3 + record) % 10);

    /// <summary>Writes a CIFAR-10 batch of <paramref name="records"/> records in the planar R, G, B layout.</summary>
    static void WriteBatch(string path, int batch, int records)
    {
        var bytes = new byte[records * Cifar10Reader.RecordBytes];
        for (int r = 0; r < records; r++)
        {
            int offset = r * Cifar10Reader.RecordBytes;
            bytes[offset] = Label(batch, r);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        bytes[offset + 1 + c * 1024 + y * 32 + x] = Value(batch, r, y, x, c);
        }
        File.WriteAllBytes(path, bytes);
    }

    static void WriteFolder(string folder)
    {
        for (int b = 1; b <= 5; b++) WriteBatch(Path.Combine(folder, $"data_batch_{b}.bin"), b, records: b);
        WriteBatch(Path.Combine(folder, "test_batch.bin"), 0, records: 3);
    }

    [Test]
    public void ReadsPlanarRecordsAsNhwc()
    {
        using var folder = new TemporaryFolder();
        WriteFolder(folder.Path);
        var dataset = DatasetLoader.Load("cifar10", folder.Path);
        Assert.That(dataset.Name, Is.EqualTo("cifar10"));
        Assert.That(dataset.ClassCount, Is.EqualTo(10));
        Assert.That(dataset.Train.Shape, Is.EqualTo(new TensorShape(32, 32, 3)));
        Assert.That(dataset.Train.Count, Is.EqualTo(1 + 2 + 3 + 4 + 5));
        Assert.That(dataset.Test.Count, Is.EqualTo(3));

        int index = 0;
        for (int b = 1; b <= 5; b++)
            for (int r = 0; r < b; r++, index++)
            {
                Assert.That(dataset.Train.Labels[index], Is.EqualTo(Label(b, r)));
                var image = dataset.Train.Image(index);
                for (int y = 0; y < 32; y += 7)
                    for (int x = 0; x < 32; x += 5)
                        for (int c = 0; c < 3; c++)
                            Assert.That(image[(y * 32 + x) * 3 + c], Is.EqualTo(Value(b, r, y, x, c)), $"batch {b} record {r} y {y} x {x} c {c}");
            }
        Assert.That(dataset.Test.Image(2)[(31 * 32 + 31) * 3 + 2], Is.EqualTo(Value(0, 2, 31, 31, 2)));
    }

    [Test]
    public void FindsTheArchiveSubfolder()
    {
        using var folder = new TemporaryFolder();
        string nested = Directory.CreateDirectory(folder.File("cifar-10-batches-bin")).FullName;
        WriteFolder(nested);
        Assert.That(DatasetLoader.Load("CIFAR-10", folder.Path).Test.Count, Is.EqualTo(3));
    }

    [Test]
    public void MissingBatchNamesIt()
    {
        using var folder = new TemporaryFolder();
        WriteFolder(folder.Path);
        File.Delete(folder.File("data_batch_4.bin"));
        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetLoader.Load("cifar10", folder.Path))!;
        Assert.That(error.Path, Is.EqualTo(folder.File("data_batch_4.bin")));
        Assert.That(error.Message, Does.Contain("--data DIR"));

        var noFolder = Assert.Throws<DatasetNotFoundException>(() => DatasetLoader.Load("cifar10", folder.File("none")))!;
        Assert.That(noFolder.Path, Is.EqualTo(folder.File("none")));
    }

    [Test]
    public void RecordSizeIsChecked()
    {
        using var folder = new TemporaryFolder();
        WriteFolder(folder.Path);
        string path = folder.File("data_batch_2.bin");
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^10]);
        var error = Assert.Throws<DataException>(() => DatasetLoader.Load("cifar10", folder.Path))!;
        Assert.That(error.Path, Is.EqualTo(path));
        Assert.That(error.Problem, Does.Contain("not a multiple").And.Contain("3073"));

        File.WriteAllBytes(path, []);
        var empty = Assert.Throws<DataException>(() => DatasetLoader.Load("cifar10", folder.Path))!;
        Assert.That(empty.Path, Is.EqualTo(path));
        Assert.That(empty.Problem, Does.Contain("empty"));
    }

    [Test]
    public void LabelsAreChecked()
    {
        using var folder = new TemporaryFolder();
        WriteFolder(folder.Path);
        string path = folder.File("test_batch.bin");
        byte[] bytes = File.ReadAllBytes(path);
        bytes[2 * Cifar10Reader.RecordBytes] = 10;
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<DataException>(() => DatasetLoader.Load("cifar10", folder.Path))!;
        Assert.That(error.Path, Is.EqualTo(path));
        Assert.That(error.Problem, Does.Contain("label 10 of record 2"));
    }
}
