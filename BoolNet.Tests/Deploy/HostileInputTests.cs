using System.Buffers.Binary;
using System.CommandLine;
using System.Diagnostics;
using System.IO.Compression;
using BoolNet.Commands;
using BoolNet.Inference;
using BoolNet.Inference.Serialization;
using BoolNet.Layers;
using BoolNet.Training.Data;

namespace BoolNet.Tests.Deploy;

/// <summary>
/// Tiny hostile inputs that declare huge sizes (images, IDX, models, bench times) and inputs that are not
/// regular files: each is refused with one typed error naming the file and the size, before any large
/// allocation (the thread's managed allocation stays under <see cref="AllocationLimit"/>).
/// </summary>
[NonParallelizable]
public sealed class HostileInputTests
{
    private const long AllocationLimit = 64L << 20;
    private string _folder = "";

    [SetUp]
    public void CreateFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), "boolnet-hostile-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
    }

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Runs <paramref name="action"/>, expecting <typeparamref name="T"/>, with a small allocation.</summary>
    private static string Refused<T>(Action action) where T : Exception
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<T>(() => action())!;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.LessThan(AllocationLimit), $"allocated {allocated} bytes before refusing: {error.Message}");
        Assert.That(error.Message, Does.Not.Contain('\n'));
        return error.Message;
    }

    private static InferenceModel SmallModel() => NetworkFolder.Fold(FoldingTests.BitPlaneNetwork(3));

    private static byte[] Gif(int width, int height)
    {
        var gif = new List<byte>("GIF89a"u8.ToArray());
        void U16(int v) { gif.Add((byte)v); gif.Add((byte)(v >> 8)); }
        U16(width); U16(height);
        gif.AddRange([0x80, 0, 0, 0, 0, 0, 255, 255, 255]); // global colour table of 2
        gif.Add((byte)',');
        U16(0); U16(0); U16(1); U16(1);
        gif.AddRange([0, 2, 2, 0x4C, 0x01, 0, (byte)';']); // one pixel
        return [.. gif];
    }

    private static byte[] Png(int width, int height)
    {
        var png = new List<byte> { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A };
        var ihdr = new byte[4 + 4 + 13 + 4];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, 13);
        "IHDR"u8.CopyTo(ihdr.AsSpan(4));
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(8), width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(12), height);
        ihdr[16] = 8; // bit depth; colour type 0 (grey)
        png.AddRange(ihdr);
        png.AddRange(new byte[] { 0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82 });
        return [.. png];
    }

    private static byte[] IdxHeader(params uint[] dimensions)
    {
        var header = new byte[4 + 4 * dimensions.Length];
        header[2] = 0x08;
        header[3] = (byte)dimensions.Length;
        for (int d = 0; d < dimensions.Length; d++) BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4 + 4 * d), dimensions[d]);
        return header;
    }

    private static byte[] Gzip(byte[] header, int zeros)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gzip.Write(header);
            gzip.Write(new byte[zeros]);
        }
        return buffer.ToArray();
    }

    [Test]
    public void ImagesDeclaringHugeSizesAreRefusedBeforeDecoding()
    {
        InferenceModel model = SmallModel();
        string gif = Write("huge.gif", Gif(23000, 23000));
        string message = Refused<InvalidDataException>(() => PredictRunner.ReadInputs([gif], model, ImageInput.Decode));
        Assert.That(message, Does.StartWith(gif).And.Contain("GIF").And.Contain("23000x23000").And.Contain("limit"));

        string png = Write("huge.png", Png(30000, 30000));
        message = Refused<InvalidDataException>(() => PredictRunner.ReadInputs([png], model, ImageInput.Decode));
        Assert.That(message, Does.StartWith(png).And.Contain("PNG").And.Contain("30000x30000"));

        // Under the pixel limit, but more than deflate can hold in a few dozen bytes.
        string dense = Write("dense.png", Png(8000, 8000));
        message = Refused<InvalidDataException>(() => PredictRunner.ReadInputs([dense], model, ImageInput.Decode));
        Assert.That(message, Does.StartWith(dense).And.Contain("8000x8000").And.Contain("PNG can hold"));
    }

    [Test]
    public void IdxHeadersDeclaringMoreThanTheBudgetOrTheFileAreRefused()
    {
        // gzip: 2^31 - 1 images declared, a few KB of payload.
        string declared = Write("huge.idx.gz", Gzip(IdxHeader(int.MaxValue, 28, 28), 4096));
        string message = Refused<InvalidDataException>(() => ImageInput.ReadIdx(declared));
        Assert.That(message, Does.StartWith(declared).And.Contain("2147483647x28x28").And.Contain("limit"));
        Assert.That(Refused<DataException>(() => IdxReader.Read(declared)), Does.StartWith(declared).And.Contain("limit"));

        // gzip: under the budget, but more than a 1 KB deflate stream can expand to.
        string thin = Write("thin.idx.gz", Gzip(IdxHeader(10000, 28, 28), 1000));
        Assert.That(Refused<InvalidDataException>(() => ImageInput.ReadIdx(thin)), Does.StartWith(thin).And.Contain("gzip file can hold"));
        Assert.That(Refused<DataException>(() => IdxReader.Read(thin)), Does.StartWith(thin).And.Contain("gzip file can hold"));

        // gzip bomb: an honest small header, then far more data: decompression stops after the declared size.
        string bomb = Write("bomb.idx.gz", Gzip(IdxHeader(10, 28, 28), 8 << 20));
        Assert.That(Refused<InvalidDataException>(() => ImageInput.ReadIdx(bomb)), Does.StartWith(bomb).And.Contain("trailing data"));
        Assert.That(Refused<DataException>(() => IdxReader.Read(bomb)), Does.StartWith(bomb).And.Contain("trailing data"));

        // raw: the header disagrees with the file length.
        string raw = Write("short.idx", [.. IdxHeader(60000, 28, 28), .. new byte[100]]);
        Assert.That(Refused<InvalidDataException>(() => ImageInput.ReadIdx(raw)), Does.StartWith(raw).And.Contain("holds 100 data bytes, the header says 47040000"));
        Assert.That(Refused<DataException>(() => IdxReader.Read(raw)), Does.StartWith(raw).And.Contain("truncated data"));

        // labels go through the same reader.
        byte[] images = [.. IdxHeader(2, 28, 28), .. new byte[2 * 28 * 28]];
        string imagePath = Write("two.idx", images);
        string labels = Write("labels.idx.gz", Gzip(IdxHeader(int.MaxValue), 4096));
        Assert.That(Refused<InvalidDataException>(() => PredictRunner.ReadInputs([imagePath], SmallModel(), ImageInput.Decode, labelsPath: labels)),
            Does.StartWith(labels).And.Contain("limit"));
    }

    [Test]
    public void InputsThatAreNotRegularFilesAreRefusedWithoutReading()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("devices and FIFOs are checked on Linux");
        InferenceModel model = SmallModel();
        Assert.That(Refused<InvalidDataException>(() => PredictRunner.ReadInputs(["/dev/zero"], model, ImageInput.Decode)),
            Does.StartWith("/dev/zero").And.Contain("character device"));
        Assert.That(Refused<DataException>(() => IdxReader.Read("/dev/zero")), Does.Contain("character device"));
        Assert.That(Refused<ModelFormatException>(() => ModelCodec.Load("/dev/zero")), Does.Contain("character device"));

        string fifo = Path.Combine(_folder, "pipe");
        try
        {
            using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", fifo) { UseShellExecute = false });
            mkfifo!.WaitForExit();
            if (mkfifo.ExitCode != 0) Assert.Ignore("mkfifo failed");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Ignore("no mkfifo");
        }
        var reading = Task.Run(() => Assert.Throws<InvalidDataException>(() => PredictRunner.ReadInputs([fifo], model, ImageInput.Decode))!.Message);
        if (!reading.Wait(TimeSpan.FromSeconds(5)))
        {
            using (new FileStream(fifo, FileMode.Open, FileAccess.Write)) { } // release the blocked reader
            Assert.Fail("reading a FIFO blocked");
        }
        Assert.That(reading.Result, Does.StartWith(fifo).And.Contain("FIFO"));
        Assert.That(Assert.Throws<DataException>(() => IdxReader.Read(fifo))!.Message, Does.Contain("FIFO"));
    }

    /// <summary>One relu over 1x1x2^24 reals: a valid model of about 160 bytes whose activations are 64 MiB a sample.</summary>
    private static ModelDocument ReluDocument()
    {
        var document = new ModelDocument();
        TensorShape shape = TensorShape.Vector(1 << 24);
        document.Layers.Add(new LayerRecord("relu", shape, shape).With("input", "real"));
        return document;
    }

    /// <summary>A max-pool over a 4096x4096 image, then flatten: 2^24 values a sample from a few hundred bytes.</summary>
    private static ModelDocument MaxPoolDocument()
    {
        var document = new ModelDocument();
        var input = new TensorShape(4096, 4096, 1);
        var pooled = new TensorShape(64, 64, 1);
        document.Layers.Add(new LayerRecord(RealMaxPool.KindName, input, pooled).With("input", "real").With("kernel", 64L).With("stride", 64L));
        document.Layers.Add(new LayerRecord("flatten", pooled, TensorShape.Vector(4096)).With("input", "real").With("bits", 0L));
        return document;
    }

    [Test]
    public void ModelsWithHugeActivationsRefuseLargeBatchesBeforeAllocating()
    {
        foreach (ModelDocument document in new[] { ReluDocument(), MaxPoolDocument() })
        {
            InferenceModel model = ModelCodec.FromDocument(document, "hostile.bnm");
            Assert.That(ModelFile.Serialize(document).Length, Is.LessThan(400));
            string message = Refused<ArgumentException>(() => InferenceBenchmark.Run(model, 1000, 1, 0.1));
            Assert.That(message, Does.Contain("batch of 1,000").And.Contain("GiB").And.Contain("use a smaller batch"));
            Assert.DoesNotThrow(() => model.CheckMemory(1));
            Assert.That(model.EstimateBytes(int.MaxValue), Is.GreaterThan(InferenceModel.MemoryBudgetBytes));
        }

        // predict: an IDX of 100 images for the 4096x4096 model is refused before any image is resized.
        InferenceModel pool = ModelCodec.FromDocument(MaxPoolDocument(), "pool.bnm");
        string idx = Write("hundred.idx", [.. IdxHeader(100, 28, 28), .. new byte[100 * 28 * 28]]);
        Assert.That(Refused<InvalidDataException>(() => PredictRunner.ReadInputs([idx], pool, ImageInput.Decode)),
            Does.StartWith(idx).And.Contain("batch of 100").And.Contain("--limit"));
    }

    private static (int Code, string Error) Infer(params string[] args)
    {
        var root = new RootCommand();
        InferenceCommands.AddTo(root, new ModelFileSource());
        TextWriter output = Console.Out, error = Console.Error;
        var captured = new StringWriter();
        Console.SetOut(TextWriter.Null);
        Console.SetError(captured);
        try { return (CommandInvocation.Invoke(root, args, "boolnet-infer"), captured.ToString()); }
        finally
        {
            Console.SetOut(output);
            Console.SetError(error);
        }
    }

    [Test]
    public void BenchRefusesEndlessSecondsAndHugeBatches()
    {
        string path = Path.Combine(_folder, "relu.bnm");
        ModelFile.Write(path, ReluDocument());
        foreach (string seconds in new[] { "NaN", "Infinity", "1e300", "0", "-1", "3601" })
        {
            var (code, error) = Infer("bench", path, "--seconds", seconds);
            Assert.That(code, Is.EqualTo(1), seconds);
            Assert.That(error, Does.StartWith("error: option '--seconds': ").And.Contain(seconds == "1e300" ? "1E+300" : seconds).And.Contain("at most 3600"));
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        var (batchCode, batchError) = Infer("bench", path, "--batch", "1000", "--seconds", "0.1");
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(AllocationLimit));
        Assert.That(batchCode, Is.EqualTo(1));
        Assert.That(batchError, Does.StartWith($"error: {path}: a batch of 1,000").And.Contain("smaller batch than --batch 1000"));
        Assert.That(batchError.Trim(), Does.Not.Contain('\n'));
        Assert.Throws<ArgumentException>(() => InferenceBenchmark.Run(SmallModel(), 1, 1, double.PositiveInfinity));
    }
}
