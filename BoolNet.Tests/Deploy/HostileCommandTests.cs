using System.Buffers.Binary;
using System.IO.Compression;
using BoolNet.Cli;
using BoolNet.Commands;
using BoolNet.Core.IO;
using BoolNet.Inference;
using BoolNet.Inference.Serialization;
using BoolNet.Tests.IO;

namespace BoolNet.Tests.Deploy;

/// <summary>
/// Hostile command lines and outputs: every bad numeric value is one clear line (no .NET type name, no
/// help dump) before any work; export never overwrites its input, a checkpoint or a foreign file; a run
/// folder is claimed (lock, writability, no silent overwrite) before training; damaged images are refused.
/// </summary>
[NonParallelizable]
public sealed class HostileCommandTests
{
    /// <summary>Runs <c>boolnet ARGS</c> in process; returns the exit code and standard error.</summary>
    private static (int Code, string Error) Run(params string[] args)
    {
        var error = new StringWriter();
        var output = new StringWriter();
        TextWriter savedError = Console.Error, savedOutput = Console.Out;
        Console.SetError(error);
        Console.SetOut(output);
        try
        {
            return (BoolNet.Cli.Program.Main(args), error.ToString());
        }
        finally
        {
            Console.SetError(savedError);
            Console.SetOut(savedOutput);
        }
    }

    [TestCase("train --lr NaN", "option '--lr': 'NaN' is not a finite number")]
    [TestCase("train --lr -1", "option '--lr': -1 is out of range")]
    [TestCase("train --real-lr Infinity", "option '--real-lr': 'Infinity' is not a finite number")]
    [TestCase("train --surrogate-width NaN", "--surrogate-width")]
    [TestCase("train --beta 2", "option '--beta': 2 is out of range; expected a number above 0 and at most 1")]
    [TestCase("train --clip -1", "option '--clip': -1 is out of range")]
    [TestCase("train --epochs 0", "option '--epochs': 0 is out of range")]
    [TestCase("train --epochs abc", "option '--epochs': 'abc' is not a whole number")]
    [TestCase("train --train-limit -5", "option '--train-limit': -5 is out of range")]
    [TestCase("train --planes -1", "option '--planes': -1 is out of range")]
    [TestCase("train --planes 1", "option '--planes': 1 is not allowed")]
    [TestCase("train --threads 100000", "option '--threads': 100000 is out of range")]
    [TestCase("train --batch 100000000", "option '--batch': 100000000 is out of range")]
    [TestCase("train --hidden 100000000", "--hidden '100000000': widths are whole numbers from 1 to 65536")]
    [TestCase("train --hidden 60000,60000", "60000 x 60000 = 3,600,000,000 weights")]
    [TestCase("predict m.bnm x.idx --top 0", "option '--top': 0 is out of range")]
    [TestCase("predict m.bnm x.idx --limit -1", "option '--limit': -1 is out of range")]
    [TestCase("bench m.bnm --seconds Infinity", "option '--seconds': 'Infinity' is not a finite number")]
    [TestCase("bench m.bnm --seconds 1e300", "option '--seconds': 1E+300 is out of range")]
    [TestCase("bench m.bnm --seconds NaN", "option '--seconds': 'NaN' is not a finite number")]
    [TestCase("bench m.bnm --batch 100000000", "option '--batch': 100000000 is out of range")]
    [TestCase("evaluate run --limit -1", "option '--limit': -1 is out of range")]
    [TestCase("compare --seeds 99999999999", "--seeds '99999999999'")]
    public void BadValuesAreOneClearLine(string command, string expected)
    {
        (int code, string error) = Run(command.Split(' '));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.StartWith("error: ").And.Contain(expected));
        Assert.That(error, Does.Not.Contain("System.").And.Not.Contain("   at ").And.Not.Contain("Usage:"));
    }

    [Test]
    public void OutputFolderIsCheckedBeforeTheDataIsRead()
    {
        (int code, string error) = Run("train", "--data", "/nonexistent/boolnet-data", "--epochs", "1", "--out", "/proc/boolnet-no-such-folder");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.StartWith("error: --out /proc/boolnet-no-such-folder: cannot create the output folder"));
    }

    [Test]
    public void ARunFolderIsClaimedOnce()
    {
        using var folder = new TemporaryFolder();
        using (RunFolder.Claim(folder.Path, null, force: false))
        {
            var second = Assert.Throws<IOException>(() => RunFolder.Claim(folder.Path, null, force: false))!;
            Assert.That(second.Message, Does.Contain("another training is writing to this folder"));
        }
        Assert.That(File.Exists(Path.Combine(folder.Path, RunFolder.LockFile)), Is.False, "the lock file goes with the run");
        using (RunFolder.Claim(folder.Path, null, force: false)) { } // released: claimable again

        string checkpoint = folder.File(TrainRunner.CheckpointFile);
        File.WriteAllText(checkpoint, "a previous run");
        Assert.That(Assert.Throws<ArgumentException>(() => RunFolder.Claim(folder.Path, null, force: false))!.Message,
            Does.Contain("already holds a run").And.Contain("--force"));
        using (RunFolder.Claim(folder.Path, checkpoint, force: false)) { } // resuming that run
        using (RunFolder.Claim(folder.Path, null, force: true)) { }
    }

    [Test]
    public void ExportNeverOverwritesItsInputACheckpointOrAForeignFile()
    {
        using var folder = new TemporaryFolder();
        string checkpoint = folder.File(TrainRunner.CheckpointFile);
        File.WriteAllBytes(checkpoint, [.. "BOOLNET-CHECKPOINT-2"u8, .. new byte[64]]);
        Assert.That(Assert.Throws<ArgumentException>(() => TrainingCommands.CheckTarget(checkpoint, checkpoint))!.Message, Does.Contain("own input"));
        Assert.That(Assert.Throws<ArgumentException>(() => TrainingCommands.CheckTarget(checkpoint, folder.Path))!.Message, Does.Contain("own input"));

        string other = folder.File("other.bnm");
        File.Copy(checkpoint, other);
        Assert.That(Assert.Throws<ArgumentException>(() => TrainingCommands.CheckTarget(other, "elsewhere.bin"))!.Message, Does.Contain("is a training checkpoint"));

        string notes = folder.File("notes.txt");
        File.WriteAllText(notes, "precious");
        Assert.That(Assert.Throws<ArgumentException>(() => TrainingCommands.CheckTarget(notes, "elsewhere.bin"))!.Message, Does.Contain("not a BoolNet model file"));

        string link = folder.File("link.bnm");
        File.CreateSymbolicLink(link, checkpoint);
        Assert.That(Assert.Throws<ArgumentException>(() => TrainingCommands.CheckTarget(link, checkpoint))!.Message, Does.Contain("own input"));

        string model = folder.File("model.bnm");
        File.WriteAllBytes(model, [.. Inference.Serialization.ModelFile.Magic, 0, 0]);
        Assert.DoesNotThrow(() => TrainingCommands.CheckTarget(model, checkpoint));
        Assert.DoesNotThrow(() => TrainingCommands.CheckTarget(folder.File("new.bnm"), checkpoint));
    }

    [Test]
    public void AtomicWritesFollowLinksAndRemoveStaleTemporaries()
    {
        using var folder = new TemporaryFolder();
        string target = folder.File("target.bin"), link = folder.File("link.bin");
        File.WriteAllText(target, "old");
        File.CreateSymbolicLink(link, target);
        AtomicFile.WriteAllText(link, "new");
        Assert.That(new FileInfo(link).LinkTarget, Is.Not.Null, "the link stays a link");
        Assert.That(File.ReadAllText(target), Is.EqualTo("new"));

        // A temporary left by a killed writer (a process id no longer running) goes; a running one's stays.
        string stale = folder.File($".target.bin.{int.MaxValue - 7}.{Guid.NewGuid():N}.tmp");
        string live = folder.File($".target.bin.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(stale, "left over");
        File.WriteAllText(live, "being written");
        AtomicFile.WriteAllText(target, "newer");
        Assert.That(File.Exists(stale), Is.False);
        Assert.That(File.Exists(live), Is.True);
    }

    [Test]
    public void DamagedImagesAreRefused()
    {
        byte[] png = Png();
        Assert.DoesNotThrow(() => ImageInput.CheckIntegrity("a.png", png));
        byte[] badCrc = (byte[])png.Clone();
        badCrc[^20] ^= 1; // inside IDAT's data
        Assert.That(Assert.Throws<InvalidDataException>(() => ImageInput.CheckIntegrity("a.png", badCrc))!.Message, Does.Contain("fails its CRC"));
        Assert.That(Assert.Throws<InvalidDataException>(() => ImageInput.CheckIntegrity("a.png", png[..^12]))!.Message, Does.Contain("no IEND"));
        Assert.That(Assert.Throws<InvalidDataException>(() => ImageInput.Decode(badCrc, 1))!.Message, Does.Contain("damaged PNG"));

        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xDB, 0, 4, 0, 0, 0xFF, 0xDA, 0, 4, 0, 0, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD9];
        Assert.DoesNotThrow(() => ImageInput.CheckIntegrity("a.jpg", jpeg));
        Assert.That(Assert.Throws<InvalidDataException>(() => ImageInput.CheckIntegrity("a.jpg", jpeg[..^2]))!.Message, Does.Contain("no end-of-image marker"));
        Assert.That(Assert.Throws<InvalidDataException>(() => ImageInput.CheckIntegrity("a.jpg", jpeg[..7]))!.Message, Does.Contain("past the end"));
    }

    [Test]
    public void LabelsMustMatchTheImageCount()
    {
        using var folder = new TemporaryFolder();
        InferenceModel model = NetworkFolder.Fold(FoldingTests.BitPlaneNetwork(3));
        string images = folder.File("images.idx"), labels = folder.File("labels.idx");
        File.WriteAllBytes(images, [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28, .. new byte[2 * 784]]);
        File.WriteAllBytes(labels, [0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 0]);
        Assert.That(Assert.Throws<InvalidDataException>(() => PredictRunner.ReadInputs([images], model, ImageInput.Decode, labelsPath: labels))!.Message,
            Does.StartWith(labels).And.Contain("3 labels for 2 images"));
    }

    [Test]
    public void ModelFilesRefuseUnknownNamesAndNonFiniteFloats()
    {
        InferenceModel model = NetworkFolder.Fold(FoldingTests.BitPlaneNetwork(3));
        ModelDocument Document() => ModelFile.Parse(ModelFile.Serialize(ModelCodec.ToDocument(model)), "m.bnm");
        string Refusal(ModelDocument document) =>
            Assert.Throws<ModelFormatException>(() => ModelCodec.FromDocument(ModelFile.Parse(ModelFile.Serialize(document), "m.bnm"), "m.bnm"))!.Message;
        Assert.DoesNotThrow(() => ModelCodec.FromDocument(Document(), "m.bnm"));

        ModelDocument extra = Document();
        extra.Layers[0].With("colour", 1L);
        Assert.That(Refusal(extra), Does.Contain("unknown attribute 'colour'"));

        ModelDocument renamed = Document();
        LayerRecord layer = renamed.Layers.First(l => l.Tensors.Any(t => t.Type == TensorType.Float32));
        int index = layer.Tensors.FindIndex(t => t.Type == TensorType.Float32);
        TensorRecord tensor = layer.Tensors[index];
        layer.Tensors[index] = new TensorRecord(tensor.Name + "x", tensor.Type, tensor.Dimensions, tensor.Data);
        Assert.That(Refusal(renamed), Does.Contain($"'{tensor.Name}x'").Or.Contain($"tensor '{tensor.Name}' is missing"));

        ModelDocument nan = Document();
        TensorRecord floats = nan.Layers.SelectMany(l => l.Tensors).First(t => t.Type == TensorType.Float32 && t.Name != "threshold");
        ((float[])floats.Data)[0] = float.NaN;
        Assert.That(Assert.Throws<ModelFormatException>(() => ModelFile.Parse(ModelFile.Serialize(nan), "m.bnm"))!.Message,
            Does.Contain($"float tensor '{floats.Name}' element 0 is NaN"));
    }

    [Test]
    public void ErrorLinesCarryNoControlCharacters() =>
        Assert.That(CommandErrors.Printable("bad\0PNG\u001b[31m\nnext\tcolumn"), Is.EqualTo("bad?PNG?[31m\nnext\tcolumn"));

    /// <summary>A 4x4 grey PNG with correct CRCs.</summary>
    private static byte[] Png()
    {
        var file = new List<byte>([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        void Chunk(string type, byte[] data)
        {
            var length = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(length, (uint)data.Length);
            byte[] body = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
            var crc = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(body));
            file.AddRange([.. length, .. body, .. crc]);
        }
        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, 4);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), 4);
        header[8] = 8;
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            for (int row = 0; row < 4; row++) zlib.Write([0, 10, 20, 30, 40]);
        Chunk("IHDR", header);
        Chunk("IDAT", compressed.ToArray());
        Chunk("IEND", []);
        return [.. file];
    }

    private static uint Crc32(byte[] bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        return c ^ 0xFFFFFFFF;
    }
}
