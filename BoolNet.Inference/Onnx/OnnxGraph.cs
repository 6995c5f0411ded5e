using System.Runtime.InteropServices;

namespace BoolNet.Inference.Onnx;

/// <summary>ONNX tensor element types (TensorProto.DataType) the exporter uses.</summary>
internal enum OnnxType
{
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    Int32 = 6,
    Int64 = 7,
    Bool = 9,
    Double = 11,
}

/// <summary>A node attribute: an int, ints, a float or a string.</summary>
internal readonly record struct OnnxAttribute(string Name, long? Integer = null, long[]? Integers = null, float? Real = null, string? Text = null);

/// <summary>
/// A small ONNX graph builder and writer (onnx.proto's ModelProto, GraphProto, NodeProto, TensorProto,
/// ValueInfoProto; field numbers from onnx.proto). Names are made unique by a counter; constants are
/// initializers with raw little-endian data. <see cref="ToBytes"/> gives the model file.
/// </summary>
internal sealed class OnnxGraph
{
    /// <summary>The default-domain opset the graph is written for (ONNX 1.8, IR version 7).</summary>
    public const int Opset = 13;

    /// <summary>IR version matching <see cref="Opset"/>.</summary>
    public const int IrVersion = 7;

    private readonly List<Action<ProtobufWriter>> _nodes = [], _initializers = [], _inputs = [], _outputs = [];
    private readonly List<KeyValuePair<string, string>> _metadata = [];
    private int _counter;

    /// <summary>The graph's name.</summary>
    public string Name { get; init; } = "boolnet";

    /// <summary>A fresh value name starting with <paramref name="stem"/>.</summary>
    public string Fresh(string stem) => $"{stem}_{_counter++}";

    /// <summary>Declares a graph input; a null dimension is dynamic and named <paramref name="batchName"/>.</summary>
    public void Input(string name, OnnxType type, long?[] dimensions, string batchName = "N") => _inputs.Add(ValueInfo(name, type, dimensions, batchName));

    /// <summary>Declares a graph output.</summary>
    public void Output(string name, OnnxType type, long?[] dimensions, string batchName = "N") => _outputs.Add(ValueInfo(name, type, dimensions, batchName));

    /// <summary>Adds a metadata entry (metadata_props).</summary>
    public void Metadata(string key, string value) => _metadata.Add(new(key, value));

    /// <summary>Adds a node; returns its first output's name (a fresh one unless <paramref name="output"/> is given).</summary>
    public string Node(string operation, string[] inputs, OnnxAttribute[]? attributes = null, string? output = null)
    {
        string result = output ?? Fresh(operation.ToLowerInvariant());
        string name = Fresh("node");
        OnnxAttribute[] list = attributes ?? [];
        _nodes.Add(w =>
        {
            foreach (string input in inputs) w.Text(1, input);
            w.Text(2, result);
            w.Text(3, name);
            w.Text(4, operation);
            foreach (OnnxAttribute attribute in list) w.Message(5, a => WriteAttribute(a, attribute));
        });
        return result;
    }

    /// <summary>Adds a constant (initializer) of any unmanaged element type; returns its name.</summary>
    public string Constant<T>(string stem, OnnxType type, long[] dimensions, T[] values) where T : unmanaged
    {
        long count = 1;
        foreach (long d in dimensions) count *= d;
        if (count != values.Length) throw new ArgumentException($"{values.Length} values for a tensor of {count}");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw data is little-endian");
        string name = Fresh(stem);
        byte[] raw = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        _initializers.Add(w =>
        {
            foreach (long d in dimensions) w.Integer(1, d);
            w.Integer(2, (int)type);
            w.Text(8, name);
            w.Bytes(9, raw);
        });
        return name;
    }

    /// <summary>
    /// A constant of bits stored one bit each (ONNX has no 1-bit type): the initializer holds the bits packed
    /// 8 per byte (bit t of byte b is element 8b + t), and a few nodes unpack them to a uint8 tensor of 0 / 2
    /// (-1 / +1 under zero point 1) of <paramref name="dimensions"/>. The nodes depend on constants only, so
    /// ONNX Runtime folds them once when the session loads. Returns the unpacked tensor's name.
    /// </summary>
    public string Bits(string stem, bool[] bits, long[] dimensions)
    {
        int bytes = (bits.Length + 7) / 8;
        var packed = new byte[bytes];
        for (int i = 0; i < bits.Length; i++) if (bits[i]) packed[i >> 3] |= (byte)(1 << (i & 7));
        string source = Constant(stem + "_packed", OnnxType.UInt8, [bytes, 1], packed);
        // (byte << (7 - t)) >> 7 is bit t: [bytes, 1] against [1, 8] broadcasts to [bytes, 8].
        string top = Node("BitShift", [source, Constant("shift", OnnxType.UInt8, [1, 8], new byte[] { 7, 6, 5, 4, 3, 2, 1, 0 })], [new("direction", Text: "LEFT")]);
        string ones = Node("BitShift", [top, Constant("seven", OnnxType.UInt8, [1], new byte[] { 7 })], [new("direction", Text: "RIGHT")]);
        string flat = Node("Reshape", [ones, Int64s("flat", -1)]);
        if (bits.Length != bytes * 8) flat = Node("Slice", [flat, Int64s("start", 0), Int64s("end", bits.Length)]);
        string shaped = Node("Reshape", [flat, Int64s("shape", dimensions)]);
        return Node("BitShift", [shaped, Constant("one", OnnxType.UInt8, [1], new byte[] { 1 })], [new("direction", Text: "LEFT")]);
    }

    /// <summary>A scalar or 1-D int64 constant.</summary>
    public string Int64s(string stem, params long[] values) => Constant(stem, OnnxType.Int64, [values.Length], values);

    /// <summary>The ModelProto bytes.</summary>
    public byte[] ToBytes(string producerVersion)
    {
        var model = new ProtobufWriter()
            .Integer(1, IrVersion)
            .Text(2, "BoolNet")
            .Text(3, producerVersion)
            .Message(7, g =>
            {
                foreach (var node in _nodes) g.Message(1, node);
                g.Text(2, Name);
                foreach (var tensor in _initializers) g.Message(5, tensor);
                foreach (var input in _inputs) g.Message(11, input);
                foreach (var output in _outputs) g.Message(12, output);
            })
            .Message(8, o => o.Text(1, "").Integer(2, Opset));
        foreach (var (key, value) in _metadata) model.Message(14, e => e.Text(1, key).Text(2, value));
        return model.ToArray();
    }

    private static Action<ProtobufWriter> ValueInfo(string name, OnnxType type, long?[] dimensions, string batchName) => w =>
        w.Text(1, name).Message(2, t => t.Message(1, tensor => tensor.Integer(1, (int)type).Message(2, shape =>
        {
            foreach (long? d in dimensions)
                shape.Message(1, dim => { if (d is long value) dim.Integer(1, value); else dim.Text(2, batchName); });
        })));

    private static void WriteAttribute(ProtobufWriter w, OnnxAttribute attribute)
    {
        w.Text(1, attribute.Name);
        if (attribute.Integer is long i) w.Integer(3, i).Integer(20, 2);
        else if (attribute.Integers is long[] list)
        {
            foreach (long value in list) w.Integer(8, value);
            w.Integer(20, 7);
        }
        else if (attribute.Real is float f) w.Float(2, f).Integer(20, 1);
        else if (attribute.Text is string s) w.Text(4, s).Integer(20, 3);
        else throw new ArgumentException($"attribute {attribute.Name} has no value");
    }
}
