using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using BoolNet.Core.Operators;
using BoolNet.Layers;
using BoolNet.Training;
using BoolNet.Training.Data;
using BoolNet.Training.Models;
using BoolNet.Training.Optimizers;

namespace BoolNet.Tests.Training;

/// <summary>
/// Checkpoint integrity: every single-byte flip and truncation of a real (tiny) checkpoint is rejected
/// with <see cref="CheckpointFormatException"/>, hostile header and state values are rejected by
/// validation (re-checksummed, so the CRC cannot be what catches them), legacy version-1 files still
/// load, and a save/load round trip is exact.
/// </summary>
public class CheckpointTests
{
    private const string Name = "/runs/tiny/checkpoint.bin";
    private const int HeaderOffset = 28; // magic (20) + file length (8)
    private static readonly TensorShape Shape = new(28, 28, 1);
    private static readonly ModelSettings Tiny = new() { Hidden = [8], SignalPlanes = 4 };

    private static TrainingOptions Options => new()
    {
        Epochs = 2, BatchSize = 50, Seed = 3, Threads = 1,
        Boolean = new BooleanOptimizerOptions { LearningRate = 0.2, NormalizeSignal = true },
    };

    private static CheckpointHeader Header => new()
    {
        Model = "bold-mlp", Settings = Tiny, Options = Options, Dataset = "synthetic", InputShape = [28, 28, 1], Classes = 10,
    };

    private static readonly Lazy<Dataset> Data = new(() => TrainerTests.Synthetic(200, 50));

    private static Trainer NewTrainer() => new(ModelCatalog.BuildMlp(new ModelRequest(Shape, 10, 3, Tiny)), Options);

    private static Trainer TrainedTrainer()
    {
        Trainer trainer = NewTrainer();
        trainer.TrainEpoch(Data.Value);
        return trainer;
    }

    private static readonly Lazy<byte[]> Good = new(() => Checkpoint.Serialize(Header, TrainedTrainer()));

    [Test]
    public void RoundTripRestoresWeightsAndOptimizerStateAndResumesIdentically()
    {
        Trainer original = TrainedTrainer();
        byte[] bytes = Checkpoint.Serialize(Header, original);
        Assert.That(Encoding.ASCII.GetString(bytes, 0, 20), Is.EqualTo("BOOLNET-CHECKPOINT-2"));
        Assert.That(BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(20)), Is.EqualTo((ulong)bytes.Length));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)), Is.EqualTo(Checkpoint.EndMagic));

        Trainer restored = NewTrainer();
        Checkpoint.Load(bytes, Name, restored);
        Assert.That(ParameterStorage.Hash(restored.Network), Is.EqualTo(ParameterStorage.Hash(original.Network)));
        Assert.That(restored.CompletedEpochs, Is.EqualTo(1));
        Assert.That(restored.Step, Is.EqualTo(original.Step));
        var a = (BooleanOptimizer)original.Groups[0].Optimizer;
        var b = (BooleanOptimizer)restored.Groups[0].Optimizer;
        foreach ((Parameter p, Parameter q) in original.Groups[0].Parameters.Zip(restored.Groups[0].Parameters))
        {
            Assert.That(b.Accumulator((BooleanParameter)q), Is.EqualTo(a.Accumulator((BooleanParameter)p)));
            Assert.That(b.Beta((BooleanParameter)q), Is.EqualTo(a.Beta((BooleanParameter)p)));
        }
        // Every byte of the state (Adam moments included) survives: saving again gives the same file.
        Assert.That(Checkpoint.Serialize(Header, restored), Is.EqualTo(bytes));

        original.TrainEpoch(Data.Value);
        restored.TrainEpoch(Data.Value);
        Assert.That(ParameterStorage.Hash(restored.Network), Is.EqualTo(ParameterStorage.Hash(original.Network)));
        Assert.That(restored.History[^1].TrainLoss, Is.EqualTo(original.History[^1].TrainLoss));
    }

    [Test]
    public void SaveAndLoadThroughFilesAndLegacyVersionOneStillLoads()
    {
        using var folder = new BoolNet.Tests.IO.TemporaryFolder();
        string path = folder.File("checkpoint.bin");
        Trainer original = TrainedTrainer();
        Checkpoint.Save(path, Header, original);
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(Checkpoint.Serialize(Header, original)));
        Assert.That(Checkpoint.ReadHeader(path).History, Has.Count.EqualTo(1));
        Trainer restored = NewTrainer();
        Checkpoint.Load(path, restored);
        Assert.That(ParameterStorage.Hash(restored.Network), Is.EqualTo(ParameterStorage.Hash(original.Network)));

        string legacy = folder.File("legacy.bin");
        File.WriteAllBytes(legacy, Legacy(File.ReadAllBytes(path)));
        Trainer fromLegacy = NewTrainer();
        Checkpoint.Load(legacy, fromLegacy);
        Assert.That(Checkpoint.Serialize(Header, fromLegacy), Is.EqualTo(File.ReadAllBytes(path)));
        Network network = Checkpoint.BuildNetwork(legacy, Checkpoint.ReadHeader(legacy));
        Checkpoint.LoadNetwork(legacy, network);
        Assert.That(ParameterStorage.Hash(network), Is.EqualTo(ParameterStorage.Hash(original.Network)));

        var missing = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(folder.File("none.bin"), NewTrainer()));
        Assert.That(missing!.Message, Does.StartWith(folder.File("none.bin") + ": ").And.Contain("not found"));
    }

    [Test]
    public void EverySingleByteFlipAndTruncationIsRejected()
    {
        byte[] bytes = (byte[])Good.Value.Clone();
        Trainer target = NewTrainer();
        var tally = new Tally();
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] ^= 0xFF;
            tally.Try($"flip at {i}", () => Checkpoint.Load(bytes, Name, target));
            bytes[i] ^= 0x01; // and a single-bit flip
            bytes[i] ^= 0xFF;
            tally.Try($"bit flip at {i}", () => Checkpoint.Load(bytes, Name, target));
            bytes[i] ^= 0x01;
        }
        foreach (int length in TruncationLengths(bytes.Length))
            tally.Try($"truncated to {length}", () => Checkpoint.Load(bytes[..length], Name, target));
        byte[] longer = [.. bytes, 0];
        tally.Try("one trailing byte", () => Checkpoint.Load(longer, Name, target));
        TestContext.Out.WriteLine($"version 2 ({bytes.Length} bytes): tried {tally.Tried}, rejected {tally.Rejected}, accepted {tally.Accepted}");
        Assert.That(tally.Accepted, Is.Zero, "with the checksum every flip and truncation must be rejected");
        Assert.That(bytes, Is.EqualTo(Good.Value));
    }

    [Test]
    public void LegacyFilesUnderFlipsAndTruncationEitherLoadOrFailCleanly()
    {
        byte[] legacy = Legacy(Good.Value);
        Trainer target = NewTrainer();
        Checkpoint.Load(legacy, Name, target); // the intact legacy file loads
        int length0 = HeaderLength(Good.Value), headerEnd = 20 + PrefixBytes(length0) + length0;
        var random = new Random(19);
        var positions = Enumerable.Range(0, headerEnd).Concat(Enumerable.Range(0, 1000).Select(_ => random.Next(headerEnd, legacy.Length))).ToArray();
        var tally = new Tally();
        int headerAccepted = 0;
        foreach (int i in positions)
        {
            legacy[i] ^= 0xFF;
            int before = tally.Accepted;
            tally.Try($"legacy flip at {i}", () => Checkpoint.Load(legacy, Name, target));
            if (i < headerEnd) headerAccepted += tally.Accepted - before;
            legacy[i] ^= 0xFF;
        }
        int accepted = tally.Accepted;
        TestContext.Out.WriteLine($"version 1 flips: {headerEnd} in magic and JSON header ({headerAccepted} accepted), " +
                                  $"{positions.Length - headerEnd} in weights and state ({accepted - headerAccepted} accepted)");
        foreach (int length in TruncationLengths(legacy.Length))
            tally.Try($"legacy truncated to {length}", () => Checkpoint.Load(legacy[..length], Name, target));
        TestContext.Out.WriteLine($"version 1 ({legacy.Length} bytes): tried {tally.Tried}, rejected {tally.Rejected}, accepted {tally.Accepted} " +
                                  "(no checksum: accepted are flips of weights, optimizer state or harmless header values)");
        Assert.That(tally.Accepted, Is.EqualTo(accepted), "every truncation of a legacy file must be rejected");
        Assert.That(tally.Rejected, Is.GreaterThan(0));
    }

    /// <summary>Header edits: (field the message must name, edit).</summary>
    private static IEnumerable<TestCaseData> HostileHeaders()
    {
        TestCaseData Case(string field, Action<JsonObject> edit, string label) => new TestCaseData(field, edit).SetArgDisplayNames(label);
        JsonObject Settings(JsonObject o) => o["settings"]!.AsObject();
        JsonObject Opt(JsonObject o) => o["options"]!.AsObject();
        yield return Case("history", o => o["history"] = null, "history null");
        yield return Case("settings", o => o["settings"] = null, "settings null");
        yield return Case("options", o => o["options"] = null, "options null");
        yield return Case("options.boolean", o => Opt(o)["boolean"] = null, "boolean options null");
        yield return Case("options.real", o => Opt(o)["real"] = null, "real options null");
        yield return Case("input_shape", o => o["input_shape"] = null, "input shape null");
        yield return Case("input_shape", o => o.Remove("input_shape"), "input shape missing");
        yield return Case("model", o => o["model"] = null, "model null");
        yield return Case("model", o => o["model"] = "no-such-model", "unknown model");
        yield return Case("dataset", o => o["dataset"] = null, "dataset null");
        yield return Case("settings.hidden", o => Settings(o)["hidden"] = null, "hidden null");
        yield return Case("settings.hidden[0]", o => Settings(o)["hidden"] = new JsonArray(100000000), "hidden 1e8");
        yield return Case("settings.hidden", o => Settings(o)["hidden"] = new JsonArray(65536, 65536), "hidden too large for the file");
        yield return Case("settings.hidden[1]", o => Settings(o)["hidden"] = new JsonArray(8, -1), "hidden negative");
        yield return Case("input_shape", o => o["input_shape"] = new JsonArray(100000, 100000, 1), "input 1e10 values");
        yield return Case("input_shape", o => o["input_shape"] = new JsonArray(4096, 4096, 1), "input 2^24 values, too many for the file");
        yield return Case("input_shape", o => o["input_shape"] = new JsonArray(28, 28), "input rank 2");
        yield return Case("input_shape[2]", o => o["input_shape"] = new JsonArray(28, 28, 0), "input channel 0");
        yield return Case("classes", o => o["classes"] = 0, "classes 0");
        yield return Case("classes", o => o["classes"] = 100000, "classes 1e5");
        yield return Case("options.boolean.learning_rate", o => Opt(o)["boolean"]!["learning_rate"] = "Infinity", "eta Infinity");
        yield return Case("options.boolean.learning_rate", o => Opt(o)["boolean"]!["learning_rate"] = "NaN", "eta NaN");
        yield return Case("options.boolean.learning_rate", o => Opt(o)["boolean"]!["learning_rate"] = -1, "eta negative");
        yield return Case("options.boolean.learning_rate", o => Opt(o)["boolean"]!["learning_rate"] = 0, "eta zero");
        yield return Case("options.real.learning_rate", o => Opt(o)["real"]!["learning_rate"] = "NaN", "lr NaN");
        yield return Case("options.real.learning_rate", o => Opt(o)["real"]!["learning_rate"] = "-Infinity", "lr -Infinity");
        yield return Case("options.real.momentum", o => Opt(o)["real"]!["momentum"] = 1.5, "momentum 1.5");
        yield return Case("options.real.epsilon", o => Opt(o)["real"]!["epsilon"] = 0, "epsilon 0");
        yield return Case("options.boolean.fixed_beta", o => Opt(o)["boolean"]!["fixed_beta"] = 0, "beta 0");
        yield return Case("options.boolean.clip", o => Opt(o)["boolean"]!["clip"] = "NaN", "clip NaN");
        yield return Case("options.evaluation_batch_size", o => Opt(o)["evaluation_batch_size"] = 0, "evaluation batch 0");
        yield return Case("options.batch_size", o => Opt(o)["batch_size"] = 0, "batch 0");
        yield return Case("options.epochs", o => Opt(o)["epochs"] = -1, "epochs -1");
        yield return Case("options.epochs", o => Opt(o)["epochs"] = int.MinValue, "epochs -2^31");
        yield return Case("options.epochs", o => Opt(o)["epochs"] = "many", "epochs not a number");
        yield return Case("options.epochs", o => Opt(o)["epochs"] = 1e99, "epochs 1e99");
        yield return Case("options.threads", o => Opt(o)["threads"] = -3, "threads -3");
        yield return Case("options.train_limit", o => Opt(o)["train_limit"] = -5, "train limit -5");
        yield return Case("options.augmentation", o => Opt(o)["augmentation"] = 42, "augmentation 42");
        yield return Case("settings.first", o => Settings(o)["first"] = 99, "first layer 99");
        yield return Case("settings.surrogate_width", o => Settings(o)["surrogate_width"] = "NaN", "surrogate width NaN");
        yield return Case("settings.signal_planes", o => Settings(o)["signal_planes"] = 1000, "signal planes 1000");
        yield return Case("history", o => Opt(o)["epochs"] = 0, "history longer than epochs");
        yield return Case("history[0]", o => o["history"] = new JsonArray((JsonNode?)null), "history entry null");
        yield return Case("history[0].epoch", o => o["history"]![0]!["epoch"] = 5, "history epoch 5");
        yield return Case("history[0].parameters", o => o["history"]![0]!["parameters"] = null, "history parameters null");
    }

    [TestCaseSource(nameof(HostileHeaders))]
    public void HostileHeaderValuesAreRejectedByValidation(string field, Action<JsonObject> edit)
    {
        byte[] bytes = WithHeader(Good.Value, edit);
        var error = Assert.Throws<CheckpointFormatException>(() => Checkpoint.ReadHeader(bytes, Name));
        Assert.That(error!.Message, Does.StartWith(Name + ": ").And.Contain(field));
        Assert.That(error.Message, Does.Not.Contain("checksum"));
        Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(bytes, Name, NewTrainer()));
    }

    [Test]
    public void HostileFramingAndStateValuesAreRejected()
    {
        byte[] good = Good.Value;
        int stateOffset = StateOffset(good);
        int length = HeaderLength(good);
        int prefix = PrefixBytes(length);
        byte[] body = good[..^Checkpoint.FooterBytes];

        Expect(Reseal([.. body[..HeaderOffset], 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, .. body[(HeaderOffset + prefix)..]]), "header length");
        Expect(Reseal([.. body[..HeaderOffset], 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, .. body[(HeaderOffset + prefix)..]]), "header length prefix");
        Expect(Reseal([.. body[..HeaderOffset], 0xFF, 0xFF, 0x3F, .. body[(HeaderOffset + prefix)..]]), "header length");
        Expect(Reseal([.. body[..19], (byte)'3', .. body[20..]]), "version");
        Expect(Reseal([.. body, 1, 2, 3]), "unexpected bytes");
        Expect(Reseal(body[..^1]), "truncated");
        Expect(Patch(body, stateOffset, BitConverter.GetBytes(int.MinValue)), "completed epochs");
        Expect(Patch(body, stateOffset, BitConverter.GetBytes(5)), "completed epochs");
        Expect(Patch(body, stateOffset + 4, BitConverter.GetBytes(-1L)), "step count");
        Expect(Patch(body, stateOffset + 12, BitConverter.GetBytes(7)), "optimizers stored");
        Expect(Patch(body, stateOffset + 16, [0x7F]), "optimizer"); // an overlong optimizer-name prefix
        Expect(Patch(body, HeaderOffset + prefix + length, BitConverter.GetBytes(int.MaxValue)), "layers stored");

        static void Expect(byte[] bytes, string words)
        {
            var error = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(bytes, Name, NewTrainer()));
            Assert.That(error!.Message, Does.StartWith(Name + ": ").And.Contain(words));
            Assert.That(error.Message, Does.Not.Contain("checksum"));
        }
    }

    [Test]
    public void NonFiniteWeightsAndOptimizerStateAreRejected()
    {
        Trainer weights = TrainedTrainer();
        RealParameter head = weights.Network.Parameters.Select(p => p.Parameter).OfType<RealParameter>().First();
        head.Value[3] = float.NaN;
        ExpectLoad(Checkpoint.Serialize(Header, weights), "must be finite", head.Name);

        Trainer buffers = TrainedTrainer();
        IHasBuffers withBuffers = buffers.Network.Layers.OfType<IHasBuffers>().First(l => l.Buffers.Count > 0);
        withBuffers.Buffers[0].Values[0] = float.PositiveInfinity;
        ExpectLoad(Checkpoint.Serialize(Header, buffers), "must be finite", withBuffers.Buffers[0].Name);

        Trainer adam = TrainedTrainer();
        OptimizerGroup real = adam.Groups.Single(g => g.Optimizer.Name == "adam");
        var param = (RealParameter)real.Parameters[0];
        float[] saved = (float[])param.Value.Clone();
        param.Gradient[0] = float.NaN;
        real.Optimizer.Step(real.Parameters, new StepInfo(0, 10, 1));
        saved.CopyTo(param.Value, 0);
        ExpectLoad(Checkpoint.Serialize(Header, adam), "optimizer 'adam'", "first moment m[0] is NaN");

        Trainer boolean = TrainedTrainer();
        OptimizerGroup flips = boolean.Groups.Single(g => g.Optimizer.Name == "flip-with-reset");
        var weight = (BooleanParameter)flips.Parameters[^1];
        weight.Signal[0] = float.NaN;
        flips.Optimizer.Step(flips.Parameters, new StepInfo(0, 10, 1));
        ExpectLoad(Checkpoint.Serialize(Header, boolean), "optimizer 'flip-with-reset'", "accumulator");

        static void ExpectLoad(byte[] bytes, string words, string more)
        {
            var error = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(bytes, Name, NewTrainer()));
            Assert.That(error!.Message, Does.StartWith(Name + ": ").And.Contain(words).And.Contain(more));
        }
    }

    [Test]
    public void DiscreteModelRoundTripsAndAnInt8WeightOutsideItsRangeIsRejected()
    {
        ModelSettings settings = ModelCatalog.Get(ModelCatalog.DiscreteMlpModel).Settings with { Hidden = [16, 8] };
        TrainingOptions options = Options with { IntegerStep = new IntegerStepOptions { LearningRate = 2 } };
        CheckpointHeader header = Header with { Model = ModelCatalog.DiscreteMlpModel, Settings = settings, Options = options };
        Trainer New() => new(ModelCatalog.BuildMlp(new ModelRequest(Shape, 10, 3, settings)), options);
        Trainer trained = New();
        trained.TrainEpoch(Data.Value);
        byte[] bytes = Checkpoint.Serialize(header, trained);
        Trainer restored = New();
        Checkpoint.Load(bytes, Name, restored);
        IntegerParameter[] before = trained.Network.Parameters.Select(p => p.Parameter).OfType<IntegerParameter>().ToArray();
        IntegerParameter[] after = restored.Network.Parameters.Select(p => p.Parameter).OfType<IntegerParameter>().ToArray();
        Assert.That(before, Has.Length.EqualTo(2));
        for (int i = 0; i < before.Length; i++) Assert.That(after[i].Value, Is.EqualTo(before[i].Value));
        trained.TrainEpoch(Data.Value);
        restored.TrainEpoch(Data.Value);
        Assert.That(ParameterStorage.Hash(restored.Network), Is.EqualTo(ParameterStorage.Hash(trained.Network)), "the integer optimizer's state resumes exactly");

        before[1].Value[5] = -128; // one below the int8 range -127..127
        var error = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(Checkpoint.Serialize(header, trained), Name, New()));
        Assert.That(error!.Message, Does.Contain("-128").And.Contain("outside its range [-127, 127]"));
    }

    private sealed class Tally
    {
        public int Tried, Rejected, Accepted;

        public void Try(string what, Action load)
        {
            Tried++;
            try
            {
                load();
                Accepted++;
            }
            catch (CheckpointFormatException e)
            {
                if (!e.Message.StartsWith(Name + ": ", StringComparison.Ordinal)) Assert.Fail($"{what}: message does not start with the file name: {e.Message}");
                Rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"{what}: {e.GetType().Name} escaped: {e.Message}");
            }
        }
    }

    private static IEnumerable<int> TruncationLengths(int length)
    {
        var random = new Random(7);
        return Enumerable.Range(0, Math.Min(64, length)).Concat(Enumerable.Range(0, 200).Select(_ => random.Next(64, length))).Append(length - 1).Distinct();
    }

    /// <summary>The version-1 file the old code wrote for the same state: old magic, no length field, no footer.</summary>
    private static byte[] Legacy(byte[] v2) => [.. "BOOLNET-CHECKPOINT-1"u8, .. v2[HeaderOffset..^Checkpoint.FooterBytes]];

    private static int HeaderLength(byte[] v2)
    {
        using var reader = new BinaryReader(new MemoryStream(v2, HeaderOffset, v2.Length - HeaderOffset));
        return reader.Read7BitEncodedInt();
    }

    private static int PrefixBytes(int length) => length < 1 << 7 ? 1 : length < 1 << 14 ? 2 : length < 1 << 21 ? 3 : 4;

    private static int StateOffset(byte[] v2)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true)) ParameterStorage.Write(writer, NewTrainer().Network);
        int length = HeaderLength(v2);
        return HeaderOffset + PrefixBytes(length) + length + (int)stream.Length;
    }

    /// <summary>A copy of <paramref name="v2"/> with its JSON header edited, length and checksum made right again.</summary>
    private static byte[] WithHeader(byte[] v2, Action<JsonObject> edit)
    {
        int length = HeaderLength(v2), start = HeaderOffset + PrefixBytes(length);
        JsonObject header = JsonNode.Parse(Encoding.UTF8.GetString(v2, start, length))!.AsObject();
        edit(header);
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(v2.AsSpan(0, HeaderOffset));
            writer.Write(header.ToJsonString());
            writer.Write(v2.AsSpan(start + length, v2.Length - Checkpoint.FooterBytes - start - length));
        }
        return Reseal(stream.ToArray());
    }

    private static byte[] Patch(byte[] body, int offset, byte[] value)
    {
        byte[] copy = (byte[])body.Clone();
        value.CopyTo(copy, offset);
        return Reseal(copy);
    }

    /// <summary>Appends a footer to <paramref name="body"/> (everything before it) with the right length and CRC-32C.</summary>
    private static byte[] Reseal(byte[] body)
    {
        var bytes = new byte[body.Length + Checkpoint.FooterBytes];
        body.CopyTo(bytes, 0);
        if (bytes.Length >= HeaderOffset) BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(20), (ulong)bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(body.Length), Crc32C.Compute(bytes.AsSpan(0, body.Length)));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(body.Length + 4), Checkpoint.EndMagic);
        return bytes;
    }
}
