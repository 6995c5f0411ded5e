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
            if (!File.Exists(model)) throw new ModelFormatException(path, $"folder holds no {ModelFileName}");
            path = model;
        }
        return ModelCodec.Load(path);
    }

    /// <summary>True when the file starts with the model-file magic.</summary>
    public static bool IsModelFile(string path)
    {
        // A FIFO or device is no model file, and opening one could block: it is asked of the file system first.
        if (!File.Exists(path) || Core.IO.InputFile.NotRegular(path) is not null) return false;
        using FileStream stream = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[8];
        return stream.Read(magic) == 8 && magic.SequenceEqual(ModelFile.Magic);
    }
}
