using BoolNet.Commands;
using BoolNet.Inference;
using BoolNet.Inference.Serialization;
using BoolNet.Layers;
using BoolNet.Training;
using BoolNet.Training.Optimizers;

namespace BoolNet.Cli;

/// <summary>Opens what the user names as MODEL: a model file, a training checkpoint (folded on the fly) or a run folder.</summary>
internal sealed class ModelSource : IModelSource
{
    private static readonly Dictionary<string, string> ClassNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["fashion-mnist"] = "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot",
        ["mnist"] = "0,1,2,3,4,5,6,7,8,9",
        ["cifar10"] = "airplane,automobile,bird,cat,deer,dog,frog,horse,ship,truck",
    };

    /// <inheritdoc />
    public string Description => "Model file (.bnm), training checkpoint or run folder";

    /// <inheritdoc />
    InferenceModel IModelSource.Load(string path) => Load(path);

    /// <summary>Loads a model file, or folds a checkpoint (a run folder means its checkpoint.bin or model.bnm).</summary>
    public static InferenceModel Load(string path, bool preferCheckpoint = false)
    {
        if (Directory.Exists(path))
        {
            string model = Path.Combine(path, ModelFileSource.ModelFileName), checkpoint = Path.Combine(path, TrainRunner.CheckpointFile);
            path = File.Exists(model) && !(preferCheckpoint && File.Exists(checkpoint)) ? model : File.Exists(checkpoint) ? checkpoint
                : throw new ModelFormatException(path, $"folder holds neither model.bnm nor {TrainRunner.CheckpointFile}");
        }
        if (!File.Exists(path)) throw new ModelFormatException(path, "model file not found");
        if (ModelFileSource.IsModelFile(path)) return ModelCodec.Load(path);
        return FoldCheckpoint(path);
    }

    /// <summary>Rebuilds the checkpoint's network and folds it, with the run's facts as metadata.</summary>
    public static InferenceModel FoldCheckpoint(string path)
    {
        byte[] bytes = Checkpoint.ReadBytes(path);
        CheckpointHeader header = Checkpoint.ReadHeader(bytes, path); // checks the checksum and every header value
        Network network = Checkpoint.BuildNetwork(path, header);
        Checkpoint.LoadNetwork(bytes, path, network);
        var metadata = new List<KeyValuePair<string, string>>
        {
            new("name", header.Model),
            new("settings", header.Settings.Describe()),
            new("dataset", header.Dataset),
            new("epochs", header.History.Count.ToString()),
            new("optimizer.boolean", "flip-with-reset"),
            new("optimizer.boolean.state-bytes", header.Options.Boolean.Accumulator == AccumulatorType.Int16 ? "2" : "4"),
            new("optimizer.real", header.Options.Real.Kind.ToString().ToLowerInvariant()),
            new("optimizer.real.state-bytes", header.Options.Real.Kind == RealOptimizerKind.Adam ? "8" : header.Options.Real.Momentum == 0 ? "0" : "4"),
        };
        if (ClassNames.TryGetValue(header.Dataset, out string? names)) metadata.Add(new("classes", names));
        if (header.History.Count > 0) metadata.Add(new("test-accuracy", header.History[^1].TestAccuracy.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)));
        return NetworkFolder.Fold(network, metadata);
    }
}
