using System.Buffers.Binary;
using System.IO.Compression;
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
    /// <summary>Images [count * H * W * C] of an IDX file, with their shape.</summary>
    public static (byte[] Pixels, int Count, TensorShape Shape) ReadIdx(string path, long maximumBytes = 1L << 31)
    {
        byte[] file;
        try { file = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new InvalidDataException($"{path}: cannot read: {e.Message}", e); }
        if (file.Length >= 2 && file[0] == 0x1F && file[1] == 0x8B)
        {
            try
            {
                using var gzip = new GZipStream(new MemoryStream(file), CompressionMode.Decompress);
                using var buffer = new MemoryStream();
                var chunk = new byte[1 << 16];
                int read;
                while ((read = gzip.Read(chunk)) > 0)
                {
                    if (buffer.Length + read > maximumBytes) throw new InvalidDataException($"{path}: decompressed data exceeds {maximumBytes} bytes");
                    buffer.Write(chunk, 0, read);
                }
                file = buffer.ToArray();
            }
            catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{path}: damaged gzip data: {e.Message}", e);
            }
        }
        if (file.Length < 4 || file[0] != 0 || file[1] != 0) throw new InvalidDataException($"{path}: not an IDX file (bad magic)");
        if (file[2] != 0x08) throw new InvalidDataException($"{path}: IDX element type 0x{file[2]:X2} is not unsigned bytes (0x08)");
        int rank = file[3];
        if (rank is < 3 or > 4) throw new InvalidDataException($"{path}: IDX rank {rank}; images need [count, H, W] or [count, H, W, C]");
        if (file.Length < 4 + 4 * rank) throw new InvalidDataException($"{path}: truncated IDX header");
        var dims = new int[rank];
        long size = 1;
        for (int d = 0; d < rank; d++)
        {
            uint value = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(4 + 4 * d));
            if (value == 0 || value > int.MaxValue) throw new InvalidDataException($"{path}: IDX dimension {d} is {value}");
            dims[d] = (int)value;
            size *= value;
            if (size > file.Length) throw new InvalidDataException($"{path}: truncated: the header promises more data than the file holds");
        }
        int offset = 4 + 4 * rank;
        if (file.Length - offset != size) throw new InvalidDataException($"{path}: holds {file.Length - offset} data bytes, the header says {size}");
        var shape = new TensorShape(dims[1], dims[2], rank == 4 ? dims[3] : 1);
        return (file.AsSpan(offset).ToArray(), dims[0], shape);
    }

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
    /// interleaved pixels with <paramref name="channels"/> channels: 1 grey, 3 RGB, 4 RGBA.
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
        ImageResult image = ImageResult.FromMemory(file, components);
        return (image.Data, image.Width, image.Height);
    }
}
