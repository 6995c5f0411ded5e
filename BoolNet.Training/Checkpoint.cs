using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using BoolNet.Core.IO;
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
/// Training checkpoint: magic, JSON header (model, settings, options, history), then the network's
/// parameters and buffers and the trainer's optimizer states. Written atomically (temp file + rename)
/// so an interruption leaves the previous checkpoint intact.
/// </summary>
public static class Checkpoint
{
    private static readonly byte[] Magic = "BOOLNET-CHECKPOINT-1"u8.ToArray();

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
        header = header with { History = [.. trainer.History] };
        AtomicFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            writer.Write(Magic);
            writer.Write(JsonSerializer.Serialize(header, Json));
            ParameterStorage.Write(writer, trainer.Network);
            trainer.SaveState(writer);
        });
    }

    /// <summary>Reads only the header.</summary>
    public static CheckpointHeader ReadHeader(string path)
    {
        using FileStream stream = Open(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        return ReadHeader(reader, path);
    }

    /// <summary>Restores network parameters and trainer state from <paramref name="path"/>.</summary>
    public static void Load(string path, Trainer trainer)
    {
        using FileStream stream = Open(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        CheckpointHeader header = ReadHeader(reader, path);
        try
        {
            ParameterStorage.Read(reader, trainer.Network, path);
            trainer.LoadState(reader, header.History, path);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: checkpoint is truncated");
        }
    }

    /// <summary>Restores only the network (for evaluation).</summary>
    public static void LoadNetwork(string path, Network network)
    {
        using FileStream stream = Open(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        ReadHeader(reader, path);
        try
        {
            ParameterStorage.Read(reader, network, path);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: checkpoint is truncated");
        }
    }

    private static FileStream Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: checkpoint not found", path);
        return File.OpenRead(path);
    }

    private static CheckpointHeader ReadHeader(BinaryReader reader, string path)
    {
        try
        {
            byte[] magic = reader.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic)) throw new InvalidDataException($"{path}: not a BoolNet checkpoint (bad magic)");
            return JsonSerializer.Deserialize<CheckpointHeader>(reader.ReadString(), Json)
                ?? throw new InvalidDataException($"{path}: empty checkpoint header");
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException)
        {
            throw new InvalidDataException($"{path}: corrupt checkpoint header ({e.Message})");
        }
    }
}
