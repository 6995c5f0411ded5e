using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using BoolNet.Core.IO;

namespace BoolNet.Training.Data;

/// <summary>
/// Reads IDX files (the MNIST / Fashion-MNIST container), raw or gzip-compressed.
/// <para>
/// Layout: magic 00 00 TT DD (TT element type code, DD number of dimensions), then DD big-endian
/// uint32 dimensions (outermost first), then the elements row-major, big-endian. Compression is
/// detected from the gzip magic 1F 8B, never from the file name (an IDX file always starts 00 00).
/// </para>
/// <para>
/// Validation is strict and every fault is a <see cref="DataException"/> naming the file: missing file,
/// truncated header, wrong magic, unknown type code, zero or oversize dimensions, truncated data
/// (expected versus actual bytes), trailing data, corrupt gzip. A header is never trusted for an
/// allocation: raw files are checked against their length first; gzip streams are read into a buffer
/// that grows only as decompressed bytes actually arrive (at most twice what arrived), and the
/// declared size is capped by <c>maxDataBytes</c>.
/// </para>
/// </summary>
public static class IdxReader
{
    /// <summary>Default and largest cap on the data bytes of one file: 1 GiB (MNIST's training images are 47 MB).</summary>
    public static long DefaultMaxDataBytes => 1L << 30;

    /// <summary>Most bytes deflate can produce from one compressed byte (a 258-byte match in 2 bits).</summary>
    const long MaximumDeflateRatio = 1032;

    const int InitialGzipBuffer = 1 << 20;
    const long TrailingCountLimit = 1 << 20;

    /// <summary>Reads the IDX file at <paramref name="path"/> (raw or gzip).</summary>
    /// <exception cref="DataException">The file is missing, unreadable or not a valid IDX file.</exception>
    public static IdxArray Read(string path) => Read(path, DefaultMaxDataBytes);

    /// <summary>Reads the IDX file at <paramref name="path"/>, refusing more than <paramref name="maxDataBytes"/> data bytes.</summary>
    public static IdxArray Read(string path, long maxDataBytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) throw new DataException(path, "is a directory, not an IDX file");
        if (!File.Exists(path)) throw new DataException(path, "file not found");
        if (InputFile.NotRegular(path) is string what) throw new DataException(path, $"is {what}, not a regular file; only regular files are read");
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException(path, $"cannot open: {e.Message}", e);
        }
        using (stream) return Read(stream, path, maxDataBytes);
    }

    /// <summary>
    /// Reads one IDX array from <paramref name="stream"/> (raw or gzip), which must end where the array
    /// ends; <paramref name="name"/> names the source in errors.
    /// </summary>
    public static IdxArray Read(Stream stream, string name, long maxDataBytes = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        maxDataBytes = Math.Min(maxDataBytes, DefaultMaxDataBytes);
        try
        {
            var prefix = new byte[2];
            int got = stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
            long? remaining = stream.CanSeek ? stream.Length - stream.Position : null;
            if (got == 2 && prefix[0] == 0x1F && prefix[1] == 0x8B)
            {
                IdxArray array;
                using (var gzip = new GZipStream(new PrefixedStream(prefix, stream), CompressionMode.Decompress, leaveOpen: true))
                    array = ReadBody(gzip, name, available: null, maxDataBytes, compressed: true, remaining + got);
                if (remaining is long compressedLength) CheckGzipTrailer(stream, name, compressedLength + got, array);
                return array;
            }
            return ReadBody(new PrefixedStream(prefix.AsSpan(0, got).ToArray(), stream), name,
                remaining + got, maxDataBytes, compressed: false);
        }
        catch (InvalidDataException e)
        {
            throw new DataException(name, $"corrupt gzip stream: {e.Message}", e);
        }
        catch (IOException e) when (e is not DataException)
        {
            throw new DataException(name, $"read error: {e.Message}", e);
        }
    }

    /// <summary>
    /// .NET's GZipStream stops at the end of the last valid member and silently ignores bytes after it
    /// (and zlib has already checked each member's CRC-32). To catch appended bytes, the file's last four
    /// bytes must be the gzip ISIZE field (decompressed length mod 2^32, RFC 1952) of the whole content;
    /// this also rejects several concatenated members, which IDX files never use.
    /// </summary>
    static void CheckGzipTrailer(Stream stream, string name, long compressedLength, IdxArray array)
    {
        long decompressed = 4 + 4L * array.Rank + array.Count * array.ElementType.Size();
        const int minimumMember = 18; // 10-byte header, at least 0 deflate bytes, 8-byte trailer
        var trailer = new byte[4];
        if (compressedLength >= minimumMember)
        {
            stream.Seek(-4, SeekOrigin.End);
            if (stream.ReadAtLeast(trailer, trailer.Length, throwOnEndOfStream: false) == 4 && BinaryPrimitives.ReadUInt32LittleEndian(trailer) == (uint)decompressed) return;
        }
        throw new DataException(name, $"trailing data after the gzip stream: the last 4 bytes are not the gzip size field of the {decompressed} decompressed bytes (bytes appended, or several concatenated gzip members; recompress as one)");
    }

    /// <summary>Parses header and data from the (decompressed) byte stream. <paramref name="available"/> is its exact length when known.</summary>
    /// <paramref name="compressedLength"/> is the gzip file's length when known: a header declaring more than deflate can hold in it is refused.
    static IdxArray ReadBody(Stream source, string name, long? available, long maxDataBytes, bool compressed, long? compressedLength = null)
    {
        string what = compressed ? "decompressed stream" : "file";
        var magic = new byte[4];
        int got = source.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        if (got < 4) throw new DataException(name, $"truncated header: {what} has {got} bytes, an IDX magic number needs 4");
        if (magic[0] != 0 || magic[1] != 0)
            throw new DataException(name, $"wrong magic number 0x{magic[0]:X2}{magic[1]:X2}{magic[2]:X2}{magic[3]:X2}: an IDX file starts with two zero bytes (not an IDX file?)");
        if (!IdxElementTypes.IsDefined(magic[2]))
            throw new DataException(name, $"unknown IDX element type code 0x{magic[2]:X2} (known: 0x08 ubyte, 0x09 sbyte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64)");
        var type = (IdxElementType)magic[2];
        int rank = magic[3];
        if (rank == 0) throw new DataException(name, "header declares zero dimensions");

        var dimensionBytes = new byte[4 * rank];
        got = source.ReadAtLeast(dimensionBytes, dimensionBytes.Length, throwOnEndOfStream: false);
        if (got < dimensionBytes.Length)
            throw new DataException(name, $"truncated header: {rank} dimensions need {4 + dimensionBytes.Length} header bytes, {what} has {4 + got}");
        var dimensions = new int[rank];
        int elementSize = type.Size();
        long maxCount = maxDataBytes / elementSize;
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            uint dimension = BinaryPrimitives.ReadUInt32BigEndian(dimensionBytes.AsSpan(4 * i));
            if (dimension == 0) throw new DataException(name, $"dimension {i} of {rank} is zero");
            if (dimension > int.MaxValue)
                throw new DataException(name, $"dimension {i} of {rank} is {dimension} (negative as a signed 32-bit size, corrupt header?)");
            dimensions[i] = (int)dimension;
            if (count > maxCount / dimension)
                throw new DataException(name, $"dimensions {DimensionText(rank, dimensionBytes)} of {type} exceed the limit of {maxDataBytes} data bytes (corrupt header?)");
            count *= dimension;
        }
        long dataBytes = count * elementSize;
        string declared = $"{string.Join('x', dimensions)} {type} = {dataBytes} data bytes";
        if (compressedLength is long stored && dataBytes > MaximumDeflateRatio * stored)
            throw new DataException(name, $"header declares {declared}, more than a {stored}-byte gzip file can hold (corrupt header?)");

        if (available is long length)
        {
            long headerBytes = 4 + 4L * rank;
            long actual = length - headerBytes;
            if (actual < dataBytes) throw new DataException(name, $"truncated data: header declares {declared}, file has {actual}");
            if (actual > dataBytes) throw new DataException(name, $"trailing data: {actual - dataBytes} bytes after the {declared} the header declares");
            Array data = Allocate(type, count);
            Span<byte> target = BytesOf(data);
            got = source.ReadAtLeast(target, target.Length, throwOnEndOfStream: false);
            if (got < dataBytes) throw new DataException(name, $"truncated data: header declares {declared}, file has {got}");
            if (source.ReadByte() >= 0) throw new DataException(name, $"trailing data after the {declared} the header declares (file grew while read?)");
            FromBigEndian(data);
            return new IdxArray(type, dimensions, data);
        }

        // Unknown length (gzip): grow the buffer only as bytes arrive, so a hostile header cannot make us
        // allocate more than twice what the stream really holds.
        var buffer = new byte[(int)Math.Min(dataBytes, InitialGzipBuffer)];
        long filled = 0;
        while (true)
        {
            int read = source.Read(buffer, (int)filled, (int)(buffer.Length - filled));
            if (read == 0) throw new DataException(name, $"truncated data: header declares {declared}, {what} ends after {filled}");
            filled += read;
            if (filled == dataBytes) break;
            if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(dataBytes, 2L * buffer.Length));
        }
        long trailing = CountTrailing(source);
        if (trailing > 0)
            throw new DataException(name, $"trailing data: {(trailing >= TrailingCountLimit ? "at least " : "")}{trailing} bytes after the {declared} the header declares");
        if (type == IdxElementType.UnsignedByte) return new IdxArray(type, dimensions, buffer);
        Array typed = Allocate(type, count);
        buffer.AsSpan().CopyTo(BytesOf(typed));
        FromBigEndian(typed);
        return new IdxArray(type, dimensions, typed);
    }

    static string DimensionText(int rank, byte[] bytes) =>
        string.Join('x', Enumerable.Range(0, rank).Select(i => BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 * i))));

    static long CountTrailing(Stream source)
    {
        var scratch = new byte[8192];
        long total = 0;
        while (total < TrailingCountLimit)
        {
            int read = source.Read(scratch, 0, scratch.Length);
            if (read == 0) break;
            total += read;
        }
        return total;
    }

    internal static Array Allocate(IdxElementType type, long count) => type switch
    {
        IdxElementType.UnsignedByte => new byte[count],
        IdxElementType.SignedByte => new sbyte[count],
        IdxElementType.Int16 => new short[count],
        IdxElementType.Int32 => new int[count],
        IdxElementType.Float32 => new float[count],
        IdxElementType.Float64 => new double[count],
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>The raw bytes of a typed IDX array (no copy).</summary>
    internal static Span<byte> BytesOf(Array data) => data switch
    {
        byte[] values => values,
        sbyte[] values => MemoryMarshal.AsBytes(values.AsSpan()),
        short[] values => MemoryMarshal.AsBytes(values.AsSpan()),
        int[] values => MemoryMarshal.AsBytes(values.AsSpan()),
        float[] values => MemoryMarshal.AsBytes(values.AsSpan()),
        double[] values => MemoryMarshal.AsBytes(values.AsSpan()),
        _ => throw new ArgumentException($"{data.GetType().Name} is not an IDX array type", nameof(data)),
    };

    /// <summary>Swaps big-endian file order to host order in place (and back: the swap is its own inverse).</summary>
    internal static void FromBigEndian(Array data)
    {
        if (!BitConverter.IsLittleEndian) return;
        switch (data)
        {
            case short[] values: BinaryPrimitives.ReverseEndianness(values, values); break;
            case int[] values: BinaryPrimitives.ReverseEndianness(values, values); break;
            case float[] values:
                var asInt = MemoryMarshal.Cast<float, int>(values.AsSpan());
                BinaryPrimitives.ReverseEndianness(asInt, asInt);
                break;
            case double[] values:
                var asLong = MemoryMarshal.Cast<double, long>(values.AsSpan());
                BinaryPrimitives.ReverseEndianness(asLong, asLong);
                break;
        }
    }


    /// <summary>A read-only stream that yields a few already-read bytes, then the rest of an inner stream.</summary>
    sealed class PrefixedStream(byte[] prefix, Stream inner) : Stream
    {
        int prefixPosition;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (prefixPosition < prefix.Length)
            {
                int n = Math.Min(buffer.Length, prefix.Length - prefixPosition);
                prefix.AsSpan(prefixPosition, n).CopyTo(buffer);
                prefixPosition += n;
                return n;
            }
            return inner.Read(buffer);
        }
    }
}
