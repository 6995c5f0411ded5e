using System.IO.Compression;

namespace BoolNet.Tests.Data;

/// <summary>Writes hand-made (possibly malformed) IDX bytes for reader tests.</summary>
internal static class IdxTestFiles
{
    /// <summary>A raw IDX header: 00 00 type rank, then big-endian dimensions.</summary>
    public static byte[] Header(byte type, params uint[] dimensions)
    {
        var header = new List<byte> { 0, 0, type, (byte)dimensions.Length };
        foreach (uint d in dimensions) header.AddRange([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        return [.. header];
    }

    /// <summary><paramref name="bytes"/> gzip-compressed.</summary>
    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(bytes);
        return output.ToArray();
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/>, gzip-compressed if asked; returns the path.</summary>
    public static string Write(string path, byte[] bytes, bool gzip)
    {
        File.WriteAllBytes(path, gzip ? Gzip(bytes) : bytes);
        return path;
    }

    /// <summary>Concatenates byte arrays.</summary>
    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
