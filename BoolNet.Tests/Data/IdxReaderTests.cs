using BoolNet.Tests.IO;
using BoolNet.Training.Data;
using static BoolNet.Tests.Data.IdxTestFiles;

namespace BoolNet.Tests.Data;

public class IdxReaderTests
{
    static IEnumerable<TestCaseData> EveryTypeRawAndGzip()
    {
        foreach (bool gzip in new[] { false, true })
        {
            yield return new TestCaseData(IdxElementType.UnsignedByte, new byte[] { 0, 1, 127, 128, 255, 42 }, gzip);
            yield return new TestCaseData(IdxElementType.SignedByte, new sbyte[] { -128, -1, 0, 1, 127, 5 }, gzip);
            yield return new TestCaseData(IdxElementType.Int16, new short[] { short.MinValue, -2, 0, 0x1234, short.MaxValue, 7 }, gzip);
            yield return new TestCaseData(IdxElementType.Int32, new[] { int.MinValue, -2, 0, 0x12345678, int.MaxValue, 7 }, gzip);
            yield return new TestCaseData(IdxElementType.Float32, new[] { -1.5f, 0f, float.Epsilon, 3.25e10f, float.NaN, float.NegativeInfinity }, gzip);
            yield return new TestCaseData(IdxElementType.Float64, new[] { -1.5, 0.0, double.Epsilon, 1e300, Math.PI, double.PositiveInfinity }, gzip);
        }
    }

    [TestCaseSource(nameof(EveryTypeRawAndGzip))]
    public void EveryElementTypeRoundTrips(IdxElementType type, Array values, bool gzip)
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("x.idx");
        IdxWriter.Write(path, new IdxArray(type, [1, 2, 3], values), gzip);
        Assert.That(File.ReadAllBytes(path)[0], Is.EqualTo(gzip ? 0x1F : 0x00));

        var read = IdxReader.Read(path);
        Assert.That(read.ElementType, Is.EqualTo(type));
        Assert.That(read.Dimensions, Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(read.Count, Is.EqualTo(6));
        Assert.That(read.Data, Is.EqualTo(values));
        Assert.That(read.ToDoubles(), Is.EqualTo(values.Cast<object>().Select(Convert.ToDouble).ToArray()));
    }

    [Test]
    public void BigEndianLayoutMatchesTheFormat()
    {
        using var folder = new TemporaryFolder();
        string path = Write(folder.File("i16"), Concat(Header(0x0B, 2), [0x12, 0x34, 0xFF, 0xFE]), gzip: false);
        var read = IdxReader.Read(path);
        Assert.That(read.As<short>(), Is.EqualTo(new short[] { 0x1234, -2 }));
        Assert.That(read.ToSingles(), Is.EqualTo(new float[] { 0x1234, -2 }));

        string written = folder.File("w");
        IdxWriter.Write(written, read);
        Assert.That(File.ReadAllBytes(written), Is.EqualTo(File.ReadAllBytes(path)));
    }

    [Test]
    public void CompressionIsDetectedByContentNotName()
    {
        using var folder = new TemporaryFolder();
        byte[] content = Concat(Header(0x08, 2, 2), [1, 2, 3, 4]);
        string gzipWithoutSuffix = Write(folder.File("images-idx3-ubyte"), content, gzip: true);
        string rawWithSuffix = Write(folder.File("images-idx3-ubyte.gz"), content, gzip: false);
        Assert.That(IdxReader.Read(gzipWithoutSuffix).AsBytes(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
        Assert.That(IdxReader.Read(rawWithSuffix).AsBytes(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void ReadsNonSeekableStreams(bool gzip)
    {
        byte[] content = Concat(Header(0x0D, 1), [0x3F, 0x80, 0, 0]);
        using var stream = new NonSeekableStream(gzip ? Gzip(content) : content);
        var read = IdxReader.Read(stream, "stdin");
        Assert.That(read.As<float>(), Is.EqualTo(new[] { 1f }));
    }

    [Test]
    public void AsRejectsTheWrongType()
    {
        var array = IdxArray.FromSingles([1f], 1);
        Assert.Throws<InvalidOperationException>(() => array.AsBytes());
        Assert.Throws<InvalidOperationException>(() => array.As<double>());
    }

    // ---- error paths: every one a DataException naming the file ----

    static DataException ReadFails(string path, string expectedFault)
    {
        var error = Assert.Throws<DataException>(() => IdxReader.Read(path))!;
        Assert.That(error.Message, Does.StartWith(path + ": "));
        Assert.That(error.Path, Is.EqualTo(path));
        Assert.That(error.Problem, Does.Contain(expectedFault));
        return error;
    }

    [Test]
    public void MissingFile()
    {
        using var folder = new TemporaryFolder();
        ReadFails(folder.File("absent-idx1-ubyte"), "not found");
        ReadFails(folder.Path, "is a directory");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void TruncatedHeader(bool gzip)
    {
        using var folder = new TemporaryFolder();
        ReadFails(Write(folder.File("empty"), [], gzip), "truncated header");
        ReadFails(Write(folder.File("three"), [0, 0, 8], gzip), "truncated header");
        var error = ReadFails(Write(folder.File("dims"), Concat(Header(0x08, 5, 5), [0]).AsSpan(0, 9).ToArray(), gzip), "truncated header");
        Assert.That(error.Problem, Does.Contain("12 header bytes"));
    }

    [Test]
    public void WrongMagic()
    {
        using var folder = new TemporaryFolder();
        var error = ReadFails(Write(folder.File("png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4], false), "wrong magic");
        Assert.That(error.Problem, Does.Contain("0x89504E47"));
        ReadFails(Write(folder.File("one"), [0, 1, 8, 1, 0, 0, 0, 1, 7], false), "wrong magic");
    }

    [TestCase((byte)0x00)]
    [TestCase((byte)0x0A)]
    [TestCase((byte)0x0F)]
    [TestCase((byte)0xFF)]
    public void UnknownTypeCode(byte code)
    {
        using var folder = new TemporaryFolder();
        var error = ReadFails(Write(folder.File("t"), Concat(Header(code, 1), [0]), false), "unknown IDX element type");
        Assert.That(error.Problem, Does.Contain($"0x{code:X2}"));
    }

    [Test]
    public void BadDimensions()
    {
        using var folder = new TemporaryFolder();
        ReadFails(Write(folder.File("rank0"), [0, 0, 8, 0], false), "zero dimensions");
        ReadFails(Write(folder.File("zero"), Concat(Header(0x08, 3, 0, 2), [0]), false), "dimension 1 of 3 is zero");
        ReadFails(Write(folder.File("negative"), Concat(Header(0x08, 0x80000000u), [0]), false), "negative");
        ReadFails(Write(folder.File("overflow"), Concat(Header(0x0E, 65536, 65536, 65536, 65536), [0]), true), "exceed the limit");
    }

    [Test]
    public void DeclaredSizeAboveTheCallersLimit()
    {
        using var folder = new TemporaryFolder();
        string path = Write(folder.File("big"), Concat(Header(0x0C, 10), new byte[40]), false);
        Assert.That(IdxReader.Read(path, 40).Count, Is.EqualTo(10));
        var error = Assert.Throws<DataException>(() => IdxReader.Read(path, 39))!;
        Assert.That(error.Message, Does.Contain(path).And.Contain("exceed the limit of 39"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void TruncatedData(bool gzip)
    {
        using var folder = new TemporaryFolder();
        var error = ReadFails(Write(folder.File("short"), Concat(Header(0x0B, 3, 4), new byte[20]), gzip), "truncated data");
        Assert.That(error.Problem, Does.Contain("24 data bytes").And.Contain("20"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void TrailingData(bool gzip)
    {
        using var folder = new TemporaryFolder();
        var error = ReadFails(Write(folder.File("long"), Concat(Header(0x08, 4), new byte[7]), gzip), "trailing data");
        Assert.That(error.Problem, Does.Contain("3 bytes after the 4"));
    }

    [Test]
    public void HostileGzipHeaderDoesNotAllocateWhatItDeclares()
    {
        using var folder = new TemporaryFolder();
        // Declares 2 GB - 1 of bytes but holds 100: over the data budget, refused from the header alone.
        string path = Write(folder.File("bomb"), Concat(Header(0x08, 0x7FFFFFC7u), new byte[100]), gzip: true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ReadFails(path, "exceed the limit");
        // Declares 20,000 bytes (what the 31 gzip bytes could hold) but holds 100: the buffer grows only as
        // bytes arrive, so it fails as truncated without allocating what the header declares.
        path = Write(folder.File("short"), Concat(Header(0x08, 20_000u), new byte[100]), gzip: true);
        var error = ReadFails(path, "truncated data");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(error.Problem, Does.Contain("ends after 100"));
        Assert.That(allocated, Is.LessThan(16L << 20));
    }

    [Test]
    public void CorruptGzip()
    {
        using var folder = new TemporaryFolder();
        byte[] good = Gzip(Concat(Header(0x08, 1000), Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray()));
        byte[] garbled = (byte[])good.Clone();
        for (int i = 10; i < garbled.Length - 8; i++) garbled[i] ^= 0x5A;
        var error = Assert.Throws<DataException>(() => IdxReader.Read(Write(folder.File("garbled.gz"), garbled, false)))!;
        Assert.That(error.Message, Does.StartWith(folder.File("garbled.gz") + ": "));
        Assert.That(error.Problem, Does.Contain("gzip").Or.Contain("truncated").Or.Contain("trailing"));

        byte[] cut = good.AsSpan(0, good.Length / 2).ToArray();
        var cutError = Assert.Throws<DataException>(() => IdxReader.Read(Write(folder.File("cut.gz"), cut, false)))!;
        Assert.That(cutError.Message, Does.StartWith(folder.File("cut.gz") + ": "));

        byte[] headerOnly = [0x1F, 0x8B, 0x08, 0x00, 0x00];
        var headerError = Assert.Throws<DataException>(() => IdxReader.Read(Write(folder.File("head.gz"), headerOnly, false)))!;
        Assert.That(headerError.Message, Does.StartWith(folder.File("head.gz") + ": "));
    }

    [TestCase(new byte[] { 0x13, 0x37, 0x42 })]
    [TestCase(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 })]
    [TestCase(new byte[] { 0x1F, 0x8B })]
    public void GarbageAfterTheGzipMemberIsRejected(byte[] garbage)
    {
        using var folder = new TemporaryFolder();
        string path = Write(folder.File("junk.gz"), Concat(Gzip(Concat(Header(0x08, 3), [1, 2, 3])), garbage), false);
        var error = Assert.Throws<DataException>(() => IdxReader.Read(path))!;
        Assert.That(error.Message, Does.StartWith(path + ": "));
        Assert.That(error.Problem, Does.Contain("gzip").Or.Contain("trailing"));
    }

    [Test]
    public void ConcatenatedGzipMembersAreRejectedClearly()
    {
        using var folder = new TemporaryFolder();
        byte[] content = Concat(Header(0x08, 4), [9, 8, 7, 6]);
        string path = Write(folder.File("two.gz"), Concat(Gzip(content[..6]), Gzip(content[6..])), false);
        var error = ReadFails(path, "trailing data after the gzip stream");
        Assert.That(error.Problem, Does.Contain("concatenated"));
    }

    [Test]
    public void CorruptDeflateBlockIsReportedAsCorruptGzip()
    {
        using var folder = new TemporaryFolder();
        // A valid gzip member header followed by a deflate block of reserved type 3 (invalid).
        byte[] bytes = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF, 0x07, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        ReadFails(Write(folder.File("bad.gz"), bytes, false), "corrupt gzip");
    }

    sealed class NonSeekableStream(byte[] content) : MemoryStream(content)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }
}
