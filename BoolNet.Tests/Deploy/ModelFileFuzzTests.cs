using System.Buffers.Binary;
using System.Diagnostics;
using BoolNet.Inference.Serialization;

namespace BoolNet.Tests.Deploy;

/// <summary>
/// Thousands of corrupted model files: every one is rejected with <see cref="ModelFormatException"/>
/// (or, when a checksum-repaired mutation happens to stay well-formed, parsed); nothing else escapes
/// and nothing hangs.
/// </summary>
public sealed class ModelFileFuzzTests
{
    [Test]
    public void BitFlipsAreAllCaughtByTheChecksumOrTheParser()
    {
        byte[] good = ModelFile.Serialize(ModelFileTests.SampleDocument());
        var random = new Random(11);
        for (int trial = 0; trial < 3000; trial++)
        {
            byte[] bytes = (byte[])good.Clone();
            int flips = 1 + random.Next(3);
            for (int f = 0; f < flips; f++) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            if (bytes.AsSpan().SequenceEqual(good)) continue; // two flips cancelled
            Assert.Throws<ModelFormatException>(() => ModelFile.Parse(bytes, "fuzz.bnm"), $"trial {trial}");
        }
    }

    [Test]
    public void EveryTruncationIsRejected()
    {
        byte[] good = ModelFile.Serialize(ModelFileTests.SampleDocument());
        for (int length = 0; length < good.Length; length++)
            Assert.Throws<ModelFormatException>(() => ModelFile.Parse(good.AsSpan(0, length), "fuzz.bnm"), $"length {length}");
    }

    [Test]
    public void RandomHeadersAndRandomFilesAreRejected()
    {
        byte[] good = ModelFile.Serialize(ModelFileTests.SampleDocument());
        var random = new Random(12);
        for (int trial = 0; trial < 2000; trial++)
        {
            byte[] bytes;
            if (trial % 2 == 0)
            {
                bytes = new byte[random.Next(200)];
                random.NextBytes(bytes);
            }
            else
            {
                bytes = (byte[])good.Clone();
                random.NextBytes(bytes.AsSpan(8, 24)); // keep the magic, randomise the rest of the header
            }
            Assert.Throws<ModelFormatException>(() => ModelFile.Parse(bytes, "fuzz.bnm"), $"trial {trial}");
        }
    }

    [Test]
    public void ChecksumRepairedMutationsNeverEscapeAsAnotherErrorType()
    {
        // With the checksum repaired the structural parser itself must cope: random bytes, random
        // 32-bit values (lengths, counts, dimensions), truncated-and-repaired files.
        byte[] good = ModelFile.Serialize(ModelFileTests.SampleDocument());
        var random = new Random(13);
        var watch = Stopwatch.StartNew();
        int rejected = 0;
        for (int trial = 0; trial < 4000; trial++)
        {
            byte[] bytes = (byte[])good.Clone();
            int body = bytes.Length - ModelFile.FooterBytes;
            switch (trial % 4)
            {
                case 0:
                    bytes[ModelFile.HeaderBytes + random.Next(body - ModelFile.HeaderBytes)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    int at = ModelFile.HeaderBytes + random.Next(body - ModelFile.HeaderBytes - 4);
                    uint value = (random.Next(3)) switch { 0 => uint.MaxValue - (uint)random.Next(16), 1 => (uint)random.Next(1 << 16), _ => (uint)random.NextInt64(1L << 32) };
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), value);
                    break;
                case 2:
                    int cut = ModelFile.HeaderBytes + random.Next(body - ModelFile.HeaderBytes);
                    bytes = [.. bytes.AsSpan(0, cut), .. bytes.AsSpan(body)];
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), (ulong)bytes.Length);
                    break;
                default:
                    random.NextBytes(bytes.AsSpan(ModelFile.HeaderBytes + random.Next(body - ModelFile.HeaderBytes - 8), 8));
                    break;
            }
            ModelFileTests.FixChecksum(bytes);
            try
            {
                ModelFile.Parse(bytes, "fuzz.bnm");
            }
            catch (ModelFormatException)
            {
                rejected++;
            }
        }
        Assert.That(rejected, Is.GreaterThan(2000), "most structural damage must be detected");
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "no mutation may make the parser crawl");
    }

    public static IEnumerable<TestCaseData> Models()
    {
        yield return new TestCaseData("bitplane MLP", (Func<BoolNet.Layers.Network>)(() => FoldingTests.BitPlaneNetwork(7)));
        yield return new TestCaseData("boolean CNN", (Func<BoolNet.Layers.Network>)(() => FoldingTests.BooleanConvolutionNetwork(7)));
        yield return new TestCaseData("integer network", (Func<BoolNet.Layers.Network>)(() => FoldingTests.IntegerNetwork(7)));
        yield return new TestCaseData("ZIM convolutions", (Func<BoolNet.Layers.Network>)(() => FoldingTests.ZimConvolutionNetwork(7)));
    }

    [TestCaseSource(nameof(Models))]
    public void RepairedMutationsOfARealModelFailOnlyWithTheFormatError(string name, Func<BoolNet.Layers.Network> build)
    {
        // The layer readers and the shape chain must turn every inconsistency into ModelFormatException.
        var model = BoolNet.Inference.NetworkFolder.Fold(build());
        byte[] good = ModelFile.Serialize(ModelCodec.ToDocument(model));
        var random = new Random(14);
        int loaded = 0, rejected = 0;
        for (int trial = 0; trial < 1500; trial++)
        {
            byte[] bytes = (byte[])good.Clone();
            int body = bytes.Length - ModelFile.FooterBytes;
            int at = ModelFile.HeaderBytes + random.Next(body - ModelFile.HeaderBytes - 4);
            if (trial % 2 == 0) bytes[at] ^= (byte)(1 << random.Next(8));
            else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), (uint)random.Next(-2, 200));
            ModelFileTests.FixChecksum(bytes);
            try
            {
                var reloaded = ModelCodec.FromDocument(ModelFile.Parse(bytes, "fuzz.bnm"), "fuzz.bnm");
                var scores = new float[reloaded.ClassCount];
                reloaded.Predict(new byte[reloaded.InputShape.Size], scores); // a model that loads must also run
                loaded++;
            }
            catch (ModelFormatException)
            {
                rejected++;
            }
        }
        Assert.That(rejected, Is.GreaterThan(100));
        Assert.That(loaded + rejected, Is.EqualTo(1500));
    }
}
