using System.Buffers.Binary;
using System.Text;
using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;
using BoolNet.Inference.Serialization;
using BoolNet.Layers;

namespace BoolNet.Tests.Deploy;

/// <summary>The model container: round trip, checksum, and one clear error per kind of damage.</summary>
[Category("Isa")]
public sealed class ModelFileTests
{
    /// <summary>A small document touching every attribute and tensor type.</summary>
    internal static ModelDocument SampleDocument(int seed = 1)
    {
        var random = new Random(seed);
        var document = new ModelDocument();
        document.Set("name", "sample");
        document.Set("classes", "zero,one,two");
        var bits = new BitMatrix(5, 70);
        bits.Randomize(random);
        var floats = new float[3 * 5];
        for (int i = 0; i < floats.Length; i++) floats[i] = (float)random.NextDouble() - 0.5f;
        var first = new LayerRecord("boolean-dense", TensorShape.Vector(70), TensorShape.Vector(5))
            .With("logic", "xnor").With("fan-in", 70L).With("scale", 0.125)
            .With(TensorRecord.FromBits("weight", bits))
            .With(new TensorRecord("threshold", TensorType.Int32, [5], new[] { 1, -2, 3, 70, 0 }))
            .With(new TensorRecord("levels", TensorType.Int8, [3], new sbyte[] { -1, 0, 1 }));
        var second = new LayerRecord("float-dense", TensorShape.Vector(5), TensorShape.Vector(3))
            .With(new TensorRecord("weight", TensorType.Float32, [3, 5], floats));
        document.Layers.Add(first);
        document.Layers.Add(second);
        return document;
    }

    [TestCaseSource(typeof(IsaSelection), nameof(IsaSelection.Supported))]
    public void Crc32CMatchesTheStandardCheckValueAndTheScalarReferenceOnEveryPath(Isa isa)
    {
        byte[] check = Encoding.ASCII.GetBytes("123456789");
        Assert.That(Crc32C.Compute(check, isa), Is.EqualTo(0xE3069283u));
        var random = new Random(3);
        for (int length = 0; length < 100; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.That(Crc32C.Compute(data, isa), Is.EqualTo(Crc32C.Compute(data, Isa.Scalar)), $"length {length}");
        }
        Assert.That(Crc32C.Compute(check), Is.EqualTo(0xE3069283u), "the default entry point");
    }

    [Test]
    public void SerializeThenParseRestoresEverything()
    {
        ModelDocument original = SampleDocument();
        byte[] bytes = ModelFile.Serialize(original);
        Assert.That(bytes.Length % 8, Is.EqualTo(0));
        ModelDocument copy = ModelFile.Parse(bytes, "memory");
        Assert.That(copy.Metadata, Is.EqualTo(original.Metadata));
        Assert.That(copy.Layers, Has.Count.EqualTo(2));
        for (int l = 0; l < 2; l++)
        {
            LayerRecord a = original.Layers[l], b = copy.Layers[l];
            Assert.That(b.Kind, Is.EqualTo(a.Kind));
            Assert.That(b.InputShape, Is.EqualTo(a.InputShape));
            Assert.That(b.OutputShape, Is.EqualTo(a.OutputShape));
            Assert.That(b.Attributes, Is.EqualTo(a.Attributes));
            Assert.That(b.Tensors.Select(t => (t.Name, t.Type)), Is.EqualTo(a.Tensors.Select(t => (t.Name, t.Type))));
            for (int t = 0; t < a.Tensors.Count; t++)
            {
                Assert.That(b.Tensors[t].Dimensions, Is.EqualTo(a.Tensors[t].Dimensions));
                Assert.That(b.Tensors[t].Data, Is.EqualTo(a.Tensors[t].Data));
            }
        }
        Assert.That(ModelFile.Serialize(copy), Is.EqualTo(bytes), "re-serialising gives the same bytes");
        Assert.That(copy.Layers[0].GetReal("scale"), Is.EqualTo(0.125));
        Assert.That(copy.Layers[0].GetBits("weight", 5, 70).ContentEquals((BitMatrix)new BitMatrix(5, 70, (ulong[])original.Layers[0].Tensors[0].Data)));
    }

    [Test]
    public void WriteIsAtomicAndLeavesNoTemporaryFiles()
    {
        string folder = Path.Combine(Path.GetTempPath(), "boolnet-deploy-" + Guid.NewGuid().ToString("N"));
        try
        {
            string path = Path.Combine(folder, "model.bnm");
            ModelFile.Write(path, SampleDocument(1));
            ModelFile.Write(path, SampleDocument(2)); // overwrite
            Assert.That(Directory.GetFiles(folder), Is.EqualTo(new[] { path }));
            Assert.That(File.ReadAllBytes(path), Is.EqualTo(ModelFile.Serialize(SampleDocument(2))));
            Assert.That(ModelFile.Read(path).Layers, Has.Count.EqualTo(2));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void MissingFileIsAFormatErrorNamingIt()
    {
        var error = Assert.Throws<ModelFormatException>(() => ModelFile.Read("/nonexistent/model.bnm"))!;
        Assert.That(error.Message, Does.Contain("/nonexistent/model.bnm").And.Contain("not found"));
    }

    [Test]
    public void EachKindOfDamageHasItsOwnMessage()
    {
        byte[] good = ModelFile.Serialize(SampleDocument());
        Assert.That(Fault(good[..20]), Does.Contain("truncated"));
        Assert.That(Fault(good[..^16]), Does.Contain("truncated"));
        byte[] magic = (byte[])good.Clone();
        magic[1] = (byte)'X';
        Assert.That(Fault(magic), Does.Contain("not a BoolNet model file"));
        byte[] version = (byte[])good.Clone();
        version[8] = 9;
        Assert.That(Fault(version), Does.Contain("unknown format version 9"));
        byte[] flipped = (byte[])good.Clone();
        flipped[good.Length / 2] ^= 0x10;
        Assert.That(Fault(flipped), Does.Contain("checksum mismatch"));
        byte[] longer = [.. good, 0, 0, 0, 0];
        Assert.That(Fault(longer), Does.Contain("header says"));
    }

    [Test]
    public void HostileCountsAreRejectedWithoutAllocatingWhatTheyAskFor()
    {
        // A tensor that claims 2^31-1 x 2^31-1 floats, with a valid checksum.
        var document = new ModelDocument();
        document.Layers.Add(new LayerRecord("x", TensorShape.Vector(1), TensorShape.Vector(1))
            .With(new TensorRecord("t", TensorType.Float32, [1, 1], new float[1])));
        byte[] bytes = ModelFile.Serialize(document);
        int dims = IndexOf(bytes, [1, 0, 0, 0, 1, 0, 0, 0]);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(dims), int.MaxValue);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(dims + 4), int.MaxValue);
        FixChecksum(bytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.That(Fault(bytes), Does.Contain("tensor 't'"));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(1 << 20));

        // A section count of 4 billion.
        bytes = ModelFile.Serialize(document);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24), uint.MaxValue);
        FixChecksum(bytes);
        Assert.That(Fault(bytes), Does.Contain("section count"));
    }

    [Test]
    public void BitTensorsWithDirtyTailsAreRejected()
    {
        ModelDocument document = SampleDocument();
        ((ulong[])document.Layers[0].Tensors[0].Data)[1] |= 1UL << 63; // column 127 of a 70-column row
        Assert.That(Fault(ModelFile.Serialize(document)), Does.Contain("past its 70 columns"));
    }

    internal static string Fault(byte[] bytes) =>
        Assert.Throws<ModelFormatException>(() => ModelFile.Parse(bytes, "damaged.bnm"))!.Message;

    /// <summary>Recomputes the footer checksum so a mutation reaches the structural parser.</summary>
    internal static void FixChecksum(byte[] bytes)
    {
        if (bytes.Length < ModelFile.HeaderBytes + ModelFile.FooterBytes) return;
        int end = bytes.Length - ModelFile.FooterBytes;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(end), Crc32C.Compute(bytes.AsSpan(0, end)));
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().LastIndexOf(needle);
}
