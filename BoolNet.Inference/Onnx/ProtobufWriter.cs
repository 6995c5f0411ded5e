using System.Buffers.Binary;
using System.Text;

namespace BoolNet.Inference.Onnx;

/// <summary>
/// The protobuf wire format, as far as ONNX's messages need it: varints (wire type 0), fixed 32-bit
/// (wire type 5) and length-delimited fields (wire type 2: strings, bytes, nested messages). Repeated
/// numbers are written unpacked, one tag each, which every proto2 and proto3 parser reads.
/// </summary>
internal sealed class ProtobufWriter
{
    private readonly List<byte> _stream = [];

    /// <summary>The bytes written so far.</summary>
    public byte[] ToArray() => [.. _stream];

    /// <summary>An int64/int32/enum field (negative values take ten bytes, as protobuf requires).</summary>
    public ProtobufWriter Integer(int field, long value)
    {
        Tag(field, 0);
        Varint((ulong)value);
        return this;
    }

    /// <summary>A float field (fixed 32 bits, little-endian).</summary>
    public ProtobufWriter Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _stream.AddRange(bytes);
        return this;
    }

    /// <summary>A string field (UTF-8).</summary>
    public ProtobufWriter Text(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A bytes field.</summary>
    public ProtobufWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        Varint((ulong)value.Length);
        _stream.AddRange(value);
        return this;
    }

    /// <summary>A nested message, written by <paramref name="write"/> into its own buffer first (its length comes first).</summary>
    public ProtobufWriter Message(int field, Action<ProtobufWriter> write)
    {
        var inner = new ProtobufWriter();
        write(inner);
        return Bytes(field, inner.ToArray());
    }

    private void Tag(int field, int wireType) => Varint(((ulong)field << 3) | (uint)wireType);

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _stream.Add((byte)(value | 0x80));
            value >>= 7;
        }
        _stream.Add((byte)value);
    }
}
