using System.Text;
using BoolNet.Core.IO;

namespace BoolNet.Tests.IO;

public class AtomicFileTests
{
    [Test]
    public void WriteAllBytesCreatesThenReplaces()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("a.bin");
        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(new byte[] { 1, 2, 3 }));
        AtomicFile.WriteAllBytes(path, [9]);
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(new byte[] { 9 }));
        Assert.That(Directory.GetFiles(folder.Path), Is.EqualTo(new[] { path }));
    }

    [Test]
    public void WriteAllTextIsUtf8WithoutByteOrderMark()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("t.json");
        AtomicFile.WriteAllText(path, "é{}");
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(Encoding.UTF8.GetBytes("é{}")));
    }

    [Test]
    public void StreamAndTextWritersProduceTheirContent()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("s.txt");
        AtomicFile.Write(path, stream => stream.Write("abc"u8));
        Assert.That(File.ReadAllText(path), Is.EqualTo("abc"));
        AtomicFile.WriteText(path, writer => writer.Write("line"));
        Assert.That(File.ReadAllText(path), Is.EqualTo("line"));
    }

    [Test]
    public void CreatesMissingFolder()
    {
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, "sub", "deeper", "x.txt");
        AtomicFile.WriteAllText(path, "x");
        Assert.That(File.ReadAllText(path), Is.EqualTo("x"));
    }

    [Test]
    public void FailingWriterLeavesOldFileIntactAndNoTemporaryFile()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("keep.txt");
        File.WriteAllText(path, "old content");
        var error = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write("new partial"u8);
            throw new InvalidOperationException("writer failed");
        }));
        Assert.That(error!.Message, Is.EqualTo("writer failed"));
        Assert.That(File.ReadAllText(path), Is.EqualTo("old content"));
        Assert.That(Directory.GetFileSystemEntries(folder.Path), Is.EqualTo(new[] { path }));
    }

    [Test]
    public void FailingWriterWithoutOldFileLeavesNothing()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("new.txt");
        Assert.Throws<IOException>(() => AtomicFile.WriteText(path, writer =>
        {
            writer.Write("partial");
            throw new IOException("disk full");
        }));
        Assert.That(Directory.GetFileSystemEntries(folder.Path), Is.Empty);
    }

    [Test]
    public void RefusesADirectoryTarget()
    {
        using var folder = new TemporaryFolder();
        var error = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(folder.Path, "x"));
        Assert.That(error!.Message, Does.Contain(folder.Path));
    }
}
