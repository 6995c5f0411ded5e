using BoolNet.Core.IO;
using BoolNet.Inference;
using BoolNet.Inference.Serialization;

namespace BoolNet.Commands;

/// <summary>
/// Opens what the user names as MODEL. The inference-only binary reads model files (and a run folder's
/// <c>model.bnm</c>); <c>boolnet</c> also folds training checkpoints on the fly, with its own source.
/// </summary>
public interface IModelSource
{
    /// <summary>Loads and validates the model <paramref name="path"/> names.</summary>
    /// <exception cref="ModelFormatException">Missing, damaged or inconsistent.</exception>
    InferenceModel Load(string path);

    /// <summary>What MODEL may be, for the help text.</summary>
    string Description { get; }

    /// <summary>Loads the model <c>summary</c> describes; a source may accept more there than <see cref="Load"/> (a model name).</summary>
    /// <exception cref="ModelFormatException">Missing, damaged or inconsistent.</exception>
    InferenceModel LoadForSummary(string path) => Load(path);

    /// <summary>What MODEL of <c>summary</c> may be, for the help text.</summary>
    string SummaryDescription => Description;
}

/// <summary>Model files written by <c>boolnet export</c>, or a folder holding <c>model.bnm</c>.</summary>
public sealed class ModelFileSource : IModelSource
{
    /// <summary>The file name <c>boolnet export</c> writes into a run folder by default.</summary>
    public const string ModelFileName = "model.bnm";

    /// <inheritdoc />
    public string Description => "Model file (.bnm) or a folder holding model.bnm";

    /// <inheritdoc />
    public InferenceModel Load(string path)
    {
        if (Directory.Exists(path))
        {
            string model = Path.Combine(path, ModelFileName);
            if (!File.Exists(model))
                throw new ModelFormatException(path, File.Exists(Path.Combine(path, CheckpointFileName))
                    ? $"folder holds no {ModelFileName}, only a training checkpoint; run `boolnet export {path}` first"
                    : $"folder holds no {ModelFileName}");
            path = model;
        }
        if (IsTrainingCheckpoint(path))
            throw new ModelFormatException(path, "this is a training checkpoint, not a model file; run `boolnet export CHECKPOINT -o model.bnm` first");
        return ModelCodec.Load(path);
    }

    /// <summary>The file name of a run folder's training checkpoint.</summary>
    public const string CheckpointFileName = "checkpoint.bin";

    /// <summary>True when the file starts as a training checkpoint does ("BOOLNET-CHECKPOINT-", see BoolNet.Training's Checkpoint).</summary>
    public static bool IsTrainingCheckpoint(string path) => StartsWith(path, "BOOLNET-CHECKPOINT-"u8);

    /// <summary>True when the file starts with the model-file magic.</summary>
    public static bool IsModelFile(string path) => StartsWith(path, ModelFile.Magic);

    private static bool StartsWith(string path, ReadOnlySpan<byte> magic)
    {
        if (!File.Exists(path) || InputFile.NotRegular(path) is not null) return false;
        Span<byte> start = stackalloc byte[magic.Length];
        try
        {
            using FileStream stream = File.OpenRead(path);
            return stream.ReadAtLeast(start, magic.Length, throwOnEndOfStream: false) == magic.Length && start.SequenceEqual(magic);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // the loader that opens it next reports the problem
        }
    }
}
