using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using BoolNet.Core.IO;
using BoolNet.Core.Operators;
using BoolNet.Layers;

namespace BoolNet.Inference.Serialization;

/// <summary>
/// The BoolNet model container, format version 1. All integers little-endian; every section and
/// every tensor's data start on an 8-byte boundary (so bit words can be read in place).
/// <code>
/// header (32 bytes)
///   0  magic    89 42 4E 4D 0D 0A 1A 0A   ("\x89BNM\r\n\x1a\n": catches text-mode and 7-bit damage, as PNG's)
///   8  u16 major version (1; a reader rejects any other), u16 minor version (ignored when higher)
///   12 u32 flags (must be 0)
///   16 u64 file length in bytes (must equal the real length)
///   24 u32 section count
///   28 u32 reserved (0)
/// sections, each: u32 tag (4 ASCII bytes), u32 reserved (0), u64 payload length, payload, zero pad to 8
///   "META": u32 n, n x (string key, string value)                           (exactly one, first)
///   "LAYR": string kind, i32[3] input HWC, i32[3] output HWC,
///           u32 attributes, each (string name, u8 type, i64 | f64 | string),
///           u32 tensors, each (string name, u8 type, u8 rank, u32 dims[rank], zero pad to 8, data, zero pad to 8)
/// footer (8 bytes): u32 CRC-32C of every byte before the footer, u32 end magic "BNM." (42 4E 4D 2E)
/// string = u32 byte length + UTF-8 bytes (strict)
/// </code>
/// A reader reads the whole file (bounded by <see cref="MaximumFileBytes"/>), checks magic, version,
/// length and checksum first, then parses every count and length against the bytes that remain, so
/// a hostile header can never make it allocate more than the file holds.
/// </summary>
public static class ModelFile
{
    /// <summary>The 8 magic bytes.</summary>
    public static ReadOnlySpan<byte> Magic => [0x89, (byte)'B', (byte)'N', (byte)'M', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The footer's end magic "BNM.".</summary>
    public const uint EndMagic = 0x2E4D4E42;

    /// <summary>The format major version this code writes and reads.</summary>
    public const ushort MajorVersion = 1;

    /// <summary>The format minor version this code writes.</summary>
    public const ushort MinorVersion = 0;

    /// <summary>Size of the fixed header.</summary>
    public const int HeaderBytes = 32;

    /// <summary>Size of the footer (checksum + end magic).</summary>
    public const int FooterBytes = 8;

    /// <summary>Largest model file accepted (1 GiB).</summary>
    public const long MaximumFileBytes = 1L << 30;

    /// <summary>Largest string accepted (1 MiB).</summary>
    public const int MaximumStringBytes = 1 << 20;

    /// <summary>Largest tensor rank accepted.</summary>
    public const int MaximumRank = 6;

    internal const uint MetaTag = 0x4154454D;  // "META"
    internal const uint LayerTag = 0x5259414C; // "LAYR"

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes <paramref name="document"/> to <paramref name="path"/> atomically (temp file + rename).</summary>
    public static void Write(string path, ModelDocument document) => AtomicFile.WriteAllBytes(path, Serialize(document));

    /// <summary>The exact bytes of the file for <paramref name="document"/>.</summary>
    public static byte[] Serialize(ModelDocument document)
    {
        var writer = new ByteWriter();
        writer.Bytes(Magic);
        writer.U16(MajorVersion);
        writer.U16(MinorVersion);
        writer.U32(0);
        int lengthOffset = writer.Position;
        writer.U64(0);
        writer.U32((uint)(1 + document.Layers.Count));
        writer.U32(0);

        int section = writer.BeginSection(MetaTag);
        writer.U32((uint)document.Metadata.Count);
        foreach (var pair in document.Metadata)
        {
            writer.String(pair.Key);
            writer.String(pair.Value);
        }
        writer.EndSection(section);

        foreach (LayerRecord layer in document.Layers)
        {
            section = writer.BeginSection(LayerTag);
            writer.String(layer.Kind);
            writer.Shape(layer.InputShape);
            writer.Shape(layer.OutputShape);
            writer.U32((uint)layer.Attributes.Count);
            foreach (LayerAttribute attribute in layer.Attributes)
            {
                writer.String(attribute.Name);
                writer.U8((byte)attribute.Type);
                switch (attribute.Type)
                {
                    case AttributeType.Integer: writer.U64((ulong)attribute.Integer); break;
                    case AttributeType.Real: writer.U64((ulong)BitConverter.DoubleToInt64Bits(attribute.Real)); break;
                    default: writer.String(attribute.Text ?? ""); break;
                }
            }
            writer.U32((uint)layer.Tensors.Count);
            foreach (TensorRecord tensor in layer.Tensors)
            {
                writer.String(tensor.Name);
                writer.U8((byte)tensor.Type);
                writer.U8((byte)tensor.Dimensions.Length);
                foreach (int dimension in tensor.Dimensions) writer.U32((uint)dimension);
                writer.Align8();
                switch (tensor.Data)
                {
                    case ulong[] words: writer.Bytes(MemoryMarshal.AsBytes(words.AsSpan())); break;
                    case sbyte[] bytes: writer.Bytes(MemoryMarshal.AsBytes(bytes.AsSpan())); break;
                    case int[] ints: writer.Bytes(MemoryMarshal.AsBytes(ints.AsSpan())); break;
                    case float[] floats: writer.Bytes(MemoryMarshal.AsBytes(floats.AsSpan())); break;
                }
                writer.Align8();
            }
            writer.EndSection(section);
        }

        int total = writer.Position + FooterBytes;
        writer.PatchU64(lengthOffset, (ulong)total);
        uint crc = Crc32C.Compute(writer.Written);
        writer.U32(crc);
        writer.U32(EndMagic);
        return writer.ToArray();
    }

    /// <summary>Reads and validates a model file.</summary>
    /// <exception cref="ModelFormatException">The file is missing, unreadable or invalid.</exception>
    public static ModelDocument Read(string path)
    {
        byte[] bytes;
        if (InputFile.NotRegular(path) is string what) throw new ModelFormatException(path, $"is {what}, not a model file");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            long length = stream.Length;
            if (length > MaximumFileBytes) throw new ModelFormatException(path, $"file is {length} bytes, larger than the {MaximumFileBytes}-byte limit for a model");
            bytes = new byte[length];
            stream.ReadExactly(bytes);
        }
        catch (ModelFormatException) { throw; }
        catch (FileNotFoundException e) { throw new ModelFormatException(path, "model file not found", e); }
        catch (DirectoryNotFoundException e) { throw new ModelFormatException(path, "model file not found (folder missing)", e); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(path, $"cannot read model file: {e.Message}", e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses and validates the bytes of a model file; <paramref name="path"/> names it in errors.</summary>
    /// <exception cref="ModelFormatException">The bytes are not a valid model file.</exception>
    public static ModelDocument Parse(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length < HeaderBytes + FooterBytes)
            throw new ModelFormatException(path, $"truncated: {bytes.Length} bytes, a model file has at least {HeaderBytes + FooterBytes}");
        if (!bytes[..8].SequenceEqual(Magic))
            throw new ModelFormatException(path, $"not a BoolNet model file (magic is {Convert.ToHexString(bytes[..8])}, expected {Convert.ToHexString(Magic)})");
        ushort major = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
        ushort minor = BinaryPrimitives.ReadUInt16LittleEndian(bytes[10..]);
        if (major != MajorVersion)
            throw new ModelFormatException(path, $"unknown format version {major}.{minor}; this build reads version {MajorVersion}.x");
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]);
        if (flags != 0) throw new ModelFormatException(path, $"unknown header flags 0x{flags:X8}");
        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]);
        if (declared != (ulong)bytes.Length)
            throw new ModelFormatException(path, declared > (ulong)bytes.Length
                ? $"truncated: header says {declared} bytes but the file has {bytes.Length}"
                : $"header says {declared} bytes but the file has {bytes.Length} (trailing data or damaged header)");
        int bodyEnd = bytes.Length - FooterBytes;
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[(bodyEnd + 4)..]) != EndMagic)
            throw new ModelFormatException(path, "end magic missing (truncated or damaged file)");
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes[bodyEnd..]);
        uint actual = Crc32C.Compute(bytes[..bodyEnd]);
        if (stored != actual)
            throw new ModelFormatException(path, $"checksum mismatch (stored CRC-32C {stored:X8}, computed {actual:X8}): the file is damaged");
        uint sectionCount = BinaryPrimitives.ReadUInt32LittleEndian(bytes[24..]);
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[28..]) != 0) throw new ModelFormatException(path, "reserved header field is not zero");
        // Each section takes at least 16 bytes, so the count is checked against the size before any list grows.
        if (sectionCount == 0 || sectionCount > (uint)(bodyEnd - HeaderBytes) / 16)
            throw new ModelFormatException(path, $"section count {sectionCount} is impossible for a {bytes.Length}-byte file");

        var document = new ModelDocument();
        var reader = new ByteReader(bytes[..bodyEnd], HeaderBytes, path, "header");
        for (uint s = 0; s < sectionCount; s++)
        {
            reader.Context = $"section {s}";
            uint tag = reader.U32();
            if (reader.U32() != 0) throw reader.Fault("reserved section field is not zero");
            ulong length = reader.U64();
            if (length > (ulong)reader.Remaining) throw reader.Fault($"payload of {length} bytes runs past the end of the file ({reader.Remaining} bytes left)");
            int end = reader.Position + (int)length;
            if (s == 0 && tag != MetaTag) throw reader.Fault("the first section must be META");
            if (s > 0 && tag != LayerTag) throw reader.Fault($"unknown section tag '{TagName(tag)}'");
            if (tag == MetaTag) ReadMetadata(ref reader, document);
            else
            {
                reader.Context = $"layer {document.Layers.Count}";
                document.Layers.Add(ReadLayer(ref reader, path));
            }
            if (reader.Position != end) throw reader.Fault($"section payload declares {length} bytes but its content takes {reader.Position - (end - (int)length)}");
            reader.SkipPadding();
        }
        if (reader.Remaining != 0) throw reader.Fault($"{reader.Remaining} unexpected bytes after the last section");
        if (document.Layers.Count == 0) throw new ModelFormatException(path, "the model has no layers");
        return document;
    }

    private static void ReadMetadata(ref ByteReader reader, ModelDocument document)
    {
        uint count = reader.Count(8, "metadata entries");
        for (uint i = 0; i < count; i++)
        {
            string key = reader.String(), value = reader.String();
            if (document.Get(key) is not null) throw reader.Fault($"metadata key '{key}' appears twice");
            document.Metadata.Add(new(key, value));
        }
    }

    private static LayerRecord ReadLayer(ref ByteReader reader, string path)
    {
        string kind = reader.String();
        var input = reader.Shape();
        var output = reader.Shape();
        var layer = new LayerRecord(kind, input, output) { FilePath = path };
        layer.Source = $"layer {reader.Context["layer ".Length..]} ({kind})";
        reader.Context = layer.Source;
        uint attributes = reader.Count(13, "attributes");
        for (uint i = 0; i < attributes; i++)
        {
            string name = reader.String();
            if (layer.Attributes.Any(a => a.Name == name)) throw reader.Fault($"attribute '{name}' appears twice");
            var type = (AttributeType)reader.U8();
            layer.Attributes.Add(type switch
            {
                AttributeType.Integer => new LayerAttribute(name, type, (long)reader.U64(), 0, null),
                AttributeType.Real => new LayerAttribute(name, type, 0, BitConverter.Int64BitsToDouble((long)reader.U64()), null),
                AttributeType.Text => new LayerAttribute(name, type, 0, 0, reader.String()),
                _ => throw reader.Fault($"attribute '{name}' has unknown type {(byte)type}"),
            });
        }
        uint tensors = reader.Count(6, "tensors");
        for (uint i = 0; i < tensors; i++)
        {
            string name = reader.String();
            if (layer.Tensors.Any(t => t.Name == name)) throw reader.Fault($"tensor '{name}' appears twice");
            var type = (TensorType)reader.U8();
            if (type is not (TensorType.Bits or TensorType.Int8 or TensorType.Int32 or TensorType.Float32))
                throw reader.Fault($"tensor '{name}' has unknown type {(byte)type}");
            int rank = reader.U8();
            if (rank is 0 or > MaximumRank) throw reader.Fault($"tensor '{name}' has rank {rank}, expected 1..{MaximumRank}");
            var dimensions = new int[rank];
            for (int d = 0; d < rank; d++)
            {
                uint dimension = reader.U32();
                if (dimension > int.MaxValue) throw reader.Fault($"tensor '{name}' dimension {d} is {dimension}");
                dimensions[d] = (int)dimension;
            }
            reader.SkipPadding();
            long elements = TensorRecord.ElementCount(type, dimensions);
            int size = type switch { TensorType.Bits => 8, TensorType.Int8 => 1, _ => 4 };
            if (elements < 0 || elements * size > reader.Remaining)
                throw reader.Fault($"tensor '{name}' [{string.Join(", ", dimensions)}] needs {(elements < 0 ? "too many" : (elements * size).ToString())} bytes but only {reader.Remaining} remain");
            ReadOnlySpan<byte> data = reader.Take((int)(elements * size));
            Array values = type switch
            {
                TensorType.Bits => MemoryMarshal.Cast<byte, ulong>(data).ToArray(),
                TensorType.Int8 => MemoryMarshal.Cast<byte, sbyte>(data).ToArray(),
                TensorType.Int32 => MemoryMarshal.Cast<byte, int>(data).ToArray(),
                _ => MemoryMarshal.Cast<byte, float>(data).ToArray(),
            };
            if (values is ulong[] words) CheckBitTails(ref reader, name, words, dimensions[^1]);
            if (values is float[] floats) CheckFinite(ref reader, name, floats);
            layer.Tensors.Add(new TensorRecord(name, type, dimensions, values));
            reader.SkipPadding();
        }
        return layer;
    }

    /// <summary>
    /// No float tensor holds NaN, and none holds an infinity except a folded rule's <c>threshold</c>
    /// (+-infinity: a neuron that never or always fires).
    /// </summary>
    private static void CheckFinite(ref ByteReader reader, string name, float[] values)
    {
        bool infinityAllowed = name == "threshold";
        for (int i = 0; i < values.Length; i++)
            if (float.IsNaN(values[i]) || (!infinityAllowed && float.IsInfinity(values[i])))
                throw reader.Fault($"float tensor '{name}' element {i} is {values[i]}; values must be finite");
    }

    private static void CheckBitTails(ref ByteReader reader, string name, ulong[] words, int columns)
    {
        int perRow = Core.Bits.BitMatrix.WordsFor(columns);
        ulong mask = Core.Bits.BitMatrix.TailMaskFor(columns);
        if (perRow == 0 || mask == ulong.MaxValue) return;
        for (int i = perRow - 1; i < words.Length; i += perRow)
            if ((words[i] & ~mask) != 0) throw reader.Fault($"bit tensor '{name}' has bits set past its {columns} columns");
    }

    private static string TagName(uint tag)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, tag);
        foreach (byte c in b) if (c is < 0x20 or > 0x7E) return $"0x{tag:X8}";
        return Encoding.ASCII.GetString(b);
    }

    /// <summary>Bounds-checked little-endian reader; every fault names the file and the place.</summary>
    private ref struct ByteReader(ReadOnlySpan<byte> bytes, int position, string path, string context)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;

        public int Position { get; private set; } = position;

        public string Context { get; set; } = context;

        public readonly int Remaining => _bytes.Length - Position;

        public readonly ModelFormatException Fault(string problem) => new(path, $"{Context} at byte {Position}: {problem}");

        public ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || count > Remaining) throw Fault($"truncated: needs {count} more bytes, {Remaining} remain");
            ReadOnlySpan<byte> slice = _bytes.Slice(Position, count);
            Position += count;
            return slice;
        }

        public byte U8() => Take(1)[0];

        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

        /// <summary>A count of items each taking at least <paramref name="minimumBytes"/>, checked against what remains.</summary>
        public uint Count(int minimumBytes, string what)
        {
            uint count = U32();
            if ((ulong)count * (ulong)minimumBytes > (ulong)Remaining)
                throw Fault($"{count} {what} cannot fit in the {Remaining} bytes that remain");
            return count;
        }

        public string String()
        {
            uint length = U32();
            if (length > MaximumStringBytes) throw Fault($"string of {length} bytes exceeds the {MaximumStringBytes}-byte limit");
            ReadOnlySpan<byte> utf8 = Take((int)length);
            try { return StrictUtf8.GetString(utf8); }
            catch (DecoderFallbackException) { throw Fault("string is not valid UTF-8"); }
        }

        public TensorShape Shape()
        {
            uint h = U32(), w = U32(), c = U32();
            if (h == 0 || w == 0 || c == 0 || h > 1 << 16 || w > 1 << 16 || c > 1 << 24 || (ulong)h * w * c > int.MaxValue)
                throw Fault($"impossible shape {h}x{w}x{c}");
            return new TensorShape((int)h, (int)w, (int)c);
        }

        public void SkipPadding()
        {
            int pad = (8 - (Position & 7)) & 7;
            foreach (byte b in Take(Math.Min(pad, Remaining)))
                if (b != 0) throw Fault("padding byte is not zero");
            if (pad > 0 && Position % 8 != 0) throw Fault("truncated inside padding");
        }
    }

    /// <summary>Growable little-endian writer.</summary>
    private sealed class ByteWriter
    {
        private byte[] _buffer = new byte[4096];

        public int Position { get; private set; }

        public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Position);

        public byte[] ToArray() => _buffer.AsSpan(0, Position).ToArray();

        private Span<byte> Grow(int count)
        {
            if (Position + count > _buffer.Length)
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Position + count));
            Span<byte> span = _buffer.AsSpan(Position, count);
            Position += count;
            return span;
        }

        public void Bytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Grow(bytes.Length));

        public void U8(byte value) => Grow(1)[0] = value;

        public void U16(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Grow(2), value);

        public void U32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Grow(4), value);

        public void U64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Grow(8), value);

        public void PatchU64(int offset, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(offset, 8), value);

        public void String(string text)
        {
            byte[] utf8 = StrictUtf8.GetBytes(text);
            if (utf8.Length > MaximumStringBytes) throw new ArgumentException($"string of {utf8.Length} bytes exceeds the {MaximumStringBytes}-byte limit");
            U32((uint)utf8.Length);
            Bytes(utf8);
        }

        public void Shape(TensorShape shape)
        {
            U32((uint)shape.Height);
            U32((uint)shape.Width);
            U32((uint)shape.Channels);
        }

        public void Align8() => Grow((8 - (Position & 7)) & 7).Clear();

        public int BeginSection(uint tag)
        {
            U32(tag);
            U32(0);
            U64(0);
            return Position;
        }

        public void EndSection(int start)
        {
            PatchU64(start - 8, (ulong)(Position - start));
            Align8();
        }
    }
}
