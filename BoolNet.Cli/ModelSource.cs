using BoolNet.Commands;
using BoolNet.Inference;
using BoolNet.Inference.Serialization;
using BoolNet.Layers;
using BoolNet.Training;
using BoolNet.Training.Models;
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
            new("dataset", header.Dataset),
            new("epochs", header.History.Count.ToString()),
        };
        metadata.AddRange(SettingsMetadata(network, header.Settings));
        metadata.AddRange(OptimizerMetadata(header.Options));
        if (ClassNames.TryGetValue(header.Dataset, out string? names)) metadata.Add(new("classes", names));
        if (header.History.Count > 0) metadata.Add(new("test-accuracy", header.History[^1].TestAccuracy.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)));
        return NetworkFolder.Fold(network, metadata);
    }

    /// <inheritdoc />
    public string SummaryDescription => "Model file (.bnm), training checkpoint, run folder, or a catalogue model name (described untrained)";

    /// <summary>
    /// What <c>summary</c> describes: a model file, checkpoint or run folder as <see cref="Load"/> opens them, else a
    /// catalogue model before training (<see cref="DescribeCatalogueModel"/>); a file or folder of that name wins.
    /// </summary>
    /// <exception cref="ModelFormatException">Neither a file, a folder nor a catalogue model (the message lists what was tried).</exception>
    public InferenceModel LoadForSummary(string path)
    {
        if (File.Exists(path) || Directory.Exists(path)) return Load(path);
        if (ModelCatalog.Contains(path)) return DescribeCatalogueModel(path);
        throw new ModelFormatException(path, "no such model: tried a model file, checkpoint or run folder (no file or folder of that name) " +
            $"and a catalogue model (none of that name; known: {string.Join(", ", ModelCatalog.All.Select(e => e.Name))})");
    }

    /// <summary>The input a catalogue model is described for: Fashion-MNIST's 28x28 grey images.</summary>
    public static TensorShape CatalogueInput { get; } = new(28, 28, 1);

    /// <summary>The class count a catalogue model is described for (Fashion-MNIST).</summary>
    public const int CatalogueClasses = 10;

    /// <summary>
    /// A catalogue model before training: built with its default settings and seed for the Fashion-MNIST input
    /// (28x28x1, 10 classes) and folded like a checkpoint, so the summary shows what training would produce.
    /// </summary>
    public static InferenceModel DescribeCatalogueModel(string name)
    {
        ModelEntry entry = ModelCatalog.Get(name);
        Network network;
        try
        {
            network = entry.Build(CatalogueInput, CatalogueClasses, entry.Defaults.Seed);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{entry.Name} cannot be built for the Fashion-MNIST input {CatalogueInput} with {CatalogueClasses} classes: {e.Message}", e);
        }
        var metadata = new List<KeyValuePair<string, string>>
        {
            new("name", entry.Name),
            new("description", entry.Description),
            new("dataset", "fashion-mnist"),
            new("classes", ClassNames["fashion-mnist"]),
            new("weights", $"untrained (catalogue defaults, seed {entry.Defaults.Seed}, input {CatalogueInput}, {CatalogueClasses} classes)"),
        };
        metadata.AddRange(SettingsMetadata(network, entry.Settings));
        metadata.AddRange(OptimizerMetadata(entry.Defaults));
        return NetworkFolder.Fold(network, metadata);
    }

    /// <summary>
    /// The settings line, only for networks with Boolean weights: its knobs (hidden widths, first layer,
    /// surrogate, signal planes) describe the Boolean models; a float or integer model (sgd-*, zim-*)
    /// does not use them, so they would describe the wrong architecture.
    /// </summary>
    private static IEnumerable<KeyValuePair<string, string>> SettingsMetadata(Network network, ModelSettings settings) =>
        network.Parameters.Any(p => p.Parameter is BooleanParameter) ? [new("settings", settings.Describe())] : [];

    /// <summary>The optimizer facts the summary's training-memory lines read.</summary>
    private static IEnumerable<KeyValuePair<string, string>> OptimizerMetadata(TrainingOptions options) =>
    [
        new("optimizer.boolean", "flip-with-reset"),
        new("optimizer.boolean.state-bytes", options.Boolean.Accumulator == AccumulatorType.Int16 ? "2" : "4"),
        new("optimizer.real", options.Real.Kind.ToString().ToLowerInvariant()),
        new("optimizer.real.state-bytes", options.Real.Kind == RealOptimizerKind.Adam ? "8" : options.Real.Momentum == 0 ? "0" : "4"),
    ];
}
