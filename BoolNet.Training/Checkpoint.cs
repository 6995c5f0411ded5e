using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using BoolNet.Core.IO;
using BoolNet.Core.Operators;
using BoolNet.Layers;
using BoolNet.Training.Models;

namespace BoolNet.Training;

/// <summary>What a checkpoint says about its run (stored as JSON at the head of the file).</summary>
public sealed record CheckpointHeader
{
    /// <summary>Catalogue name of the model.</summary>
    public string Model { get; init; } = "";

    /// <summary>The model's settings.</summary>
    public ModelSettings Settings { get; init; } = new();

    /// <summary>The training options.</summary>
    public TrainingOptions Options { get; init; } = new();

    /// <summary>Dataset name or path given to the command.</summary>
    public string Dataset { get; init; } = "";

    /// <summary>Input shape of one sample.</summary>
    public int[] InputShape { get; init; } = [];

    /// <summary>Number of classes.</summary>
    public int Classes { get; init; }

    /// <summary>Epoch results so far.</summary>
    public List<EpochResult> History { get; init; } = [];
}

/// <summary>
/// Training checkpoint, format version 2 (docs in BoolNet.Inference/Serialization/FORMAT.md, section
/// "Training checkpoints"). All integers little-endian:
/// <code>
///   0  magic "BOOLNET-CHECKPOINT-2" (20 ASCII bytes; the last one is the format version)
///   20 u64 file length in bytes (must equal the real length)
///   28 JSON header (<see cref="CheckpointHeader"/>): 7-bit encoded byte length + UTF-8
///      network parameters and buffers (<see cref="ParameterStorage"/>)
///      trainer state: i32 completed epochs, i64 steps, i32 optimizers, each (string name, state)
///   footer (8 bytes): u32 CRC-32C of every byte before the footer, u32 end magic "BNC."
/// </code>
/// Version 1 ("BOOLNET-CHECKPOINT-1", written before checksums) is the same without the length field
/// and the footer; it still loads, with the same validation of every value. A reader reads the whole
/// file (at most <see cref="MaximumFileBytes"/>), checks magic, version, length and checksum first,
/// then every header value (<see cref="Validate"/>), and bounds every count by the bytes that remain,
/// so a damaged or hostile file fails with one <see cref="CheckpointFormatException"/> naming the file
/// and the fault. Written atomically (temp file + rename) so an interruption leaves the previous
/// checkpoint intact.
/// </summary>
public static class Checkpoint
{
    /// <summary>The format version this code writes.</summary>
    public const int Version = 2;

    /// <summary>The footer's end magic "BNC." (42 4E 43 2E).</summary>
    public const uint EndMagic = 0x2E434E42;

    /// <summary>Size of the footer (checksum + end magic).</summary>
    public const int FooterBytes = 8;

    /// <summary>Largest checkpoint accepted (the largest byte array).</summary>
    public const long MaximumFileBytes = 0x7FFFFFC7;

    /// <summary>Largest JSON header accepted (16 MiB).</summary>
    public const int MaximumHeaderBytes = 16 << 20;

    /// <summary>Largest number of input values per sample a header may declare (2^24).</summary>
    public const int MaximumInputValues = 1 << 24;

    /// <summary>Largest hidden width or class count a header may declare (65536).</summary>
    public const int MaximumWidth = 1 << 16;

    private const int MagicBytes = 20;
    private static ReadOnlySpan<byte> MagicStem => "BOOLNET-CHECKPOINT-"u8;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>JSON settings shared by checkpoints and metrics.</summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes the checkpoint of <paramref name="trainer"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, CheckpointHeader header, Trainer trainer)
    {
        using MemoryStream bytes = Write(header, trainer);
        AtomicFile.Write(path, stream => stream.Write(bytes.GetBuffer(), 0, (int)bytes.Length));
    }

    /// <summary>The exact bytes of the checkpoint of <paramref name="trainer"/> (version <see cref="Version"/>).</summary>
    public static byte[] Serialize(CheckpointHeader header, Trainer trainer)
    {
        using MemoryStream bytes = Write(header, trainer);
        return bytes.ToArray();
    }

    private static MemoryStream Write(CheckpointHeader header, Trainer trainer)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(trainer);
        header = header with { History = [.. trainer.History] };
        var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(MagicStem);
            writer.Write((byte)('0' + Version));
            writer.Write(0UL); // the length, patched below
            writer.Write(JsonSerializer.Serialize(header, Json));
            ParameterStorage.Write(writer, trainer.Network);
            trainer.SaveState(writer);
        }
        long total = stream.Length + FooterBytes;
        if (total > MaximumFileBytes) throw new InvalidOperationException($"the checkpoint would be {total} bytes, above the {MaximumFileBytes}-byte limit");
        byte[] buffer = stream.GetBuffer();
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(MagicBytes), (ulong)total);
        uint crc = Crc32C.Compute(buffer.AsSpan(0, (int)stream.Length));
        Span<byte> footer = stackalloc byte[FooterBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, crc);
        BinaryPrimitives.WriteUInt32LittleEndian(footer[4..], EndMagic);
        stream.Write(footer);
        return stream;
    }

    /// <summary>Reads and validates only the header (the whole file's length and checksum are checked too).</summary>
    /// <exception cref="CheckpointFormatException">The file is missing, unreadable or invalid.</exception>
    public static CheckpointHeader ReadHeader(string path) => ReadHeader(ReadBytes(path), path);

    /// <summary>Validates the bytes of a checkpoint and returns its header; <paramref name="path"/> names it in errors.</summary>
    /// <exception cref="CheckpointFormatException">The bytes are not a valid checkpoint.</exception>
    public static CheckpointHeader ReadHeader(byte[] bytes, string path) => Parse(bytes, path).Header;

    /// <summary>Restores network parameters and trainer state from <paramref name="path"/>.</summary>
    /// <exception cref="CheckpointFormatException">The file is missing, unreadable, invalid or does not match the trainer.</exception>
    public static void Load(string path, Trainer trainer) => Load(ReadBytes(path), path, trainer);

    /// <summary>Restores network parameters and trainer state from the bytes of a checkpoint; <paramref name="path"/> names it in errors.</summary>
    /// <exception cref="CheckpointFormatException">The bytes are not a valid checkpoint or do not match the trainer.</exception>
    public static void Load(byte[] bytes, string path, Trainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        Parsed parsed = Parse(bytes, path);
        ReadBody(parsed, path, reader =>
        {
            ParameterStorage.Read(reader, trainer.Network, path);
            trainer.LoadState(reader, parsed.Header.History, path);
        }, requireEnd: true);
    }

    /// <summary>Restores only the network (for evaluation).</summary>
    /// <exception cref="CheckpointFormatException">The file is missing, unreadable, invalid or does not match the network.</exception>
    public static void LoadNetwork(string path, Network network) => LoadNetwork(ReadBytes(path), path, network);

    /// <summary>Restores only the network from the bytes of a checkpoint; <paramref name="path"/> names it in errors.</summary>
    /// <exception cref="CheckpointFormatException">The bytes are not a valid checkpoint or do not match the network.</exception>
    public static void LoadNetwork(byte[] bytes, string path, Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        Parsed parsed = Parse(bytes, path);
        ReadBody(parsed, path, reader => ParameterStorage.Read(reader, network, path), requireEnd: false);
    }

    /// <summary>
    /// Builds the network a validated <paramref name="header"/> describes, for <paramref name="input"/>
    /// and <paramref name="classes"/> (default: the header's). A model factory's refusal of the settings
    /// becomes a <see cref="CheckpointFormatException"/> naming <paramref name="path"/>.
    /// </summary>
    public static Network BuildNetwork(string path, CheckpointHeader header, TensorShape? input = null, int? classes = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        TensorShape shape = input ?? new TensorShape(header.InputShape[0], header.InputShape[1], header.InputShape[2]);
        try
        {
            return ModelCatalog.Get(header.Model).Build(shape, classes ?? header.Classes, header.Options.Seed, header.Settings);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidOperationException or OverflowException or OutOfMemoryException)
        {
            throw new CheckpointFormatException(path, $"its settings do not build a '{header.Model}' network: {e.Message}", e);
        }
    }

    private sealed record Parsed(CheckpointHeader Header, byte[] Bytes, int BodyStart, int BodyEnd, int Version);

    /// <summary>The bytes of the checkpoint at <paramref name="path"/> (at most <see cref="MaximumFileBytes"/>), unchecked.</summary>
    /// <exception cref="CheckpointFormatException">The file is missing, unreadable or too large.</exception>
    public static byte[] ReadBytes(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        // A FIFO or device would block or never end; refused before opening, as model files are.
        if (File.Exists(path) && InputFile.NotRegular(path) is string what) throw new CheckpointFormatException(path, $"is {what}, not a checkpoint file");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            long length = stream.Length;
            if (length > MaximumFileBytes) throw new CheckpointFormatException(path, $"file is {length} bytes, larger than the {MaximumFileBytes}-byte limit for a checkpoint");
            var bytes = new byte[length];
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (CheckpointFormatException) { throw; }
        catch (FileNotFoundException e) { throw new CheckpointFormatException(path, "checkpoint not found", e); }
        catch (DirectoryNotFoundException e) { throw new CheckpointFormatException(path, "checkpoint not found (folder missing)", e); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointFormatException(path, $"cannot read checkpoint: {e.Message}", e);
        }
    }

    private static Parsed Parse(byte[] bytes, string path)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(path);
        if (bytes.Length < MagicBytes)
            throw new CheckpointFormatException(path, bytes.Length == 0 ? "empty file, not a checkpoint" : $"truncated: {bytes.Length} bytes, shorter than the checkpoint magic");
        if (!bytes.AsSpan(0, MagicStem.Length).SequenceEqual(MagicStem))
            throw new CheckpointFormatException(path, "not a BoolNet checkpoint (bad magic)");
        int version = bytes[MagicBytes - 1] - '0';
        int bodyStart, bodyEnd;
        switch (version)
        {
            case 1:
                bodyStart = MagicBytes;
                bodyEnd = bytes.Length;
                break;
            case Version:
                if (bytes.Length < MagicBytes + 8 + FooterBytes)
                    throw new CheckpointFormatException(path, $"truncated: {bytes.Length} bytes, a version {Version} checkpoint has at least {MagicBytes + 8 + FooterBytes}");
                ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(MagicBytes));
                if (declared != (ulong)bytes.Length)
                    throw new CheckpointFormatException(path, declared > (ulong)bytes.Length
                        ? $"truncated: the file length field says {declared} bytes but the file has {bytes.Length}"
                        : $"the file length field says {declared} bytes but the file has {bytes.Length} (trailing data or damaged field)");
                bodyEnd = bytes.Length - FooterBytes;
                if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bodyEnd + 4)) != EndMagic)
                    throw new CheckpointFormatException(path, "end magic missing (truncated or damaged file)");
                uint stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bodyEnd));
                uint actual = Crc32C.Compute(bytes.AsSpan(0, bodyEnd));
                if (stored != actual)
                    throw new CheckpointFormatException(path, $"checksum mismatch (stored CRC-32C {stored:X8}, computed {actual:X8}): the file is damaged");
                bodyStart = MagicBytes + 8;
                break;
            default:
                throw new CheckpointFormatException(path, $"unknown checkpoint format version '{(char)bytes[MagicBytes - 1]}'; this build reads versions 1 and {Version}");
        }

        // The JSON header: a 7-bit encoded length (at most 5 bytes), bounded by the bytes that remain.
        int position = bodyStart;
        uint length = 0;
        for (int shift = 0; ; shift += 7)
        {
            if (position >= bodyEnd) throw new CheckpointFormatException(path, "truncated: the file ends inside the header length");
            if (shift > 28) throw new CheckpointFormatException(path, "malformed header length prefix (more than 5 bytes)");
            byte b = bytes[position++];
            length |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) break;
        }
        if (length > MaximumHeaderBytes)
            throw new CheckpointFormatException(path, $"header length {length} is above the {MaximumHeaderBytes}-byte limit");
        if (length > (uint)(bodyEnd - position))
            throw new CheckpointFormatException(path, $"truncated: header length {length} but only {bodyEnd - position} bytes follow");
        CheckpointHeader? header;
        try
        {
            string json = StrictUtf8.GetString(bytes, position, (int)length);
            header = JsonSerializer.Deserialize<CheckpointHeader>(json, Json);
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException or NotSupportedException or ArgumentException)
        {
            throw new CheckpointFormatException(path, $"corrupt checkpoint header ({HeaderProblem(e)})", e);
        }
        if (header is null) throw new CheckpointFormatException(path, "empty checkpoint header (null)");
        Validate(header, path, bytes.Length);
        return new Parsed(header, bytes, position + (int)length, bodyEnd, version);
    }

    private static void ReadBody(Parsed parsed, string path, Action<BinaryReader> read, bool requireEnd)
    {
        using var stream = new MemoryStream(parsed.Bytes, parsed.BodyStart, parsed.BodyEnd - parsed.BodyStart, writable: false);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            read(reader);
        }
        catch (EndOfStreamException e)
        {
            throw new CheckpointFormatException(path, "truncated: the file ends inside the parameters or the optimizer state", e);
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointFormatException(path, e.Message, e);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException or DecoderFallbackException
                                      or (IOException and not CheckpointFormatException))
        {
            throw new CheckpointFormatException(path, $"corrupt parameters or optimizer state ({e.Message})", e);
        }
        if (requireEnd && stream.Position != stream.Length)
            throw new CheckpointFormatException(path, $"{stream.Length - stream.Position} unexpected bytes after the optimizer state");
    }

    /// <summary>
    /// Checks every value of <paramref name="header"/>: no missing (null) field, a known model, a sane
    /// input shape, class count and hidden widths (and no more weights than a file of
    /// <paramref name="fileBytes"/> bytes can hold), finite positive learning rates, batch sizes of at
    /// least 1, and a history consistent with the epochs.
    /// </summary>
    /// <exception cref="CheckpointFormatException">A value is missing or out of range; the message names the field.</exception>
    public static void Validate(CheckpointHeader header, string path, long fileBytes)
    {
        ArgumentNullException.ThrowIfNull(header);
        var check = new HeaderCheck(path);
        check.NotNull(header.Model, "model");
        if (!ModelCatalog.Contains(header.Model)) check.Fail("model", $"names no known model ('{Shorten(header.Model)}')");
        check.NotNull(header.Dataset, "dataset");
        if (header.Dataset.Length == 0 || header.Dataset.Length > 4096) check.Fail("dataset", $"has {header.Dataset.Length} characters (1 to 4096 expected)");
        check.NotNull(header.InputShape, "input_shape");
        if (header.InputShape.Length != 3) check.Fail("input_shape", $"has {header.InputShape.Length} dimensions, 3 (height, width, channels) expected");
        long inputValues = 1;
        for (int i = 0; i < 3; i++)
        {
            check.Range(header.InputShape[i], 1, MaximumInputValues, $"input_shape[{i}]");
            inputValues *= header.InputShape[i];
            if (inputValues > MaximumInputValues) check.Fail("input_shape", $"declares more than {MaximumInputValues} values per sample");
        }
        check.Range(header.Classes, 2, MaximumWidth, "classes");
        // Every catalogue model ends in a dense head whose fan-in grows with the input: a file too
        // small to hold one bit per (input value, class) pair cannot be genuine, and refusing it
        // bounds what a network rebuilt from this header allocates by a multiple of the file's size.
        if ((double)inputValues * header.Classes / 8 > fileBytes)
            check.Fail("input_shape", $"with classes describes {inputValues} x {header.Classes} input-class pairs, more than the {fileBytes}-byte file can hold at one bit each");

        ModelSettings settings = check.NotNull(header.Settings, "settings");
        int[] hidden = check.NotNull(settings.Hidden, "settings.hidden");
        check.Range(hidden.Length, 0, 64, "settings.hidden (layer count)");
        for (int i = 0; i < hidden.Length; i++) check.Range(hidden[i], 1, MaximumWidth, $"settings.hidden[{i}]");
        check.Defined(settings.First, "settings.first");
        check.Defined(settings.Head, "settings.head");
        check.Defined(settings.Surrogate, "settings.surrogate");
        check.Defined(settings.Rounding, "settings.rounding");
        check.Defined(settings.Logic, "settings.logic");
        check.Range(settings.InputBits, 1, 8, "settings.input_bits");
        check.Range(settings.ThermometerLevels, 1, 255, "settings.thermometer_levels");
        check.Range(settings.SignalPlanes, 0, 16, "settings.signal_planes");
        check.Range(settings.FirstLayerSignalPlanes, 0, 16, "settings.first_layer_signal_planes");
        check.Range(settings.InputSignalPlanes, 0, 16, "settings.input_signal_planes");
        check.FiniteAtLeast(settings.FirstLayerLearningRateScale, 0, "settings.first_layer_learning_rate_scale");
        check.FiniteAtLeast(settings.HeadScale, 0, "settings.head_scale");
        if (settings.SurrogateWidth is { } width) check.FinitePositive(width, "settings.surrogate_width");

        // Every Boolean weight takes at least one bit of the file: a chain of hidden widths the file
        // cannot hold is refused before any network is built from it.
        if (hidden.Length > 0)
        {
            double weights = (double)inputValues * hidden[0] + (double)hidden[^1] * header.Classes;
            for (int i = 1; i < hidden.Length; i++) weights += (double)hidden[i - 1] * hidden[i];
            if (weights / 8 > fileBytes)
                check.Fail("settings.hidden", $"with input_shape and classes describes at least {weights:0} weights, more than the {fileBytes}-byte file can hold");
        }

        TrainingOptions options = check.NotNull(header.Options, "options");
        check.Range(options.Epochs, 0, 1_000_000, "options.epochs");
        check.Range(options.BatchSize, 1, 1 << 20, "options.batch_size");
        check.Range(options.EvaluationBatchSize, 1, 1 << 20, "options.evaluation_batch_size");
        check.Range(options.Threads, 0, 4096, "options.threads");
        check.Range(options.TrainLimit, 0, int.MaxValue, "options.train_limit");
        check.Range(options.TestLimit, 0, int.MaxValue, "options.test_limit");
        check.Defined(options.Augmentation, "options.augmentation");
        Optimizers.BooleanOptimizerOptions boolean = check.NotNull(options.Boolean, "options.boolean");
        check.FinitePositive(boolean.LearningRate, "options.boolean.learning_rate");
        check.Defined(boolean.Schedule, "options.boolean.schedule");
        check.Defined(boolean.Accumulator, "options.boolean.accumulator");
        check.FiniteAtLeast(boolean.Clip, 0, "options.boolean.clip");
        if (boolean.FixedBeta is { } beta && !(beta > 0 && beta <= 1)) check.Fail("options.boolean.fixed_beta", $"is {beta}, outside (0, 1]");
        Optimizers.RealOptimizerOptions real = check.NotNull(options.Real, "options.real");
        check.Defined(real.Kind, "options.real.kind");
        check.Defined(real.Schedule, "options.real.schedule");
        check.FinitePositive(real.LearningRate, "options.real.learning_rate");
        check.Fraction(real.Momentum, "options.real.momentum");
        check.Fraction(real.Beta1, "options.real.beta1");
        check.Fraction(real.Beta2, "options.real.beta2");
        check.FinitePositive(real.Epsilon, "options.real.epsilon");
        if (options.IntegerStep is { } integer)
        {
            check.FinitePositive(integer.LearningRate, "options.integer_step.learning_rate");
            check.Defined(integer.Schedule, "options.integer_step.schedule");
            check.Defined(integer.Normalization, "options.integer_step.normalization");
        }

        List<EpochResult> history = check.NotNull(header.History, "history");
        if (history.Count > options.Epochs) check.Fail("history", $"has {history.Count} epochs, more than options.epochs ({options.Epochs})");
        for (int e = 0; e < history.Count; e++)
        {
            EpochResult result = check.NotNull(history[e], $"history[{e}]");
            if (result.Epoch != e + 1) check.Fail($"history[{e}].epoch", $"is {result.Epoch}, {e + 1} expected");
            check.NotNull(result.LayerForwardSeconds, $"history[{e}].layer_forward_seconds");
            check.NotNull(result.LayerBackwardSeconds, $"history[{e}].layer_backward_seconds");
            IReadOnlyList<ParameterDiagnostics> parameters = check.NotNull(result.Parameters, $"history[{e}].parameters");
            for (int p = 0; p < parameters.Count; p++)
            {
                ParameterDiagnostics diagnostics = check.NotNull(parameters[p], $"history[{e}].parameters[{p}]");
                check.NotNull(diagnostics.Parameter, $"history[{e}].parameters[{p}].parameter");
                check.NotNull(diagnostics.Optimizer, $"history[{e}].parameters[{p}].optimizer");
            }
        }
    }

    /// <summary>
    /// What is wrong with the header JSON, in words: the field (JSON path) and the position, never a .NET
    /// type name (a value of the wrong type says "has a value of the wrong type").
    /// </summary>
    private static string HeaderProblem(Exception e)
    {
        if (e is not JsonException json) return e is DecoderFallbackException ? "not valid UTF-8" : Shorten(e.Message);
        string where = json.BytePositionInLine is long position ? $" at byte {position}" : "";
        if (json.Path is { Length: > 1 } field)
            return json.InnerException is null && json.Message.Contains("could not be converted", StringComparison.Ordinal)
                ? $"field '{field[2..]}' has a value of the wrong type{where}"
                : $"field '{field[2..]}' cannot be read{where}";
        return $"not valid JSON{where}";
    }

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "...";

    private readonly struct HeaderCheck(string path)
    {
        public T NotNull<T>(T? value, string field) where T : class =>
            value ?? throw new CheckpointFormatException(path, $"header field '{field}' is missing or null");

        public void Fail(string field, string problem) => throw new CheckpointFormatException(path, $"header field '{field}' {problem}");

        public void Range(long value, long minimum, long maximum, string field)
        {
            if (value < minimum || value > maximum) Fail(field, $"is {value}, outside {minimum}..{maximum}");
        }

        public void FinitePositive(double value, string field)
        {
            if (!double.IsFinite(value) || value <= 0) Fail(field, $"is {value}, not a finite positive number");
        }

        public void FiniteAtLeast(double value, double minimum, string field)
        {
            if (!double.IsFinite(value) || value < minimum) Fail(field, $"is {value}, not a finite number >= {minimum}");
        }

        public void Fraction(double value, string field)
        {
            if (!(value >= 0 && value < 1)) Fail(field, $"is {value}, outside [0, 1)");
        }

        public void Defined<TEnum>(TEnum value, string field) where TEnum : struct, Enum
        {
            if (!Enum.IsDefined(value)) Fail(field, $"is {value}, not a known value");
        }
    }
}
