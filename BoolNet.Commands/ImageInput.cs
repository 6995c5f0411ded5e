using System.Buffers.Binary;
using System.IO.Compression;
using BoolNet.Core.IO;
using BoolNet.Layers;
using StbImageSharp;

namespace BoolNet.Commands;

/// <summary>
/// Turns input files into the model's input bytes: IDX image files (raw or gzip, unsigned bytes,
/// [count, H, W] or [count, H, W, C]) and decoded images (PNG/JPEG pixels from StbImageSharp),
/// resized to the model's H x W (area averaging when shrinking, bilinear when enlarging) with the
/// model's channel count. Faults are <see cref="InvalidDataException"/> naming the file.
/// </summary>
public static class ImageInput
{
    /// <summary>
    /// Largest IDX data (decompressed) <c>predict</c> reads: 128 MiB (MNIST's 60,000 training images are 47 MB).
    /// predict holds the data about three times (file, images, batch), so this keeps it near 512 MiB.
    /// </summary>
    public const long MaximumIdxBytes = 1L << 27;

    /// <summary>Largest image a command decodes: 2^26 pixels (64 Mpx), checked on the declared size before decoding.</summary>
    public const long MaximumImagePixels = 1L << 26;

    /// <summary>Largest image file a command reads: 256 MiB.</summary>
    public const long MaximumImageFileBytes = 1L << 28;

    /// <summary>
    /// Deflate (gzip, PNG) turns one byte into at most 1032 (a 258-byte match coded in 2 bits), so a header
    /// that declares more than this many bytes per stored byte cannot be honest.
    /// </summary>
    public const long MaximumDeflateRatio = 1032;

    /// <summary>Images [count * H * W * C] of an IDX file, with their shape.</summary>
    /// <remarks>
    /// The header's declared size is checked against <paramref name="maximumBytes"/> before anything is
    /// allocated: a raw file must hold exactly the declared bytes; a gzip file must be able to (deflate's
    /// ratio), and decompression stops at the declared size (more is trailing data).
    /// </remarks>
    public static (byte[] Pixels, int Count, TensorShape Shape) ReadIdx(string path, long maximumBytes = MaximumIdxBytes)
    {
        var (dims, data) = ReadIdxBytes(path, maximumBytes, rank => rank is 3 or 4 ? null : $"IDX rank {rank}; images need [count, H, W] or [count, H, W, C]");
        var shape = new TensorShape(dims[1], dims[2], dims.Length == 4 ? dims[3] : 1);
        return (data, dims[0], shape);
    }

    /// <summary>
    /// Dimensions and data of an unsigned-byte IDX file (raw or gzip) whose rank <paramref name="rankProblem"/>
    /// accepts (null) or rejects (the reason), reading at most <paramref name="maximumBytes"/> data bytes.
    /// </summary>
    internal static (int[] Dimensions, byte[] Data) ReadIdxBytes(string path, long maximumBytes, Func<int, string?> rankProblem)
    {
        byte[] file;
        try { file = InputFile.ReadAllBytes(path, maximumBytes + maximumBytes / 64 + 4096); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new InvalidDataException($"{path}: cannot read: {e.Message}", e); }
        bool gzip = file.Length >= 2 && file[0] == 0x1F && file[1] == 0x8B;
        try
        {
            using Stream stream = gzip ? new GZipStream(new MemoryStream(file), CompressionMode.Decompress) : new MemoryStream(file);
            var head = new byte[4];
            if (stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < 4 || head[0] != 0 || head[1] != 0) throw new InvalidDataException($"{path}: not an IDX file (bad magic)");
            if (head[2] != 0x08) throw new InvalidDataException($"{path}: IDX element type 0x{head[2]:X2} is not unsigned bytes (0x08)");
            int rank = head[3];
            if (rankProblem(rank) is string problem) throw new InvalidDataException($"{path}: {problem}");
            var header = new byte[4 * rank];
            if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length) throw new InvalidDataException($"{path}: truncated IDX header");
            var dims = new int[rank];
            long size = 1;
            for (int d = 0; d < rank; d++)
            {
                uint value = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4 * d));
                if (value == 0 || value > int.MaxValue) throw new InvalidDataException($"{path}: IDX dimension {d} is {value}");
                dims[d] = (int)value;
                size *= value;
                if (size > maximumBytes)
                    throw new InvalidDataException($"{path}: the IDX header declares {DimensionText(header, rank)} = {Declared(header, rank)} bytes, more than the {maximumBytes:N0}-byte limit");
            }
            long offset = 4 + 4L * rank;
            if (!gzip)
            {
                if (file.Length - offset != size) throw new InvalidDataException($"{path}: holds {file.Length - offset} data bytes, the header says {size} ({DimensionText(header, rank)})");
                return (dims, file.AsSpan((int)offset).ToArray());
            }
            if (size > MaximumDeflateRatio * file.Length)
                throw new InvalidDataException($"{path}: the IDX header declares {DimensionText(header, rank)} = {size:N0} bytes, more than a {file.Length:N0}-byte gzip file can hold");
            var data = new byte[size];
            int got = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
            if (got < size) throw new InvalidDataException($"{path}: holds {got} data bytes, the header says {size} ({DimensionText(header, rank)})");
            if (stream.ReadByte() >= 0) throw new InvalidDataException($"{path}: trailing data after the {size} bytes the header declares ({DimensionText(header, rank)})");
            // GZipStream ignores bytes after the last member; the file's last 4 bytes must be the gzip size field
            // (RFC 1952 ISIZE) of the whole content, as the training reader requires.
            if (BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(file.Length - 4)) != (uint)(offset + size))
                throw new InvalidDataException($"{path}: trailing data after the gzip stream (bytes appended, or several gzip members; recompress as one)");
            return (dims, data);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: damaged gzip data: {e.Message}", e);
        }
    }

    private static string DimensionText(byte[] header, int rank) =>
        string.Join('x', Enumerable.Range(0, rank).Select(d => BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4 * d))));

    private static string Declared(byte[] header, int rank)
    {
        System.Numerics.BigInteger total = 1;
        for (int d = 0; d < rank; d++) total *= BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4 * d));
        return total.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
    }


    /// <summary>
    /// Checks an image file's declared size (PNG, JPEG, GIF, BMP... as StbImageSharp reads the header,
    /// without decoding) against <see cref="MaximumImagePixels"/>, and a PNG's against what its compressed
    /// bytes can hold, so a tiny file cannot make the decoder allocate gigabytes. Files whose header is not
    /// recognised pass: the decoder reports them.
    /// </summary>
    /// <exception cref="InvalidDataException">The declared size is over the limit (the message names the file and the size).</exception>
    public static void CheckDeclaredSize(string path, byte[] file)
    {
        ImageInfo? info;
        try
        {
            using var stream = new MemoryStream(file, writable: false);
            info = ImageInfo.FromStream(stream);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return; // not a header StbImageSharp can read: the decoder says why
        }
        if (info is not ImageInfo image) return;
        long pixels = (long)image.Width * image.Height;
        string format = Format(file);
        if (image.Width <= 0 || image.Height <= 0)
            throw new InvalidDataException($"{path}: {format} header declares {image.Width}x{image.Height} pixels");
        if (pixels > MaximumImagePixels)
            throw new InvalidDataException($"{path}: {format} header declares {image.Width}x{image.Height} = {pixels:N0} pixels, more than the {MaximumImagePixels:N0}-pixel (64 Mpx) limit");
        // A PNG stores at least one bit per pixel, deflated at most MaximumDeflateRatio to one.
        if (format == "PNG" && pixels / 8 > MaximumDeflateRatio * file.Length)
            throw new InvalidDataException($"{path}: PNG header declares {image.Width}x{image.Height} pixels, more than a {file.Length:N0}-byte PNG can hold");
    }

    /// <summary>
    /// Checks what the decoder does not: a PNG's chunk lengths and CRCs up to its IEND chunk, a JPEG's
    /// markers up to its end-of-image marker (a cut JPEG has none), a GIF's trailer byte. StbImageSharp
    /// decodes damaged files of these formats without a word, so a damaged image would be classified
    /// as if it were intact. Other formats pass unchanged.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is damaged (the message names it and the fault).</exception>
    public static void CheckIntegrity(string path, byte[] file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string? fault = Format(file) switch
        {
            "PNG" => PngFault(file),
            "JPEG" => JpegFault(file),
            "GIF" => file[^1] == 0x3B ? null : "no GIF trailer (cut or damaged file)",
            _ => null,
        };
        if (fault is not null) throw new InvalidDataException($"{path}: damaged {Format(file)}: {fault}");
    }

    private static string? PngFault(byte[] file)
    {
        int position = 8;
        while (position + 12 <= file.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(position));
            if (length > int.MaxValue || position + 12L + length > file.Length) return $"chunk at byte {position} runs past the end of the file (cut file?)";
            ReadOnlySpan<byte> typeAndData = file.AsSpan(position + 4, 4 + (int)length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(position + 8 + (int)length));
            if (Crc32(typeAndData) != stored) return $"chunk '{ChunkName(typeAndData[..4])}' at byte {position} fails its CRC";
            if (typeAndData[..4].SequenceEqual("IEND"u8)) return null;
            position += 12 + (int)length;
        }
        return "no IEND chunk (cut file?)";
    }

    private static string ChunkName(ReadOnlySpan<byte> type)
    {
        var name = new char[4];
        for (int i = 0; i < 4; i++) name[i] = type[i] is >= 0x20 and < 0x7F ? (char)type[i] : '?';
        return new string(name);
    }

    private static string? JpegFault(byte[] file)
    {
        int position = 2;
        while (position + 1 < file.Length)
        {
            if (file[position] != 0xFF) return $"byte {position} is not a marker";
            while (position + 1 < file.Length && file[position + 1] == 0xFF) position++; // fill bytes
            if (position + 1 >= file.Length) break;
            byte marker = file[position + 1];
            position += 2;
            if (marker == 0xD9) return null; // end of image
            if (marker is >= 0xD0 and <= 0xD7 or 0x01) continue;
            if (position + 2 > file.Length) break;
            int length = BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(position));
            if (length < 2 || position + length > file.Length) return $"segment at byte {position - 2} runs past the end of the file (cut file?)";
            position += length;
            if (marker != 0xDA) continue;
            // Entropy-coded data: up to the next marker that is neither a stuffed zero nor a restart.
            while (position + 1 < file.Length && !(file[position] == 0xFF && file[position + 1] is not (0x00 or (>= 0xD0 and <= 0xD7) or 0xFF)))
                position++;
        }
        return "no end-of-image marker (cut file?)";
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>The CRC-32 of PNG chunks (ISO 3309, as zlib).</summary>
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in bytes) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFF;
    }

    private static string Format(byte[] file) => file switch
    {
        [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => "PNG",
        [0xFF, 0xD8, ..] => "JPEG",
        [(byte)'G', (byte)'I', (byte)'F', ..] => "GIF",
        [(byte)'B', (byte)'M', ..] => "BMP",
        _ => "image",
    };

    /// <summary>
    /// Converts decoded pixels (<paramref name="width"/> x <paramref name="height"/>, interleaved
    /// <paramref name="channels"/>) to <paramref name="target"/>: channel count must already match
    /// (decode with the model's channel count), then resize.
    /// </summary>
    public static byte[] Fit(ReadOnlySpan<byte> pixels, int width, int height, int channels, TensorShape target, bool invert = false)
    {
        if (channels != target.Channels) throw new ArgumentException($"image has {channels} channels, the model takes {target.Channels}");
        if (pixels.Length < (long)width * height * channels) throw new ArgumentException("pixel buffer too small");
        byte[] result = width == target.Width && height == target.Height
            ? pixels[..(width * height * channels)].ToArray()
            : width >= target.Width && height >= target.Height
                ? ResizeArea(pixels, width, height, channels, target.Width, target.Height)
                : ResizeBilinear(pixels, width, height, channels, target.Width, target.Height);
        if (invert) for (int i = 0; i < result.Length; i++) result[i] = (byte)(255 - result[i]);
        return result;
    }

    /// <summary>Area averaging (each output pixel is the mean of the source area it covers, fractional edges weighted).</summary>
    public static byte[] ResizeArea(ReadOnlySpan<byte> source, int width, int height, int channels, int targetWidth, int targetHeight)
    {
        var result = new byte[targetWidth * targetHeight * channels];
        double sx = (double)width / targetWidth, sy = (double)height / targetHeight;
        var sums = new double[channels];
        for (int y = 0; y < targetHeight; y++)
        {
            double y0 = y * sy, y1 = y0 + sy;
            for (int x = 0; x < targetWidth; x++)
            {
                double x0 = x * sx, x1 = x0 + sx, area = 0;
                Array.Clear(sums);
                for (int row = (int)y0; row < Math.Min(height, (int)Math.Ceiling(y1)); row++)
                {
                    double wy = Math.Min(y1, row + 1) - Math.Max(y0, row);
                    for (int column = (int)x0; column < Math.Min(width, (int)Math.Ceiling(x1)); column++)
                    {
                        double w = wy * (Math.Min(x1, column + 1) - Math.Max(x0, column));
                        if (w <= 0) continue;
                        area += w;
                        for (int c = 0; c < channels; c++) sums[c] += w * source[(row * width + column) * channels + c];
                    }
                }
                for (int c = 0; c < channels; c++)
                    result[(y * targetWidth + x) * channels + c] = (byte)Math.Clamp(Math.Round(sums[c] / area), 0, 255);
            }
        }
        return result;
    }

    /// <summary>Bilinear interpolation with pixel centres aligned (half-pixel offsets).</summary>
    public static byte[] ResizeBilinear(ReadOnlySpan<byte> source, int width, int height, int channels, int targetWidth, int targetHeight)
    {
        var result = new byte[targetWidth * targetHeight * channels];
        for (int y = 0; y < targetHeight; y++)
        {
            double fy = Math.Clamp((y + 0.5) * height / targetHeight - 0.5, 0, height - 1);
            int y0 = (int)fy, y1 = Math.Min(height - 1, y0 + 1);
            double ty = fy - y0;
            for (int x = 0; x < targetWidth; x++)
            {
                double fx = Math.Clamp((x + 0.5) * width / targetWidth - 0.5, 0, width - 1);
                int x0 = (int)fx, x1 = Math.Min(width - 1, x0 + 1);
                double tx = fx - x0;
                for (int c = 0; c < channels; c++)
                {
                    double top = source[(y0 * width + x0) * channels + c] * (1 - tx) + source[(y0 * width + x1) * channels + c] * tx;
                    double bottom = source[(y1 * width + x0) * channels + c] * (1 - tx) + source[(y1 * width + x1) * channels + c] * tx;
                    result[(y * targetWidth + x) * channels + c] = (byte)Math.Clamp(Math.Round(top * (1 - ty) + bottom * ty), 0, 255);
                }
            }
        }
        return result;
    }

    /// <summary>
    /// Decodes a PNG/JPEG/BMP/GIF file's bytes (StbImageSharp, managed, so it also serves the NativeAOT binary) to
    /// interleaved pixels with <paramref name="channels"/> channels: 1 grey, 3 RGB, 4 RGBA. The declared size is
    /// checked first (<see cref="CheckDeclaredSize"/>).
    /// </summary>
    public static (byte[] Pixels, int Width, int Height) Decode(byte[] file, int channels)
    {
        ColorComponents components = channels switch
        {
            1 => ColorComponents.Grey,
            3 => ColorComponents.RedGreenBlue,
            4 => ColorComponents.RedGreenBlueAlpha,
            _ => throw new ArgumentException($"models with {channels} input channels cannot take image files"),
        };
        CheckDeclaredSize("image", file);
        CheckIntegrity("image", file);
        ImageResult image = ImageResult.FromMemory(file, components);
        return (image.Data, image.Width, image.Height);
    }
}
