namespace BoolNet.Inference.Serialization;

/// <summary>
/// Converts between <see cref="InferenceModel"/> and the model file: each layer kind has a reader
/// that validates its record (attribute ranges, tensor types and shapes against the layer's
/// shapes) and the model checks that the layers chain. Every fault becomes a
/// <see cref="ModelFormatException"/> naming the file, the layer and the problem.
/// </summary>
public static class ModelCodec
{
    private static readonly Dictionary<string, Func<LayerRecord, InferenceLayer>> Readers = new()
    {
        [BooleanDenseLayer.KindName] = BooleanDenseLayer.FromRecord,
        [BooleanLogitsLayer.KindName] = BooleanLogitsLayer.FromRecord,
        [BitPlaneDenseLayer.KindName] = BitPlaneDenseLayer.FromRecord,
        [Int8DenseLayer.KindName] = Int8DenseLayer.FromRecord,
        [ThermometerLayer.KindName] = ThermometerLayer.FromRecord,
        [FloatDenseLayer.KindName] = FloatDenseLayer.FromRecord,
        [BatchNormLayer.KindName] = BatchNormLayer.FromRecord,
        [ThresholdLayer.KindName] = ThresholdLayer.FromRecord,
    };

    static ModelCodec()
    {
        foreach (string kind in WrappedKinds.All) Readers[kind] = TrainingLayerAdapter.FromRecord;
    }

    /// <summary>Largest activation (values per sample) a model file may declare.</summary>
    public const int MaximumValuesPerSample = 1 << 24;

    /// <summary>Layer kinds this build can read.</summary>
    public static IReadOnlyCollection<string> Kinds => Readers.Keys;


    /// <summary>The document for a model.</summary>
    public static ModelDocument ToDocument(InferenceModel model)
    {
        var document = new ModelDocument();
        foreach (var pair in model.Metadata) document.Set(pair.Key, pair.Value);
        foreach (InferenceLayer layer in model.Layers) document.Layers.Add(layer.ToRecord());
        return document;
    }

    /// <summary>Writes a model file atomically.</summary>
    public static void Save(string path, InferenceModel model) => ModelFile.Write(path, ToDocument(model));

    /// <summary>The exact size in bytes of the file <see cref="Save"/> writes.</summary>
    public static long FileSize(InferenceModel model) => ModelFile.Serialize(ToDocument(model)).LongLength;

    /// <summary>Loads and validates a model file.</summary>
    /// <exception cref="ModelFormatException">The file is missing, damaged or inconsistent.</exception>
    public static InferenceModel Load(string path) => FromDocument(ModelFile.Read(path), path);

    /// <summary>Builds the model from a parsed document; <paramref name="path"/> names it in errors.</summary>
    public static InferenceModel FromDocument(ModelDocument document, string path)
    {
        var layers = new List<InferenceLayer>(document.Layers.Count);
        foreach (LayerRecord record in document.Layers)
        {
            record.FilePath = path;
            if (record.InputShape.Size > MaximumValuesPerSample || record.OutputShape.Size > MaximumValuesPerSample)
                throw record.Fault($"shapes {record.InputShape} -> {record.OutputShape} exceed {MaximumValuesPerSample} values per sample");
            if (!Readers.TryGetValue(record.Kind, out var reader))
                throw record.Fault($"unknown layer kind '{record.Kind}' (this build reads {string.Join(", ", Readers.Keys)})");
            try
            {
                layers.Add(reader(record));
                record.CheckAllRead();
            }
            catch (Exception e) when (e is ArgumentException or OverflowException or NotSupportedException)
            {
                throw record.Fault(e.Message);
            }
        }
        try
        {
            return new InferenceModel(layers, document.Metadata);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(path, $"inconsistent shapes: {e.Message}", e);
        }
    }
}
