using System.Buffers.Binary;
using System.IO.Compression;
using BoolNet.Core.IO;

namespace BoolNet.Training.Data;

/// <summary>
/// Writes IDX files (see <see cref="IdxReader"/> for the layout): big-endian header and elements,
/// optionally gzip-compressed, atomically.
/// </summary>
public static class IdxWriter
{
    /// <summary>Writes <paramref name="array"/> to <paramref name="path"/> atomically, gzip-compressed if <paramref name="gzip"/>.</summary>
    public static void Write(string path, IdxArray array, bool gzip = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        AtomicFile.Write(path, stream => Write(stream, array, gzip));
    }

    /// <summary>Writes <paramref name="array"/> to <paramref name="stream"/>, gzip-compressed if <paramref name="gzip"/>.</summary>
    public static void Write(Stream stream, IdxArray array, bool gzip = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        if (gzip)
        {
            using var compressed = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true);
            WriteRaw(compressed, array);
            return;
        }
        WriteRaw(stream, array);
    }

    /// <summary>The header bytes of <paramref name="array"/>: 00 00 type rank, then rank big-endian uint32 dimensions.</summary>
    public static byte[] Header(IdxArray array)
    {
        var header = new byte[4 + 4 * array.Rank];
        header[2] = (byte)array.ElementType;
        header[3] = (byte)array.Rank;
        for (int i = 0; i < array.Rank; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), array.Dimensions[i]);
        return header;
    }

    static void WriteRaw(Stream stream, IdxArray array)
    {
        stream.Write(Header(array));
        if (array.ElementType is IdxElementType.UnsignedByte or IdxElementType.SignedByte || !BitConverter.IsLittleEndian)
        {
            stream.Write(IdxReader.BytesOf(array.Data));
            return;
        }
        // Swap to big-endian chunk by chunk through a scratch buffer so the caller's array is untouched.
        int elementSize = array.ElementType.Size();
        ReadOnlySpan<byte> source = IdxReader.BytesOf(array.Data);
        var scratch = new byte[64 * 1024];
        while (!source.IsEmpty)
        {
            int n = Math.Min(source.Length, scratch.Length);
            for (int i = 0; i < n; i += elementSize)
                for (int j = 0; j < elementSize; j++)
                    scratch[i + j] = source[i + elementSize - 1 - j];
            stream.Write(scratch, 0, n);
            source = source[n..];
        }
    }
}
