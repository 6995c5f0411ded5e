using BoolNet.Layers;

namespace BoolNet.Training;

/// <summary>Raw binary storage of a network's parameters and buffers (checkpoint body).</summary>
public static class ParameterStorage
{
    /// <summary>Writes every parameter and buffer, layer by layer.</summary>
    public static void Write(BinaryWriter writer, Network network)
    {
        writer.Write(network.Layers.Count);
        foreach (ILayer layer in network.Layers)
        {
            writer.Write(layer.Kind);
            writer.Write(layer.Parameters.Count);
            foreach (Parameter parameter in layer.Parameters)
            {
                writer.Write(parameter.Name);
                writer.Write(parameter.Count);
                switch (parameter)
                {
                    case BooleanParameter b: foreach (ulong w in b.Weights.Words) writer.Write(w); break;
                    case RealParameter r: foreach (float v in r.Value) writer.Write(v); break;
                    case IntegerParameter i: foreach (int v in i.Value) writer.Write(v); break;
                    default: throw new NotSupportedException($"cannot store parameter type {parameter.GetType().Name}");
                }
            }
            IReadOnlyList<NamedBuffer> buffers = layer is IHasBuffers hb ? hb.Buffers : [];
            writer.Write(buffers.Count);
            foreach (NamedBuffer buffer in buffers)
            {
                writer.Write(buffer.Name);
                writer.Write(buffer.Values.Length);
                foreach (float v in buffer.Values) writer.Write(v);
            }
        }
    }

    /// <summary>SHA-256 (hex) of the stored parameters and buffers: equal hashes mean identical weights.</summary>
    public static string Hash(Network network)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) Write(writer, network);
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(stream.ToArray())).ToLowerInvariant();
    }

    /// <summary>
    /// Reads what <see cref="Write"/> wrote into a network of the same architecture. Counts and names
    /// must match the network before any value is read; float parameters and buffers must be finite.
    /// </summary>
    /// <exception cref="CheckpointFormatException">The stored layout does not match, or a value is NaN or infinite.</exception>
    /// <exception cref="EndOfStreamException">The stream ends early.</exception>
    public static void Read(BinaryReader reader, Network network, string source)
    {
        int layers = reader.ReadInt32();
        if (layers != network.Layers.Count) throw Mismatch(source, $"{layers} layers stored, the network has {network.Layers.Count}");
        for (int l = 0; l < layers; l++)
        {
            ILayer layer = network.Layers[l];
            string kind = reader.ReadString();
            if (kind != layer.Kind) throw Mismatch(source, $"layer {l} is '{kind}' in the file and '{layer.Kind}' in the network");
            int count = reader.ReadInt32();
            if (count != layer.Parameters.Count) throw Mismatch(source, $"layer {l} has {count} parameters stored, {layer.Parameters.Count} expected");
            foreach (Parameter parameter in layer.Parameters)
            {
                string name = reader.ReadString();
                int values = reader.ReadInt32();
                if (name != parameter.Name || values != parameter.Count)
                    throw Mismatch(source, $"layer {l}: stored {name}[{values}], expected {parameter.Name}[{parameter.Count}]");
                switch (parameter)
                {
                    case BooleanParameter b:
                        for (int i = 0; i < b.Weights.Words.Length; i++) b.Weights.Words[i] = reader.ReadUInt64();
                        b.Weights.ClearTails();
                        break;
                    case RealParameter r:
                        for (int i = 0; i < r.Value.Length; i++)
                        {
                            float v = reader.ReadSingle();
                            if (!float.IsFinite(v)) throw NotFinite(source, l, layer, parameter.Name, i, v);
                            r.Value[i] = v;
                        }
                        break;
                    case IntegerParameter n:
                        for (int i = 0; i < n.Value.Length; i++)
                        {
                            int v = reader.ReadInt32();
                            if (!n.Range.Contains(v))
                                throw new CheckpointFormatException(source, $"layer {l} ({layer.Kind}) {n.Name}[{i}] is {v}, outside its range {n.Range}");
                            n.Value[i] = v;
                        }
                        break;
                }
            }
            IReadOnlyList<NamedBuffer> buffers = layer is IHasBuffers hb ? hb.Buffers : [];
            int bufferCount = reader.ReadInt32();
            if (bufferCount != buffers.Count) throw Mismatch(source, $"layer {l} has {bufferCount} buffers stored, {buffers.Count} expected");
            foreach (NamedBuffer buffer in buffers)
            {
                string name = reader.ReadString();
                int length = reader.ReadInt32();
                if (name != buffer.Name || length != buffer.Values.Length)
                    throw Mismatch(source, $"layer {l}: stored buffer {name}[{length}], expected {buffer.Name}[{buffer.Values.Length}]");
                for (int i = 0; i < length; i++)
                {
                    float v = reader.ReadSingle();
                    if (!float.IsFinite(v)) throw NotFinite(source, l, layer, $"buffer {buffer.Name}", i, v);
                    buffer.Values[i] = v;
                }
            }
        }
    }

    private static CheckpointFormatException Mismatch(string source, string problem) =>
        new(source, $"checkpoint does not match the network: {problem}");

    private static CheckpointFormatException NotFinite(string source, int index, ILayer layer, string name, int i, float value) =>
        new(source, $"layer {index} ({layer.Kind}) {name}[{i}] is {value}: weights and buffers must be finite");
}
