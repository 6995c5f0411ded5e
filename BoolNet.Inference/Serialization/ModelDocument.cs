using BoolNet.Core.Bits;

using BoolNet.Layers;

namespace BoolNet.Inference.Serialization;

/// <summary>
/// The structured content of a model file, independent of the layer classes: metadata strings and
/// one record per layer. <see cref="ModelFile"/> turns it into bytes and back with full structural
/// validation; the layer codecs turn records into inference layers with semantic validation.
/// </summary>
public sealed class ModelDocument
{
    /// <summary>Key/value metadata in file order (model name, dataset, optimizer, class names...).</summary>
    public List<KeyValuePair<string, string>> Metadata { get; } = [];

    /// <summary>The layers, input first.</summary>
    public List<LayerRecord> Layers { get; } = [];

    /// <summary>The value of a metadata key, or null.</summary>
    public string? Get(string key)
    {
        foreach (var pair in Metadata)
            if (pair.Key == key) return pair.Value;
        return null;
    }

    /// <summary>Sets (replaces or appends) a metadata key.</summary>
    public void Set(string key, string value)
    {
        for (int i = 0; i < Metadata.Count; i++)
            if (Metadata[i].Key == key) { Metadata[i] = new(key, value); return; }
        Metadata.Add(new(key, value));
    }
}

/// <summary>Type of a stored attribute value.</summary>
public enum AttributeType : byte
{
    /// <summary>A signed 64-bit integer.</summary>
    Integer = 1,

    /// <summary>A 64-bit float (float32 hyper-parameters convert to it exactly).</summary>
    Real = 2,

    /// <summary>A UTF-8 string.</summary>
    Text = 3,
}

/// <summary>A named attribute of a layer (a hyper-parameter).</summary>
public readonly record struct LayerAttribute(string Name, AttributeType Type, long Integer, double Real, string? Text);

/// <summary>Element type of a stored tensor.</summary>
public enum TensorType : byte
{
    /// <summary>Packed bits: the last dimension is packed 64 to a word (little-endian), rows padded to whole words with zero tails.</summary>
    Bits = 1,

    /// <summary>Signed bytes.</summary>
    Int8 = 2,

    /// <summary>Signed 32-bit integers.</summary>
    Int32 = 3,

    /// <summary>IEEE float32.</summary>
    Float32 = 4,
}

/// <summary>
/// A named tensor of a layer. <see cref="Data"/> is a <c>ulong[]</c> (bits, rows x ceil(last/64)
/// words), <c>sbyte[]</c>, <c>int[]</c> or <c>float[]</c> according to <see cref="Type"/>.
/// </summary>
public sealed class TensorRecord
{
    /// <summary>Creates a tensor record, checking that the data length matches the dimensions.</summary>
    public TensorRecord(string name, TensorType type, int[] dimensions, Array data)
    {
        Name = name;
        Type = type;
        Dimensions = dimensions;
        Data = data;
        long expected = ElementCount(type, dimensions);
        Type expectedType = type switch
        {
            TensorType.Bits => typeof(ulong[]),
            TensorType.Int8 => typeof(sbyte[]),
            TensorType.Int32 => typeof(int[]),
            TensorType.Float32 => typeof(float[]),
            _ => throw new ArgumentException($"unknown tensor type {type}"),
        };
        if (data.GetType() != expectedType || data.LongLength != expected)
            throw new ArgumentException($"tensor {name}: {type} [{string.Join(", ", dimensions)}] needs {expected} elements of {expectedType.Name}, got {data.LongLength} of {data.GetType().Name}");
    }

    /// <summary>Wraps a bit matrix [Rows, Columns] (shares its words).</summary>
    public static TensorRecord FromBits(string name, BitMatrix bits) => new(name, TensorType.Bits, [bits.Rows, bits.Columns], bits.Words);

    /// <summary>Tensor name within its layer.</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public TensorType Type { get; }

    /// <summary>Dimensions, outermost first.</summary>
    public int[] Dimensions { get; }

    /// <summary>The elements (see the class remarks for the array type).</summary>
    public Array Data { get; }

    /// <summary>Number of stored elements (words for bits) for a type and dimensions; -1 when too large.</summary>
    public static long ElementCount(TensorType type, ReadOnlySpan<int> dimensions)
    {
        long count = 1;
        int last = dimensions.Length - 1;
        for (int i = 0; i < dimensions.Length; i++)
        {
            long d = type == TensorType.Bits && i == last ? BitMatrix.WordsFor(dimensions[i]) : dimensions[i];
            if (d < 0) return -1;
            count *= d;
            if (count > int.MaxValue) return -1;
        }
        return count;
    }

    /// <summary>Bytes the data takes in the file (before alignment padding).</summary>
    public long DataBytes => Data.LongLength * Type switch
    {
        TensorType.Bits => 8,
        TensorType.Int8 => 1,
        _ => 4,
    };
}

/// <summary>
/// One layer of a model file: its kind, shapes, attributes and tensors. The accessors throw
/// <see cref="ModelFormatException"/> naming <see cref="Source"/> when something is missing or
/// has the wrong type or shape, so codecs validate by simply asking.
/// </summary>
public sealed class LayerRecord
{
    /// <summary>Creates an empty record.</summary>
    public LayerRecord(string kind, TensorShape input, TensorShape output)
    {
        Kind = kind;
        InputShape = input;
        OutputShape = output;
    }

    /// <summary>Layer kind, e.g. "boolean-dense".</summary>
    public string Kind { get; }

    /// <summary>Shape of one input sample.</summary>
    public TensorShape InputShape { get; }

    /// <summary>Shape of one output sample.</summary>
    public TensorShape OutputShape { get; }

    /// <summary>Attributes in file order.</summary>
    public List<LayerAttribute> Attributes { get; } = [];

    /// <summary>Tensors in file order.</summary>
    public List<TensorRecord> Tensors { get; } = [];

    /// <summary>Where the record came from, for error messages ("model.bnm, layer 2 (boolean-dense)").</summary>
    public string Source { get; set; } = "model";

    /// <summary>The file path the record was read from (for <see cref="ModelFormatException.Path"/>).</summary>
    public string FilePath { get; set; } = "model";

    /// <summary>Adds an integer attribute.</summary>
    public LayerRecord With(string name, long value) { Attributes.Add(new(name, AttributeType.Integer, value, 0, null)); return this; }

    /// <summary>Adds a real attribute.</summary>
    public LayerRecord With(string name, double value) { Attributes.Add(new(name, AttributeType.Real, 0, value, null)); return this; }

    /// <summary>Adds a string attribute.</summary>
    public LayerRecord With(string name, string value) { Attributes.Add(new(name, AttributeType.Text, 0, 0, value)); return this; }

    /// <summary>Adds a tensor.</summary>
    public LayerRecord With(TensorRecord tensor) { Tensors.Add(tensor); return this; }

    /// <summary>A failure naming this record.</summary>
    public ModelFormatException Fault(string problem) => new(FilePath, $"{Source}: {problem}");

    /// <summary>An integer attribute within [min, max].</summary>
    public long GetInteger(string name, long min = long.MinValue, long max = long.MaxValue)
    {
        LayerAttribute attribute = Find(name, AttributeType.Integer);
        if (attribute.Integer < min || attribute.Integer > max)
            throw Fault($"attribute '{name}' = {attribute.Integer} is outside [{min}, {max}]");
        return attribute.Integer;
    }

    /// <summary>An integer attribute, or <paramref name="fallback"/> when absent.</summary>
    public long GetInteger(string name, long fallback, long min, long max) =>
        HasAttribute(name) ? GetInteger(name, min, max) : fallback;

    /// <summary>A finite real attribute.</summary>
    public double GetReal(string name)
    {
        LayerAttribute attribute = Find(name, AttributeType.Real);
        if (!double.IsFinite(attribute.Real)) throw Fault($"attribute '{name}' is not finite ({attribute.Real})");
        return attribute.Real;
    }

    /// <summary>A string attribute.</summary>
    public string GetText(string name) => Find(name, AttributeType.Text).Text!;

    /// <summary>A string attribute, or <paramref name="fallback"/> when absent.</summary>
    public string GetText(string name, string fallback) => HasAttribute(name) ? GetText(name) : fallback;

    /// <summary>True when an attribute of that name exists (the name counts as read).</summary>
    public bool HasAttribute(string name)
    {
        _readAttributes.Add(name);
        return Attributes.Any(a => a.Name == name);
    }

    /// <summary>The tensor <paramref name="name"/> of the given type and exact dimensions.</summary>
    public TensorRecord GetTensor(string name, TensorType type, params int[] dimensions)
    {
        _readTensors.Add(name);
        TensorRecord? tensor = Tensors.FirstOrDefault(t => t.Name == name)
            ?? throw Fault($"tensor '{name}' is missing");
        if (tensor.Type != type) throw Fault($"tensor '{name}' is {tensor.Type}, expected {type}");
        if (!tensor.Dimensions.AsSpan().SequenceEqual(dimensions))
            throw Fault($"tensor '{name}' has shape [{string.Join(", ", tensor.Dimensions)}], expected [{string.Join(", ", dimensions)}]");
        return tensor;
    }

    /// <summary>True when a tensor of that name exists.</summary>
    public bool HasTensor(string name)
    {
        _readTensors.Add(name);
        return Tensors.Any(t => t.Name == name);
    }

    /// <summary>
    /// Refuses attributes and tensors its kind's reader never asked for: a misspelt or unknown name
    /// would otherwise be ignored silently (and a renamed optional tensor change the outputs).
    /// </summary>
    /// <exception cref="ModelFormatException">An attribute or tensor nobody read; the message names it.</exception>
    public void CheckAllRead()
    {
        foreach (LayerAttribute attribute in Attributes)
            if (!_readAttributes.Contains(attribute.Name))
                throw Fault($"unknown attribute '{attribute.Name}' for kind '{Kind}' (this build does not read it)");
        foreach (TensorRecord tensor in Tensors)
            if (!_readTensors.Contains(tensor.Name))
                throw Fault($"unknown tensor '{tensor.Name}' for kind '{Kind}' (this build does not read it)");
    }

    private readonly HashSet<string> _readAttributes = [], _readTensors = [];

    /// <summary>A bit tensor [rows, columns] as a <see cref="BitMatrix"/>.</summary>
    public BitMatrix GetBits(string name, int rows, int columns) =>
        new(rows, columns, (ulong[])GetTensor(name, TensorType.Bits, rows, columns).Data);

    /// <summary>A float tensor of the given dimensions.</summary>
    public float[] GetFloats(string name, params int[] dimensions) => (float[])GetTensor(name, TensorType.Float32, dimensions).Data;

    /// <summary>An int32 tensor of the given dimensions.</summary>
    public int[] GetInts(string name, params int[] dimensions) => (int[])GetTensor(name, TensorType.Int32, dimensions).Data;

    private LayerAttribute Find(string name, AttributeType type)
    {
        _readAttributes.Add(name);
        foreach (LayerAttribute attribute in Attributes)
        {
            if (attribute.Name != name) continue;
            if (attribute.Type != type) throw Fault($"attribute '{name}' is {attribute.Type}, expected {type}");
            return attribute;
        }
        throw Fault($"attribute '{name}' is missing");
    }
}
