using System.Runtime.CompilerServices;
using BoolNet.Core.Kernels;

namespace BoolNet.Core.Real;

/// <summary>
/// Lowering of a 2-D convolution to a matrix product over NHWC tensors (im2col) and its adjoint.
/// Row r = (n, oy, ox) of the column matrix holds the receptive field of output (oy, ox) of sample n
/// in (ky, kx, c) order, K = kh * kw * C values, zeros where the window leaves the padded input; with
/// NHWC each (ky, kx) contributes one contiguous run of C channels. A convolution with weights
/// W [out, kh, kw, C] is then Y[rows, out] = columns[rows, K] * W^T.
/// </summary>
public static class Im2Col
{
    /// <summary>Output extent of a window sweep: (size + 2 padding - kernel) / stride + 1.</summary>
    public static int OutputSize(int size, int kernel, int stride, int padding) => (size + 2 * padding - kernel) / stride + 1;

    /// <summary>
    /// columns[count * outH * outW, kh * kw * channels] from input[count, height, width, channels].
    /// Parallel over output rows (independent).
    /// </summary>
    public static unsafe void Lower(float[] input, int count, int height, int width, int channels,
        int kernelHeight, int kernelWidth, int stride, int padding, float[] columns, int threads = 0)
    {
        int outputHeight = OutputSize(height, kernelHeight, stride, padding);
        int outputWidth = OutputSize(width, kernelWidth, stride, padding);
        int depth = kernelHeight * kernelWidth * channels;
        int rows = count * outputHeight * outputWidth;
        CheckLengths(input, count * height * width * channels, columns, (long)rows * depth);
        Threading.For(count * outputHeight, threads, (start, end) =>
        {
            for (int line = start; line < end; line++)
            {
                int sample = line / outputHeight, outputY = line % outputHeight;
                for (int outputX = 0; outputX < outputWidth; outputX++)
                {
                    Span<float> row = columns.AsSpan((int)((long)(line * outputWidth + outputX) * depth), depth);
                    int position = 0;
                    for (int ky = 0; ky < kernelHeight; ky++)
                    {
                        int y = outputY * stride - padding + ky;
                        for (int kx = 0; kx < kernelWidth; kx++, position += channels)
                        {
                            int x = outputX * stride - padding + kx;
                            if (y < 0 || y >= height || x < 0 || x >= width)
                            {
                                row.Slice(position, channels).Clear();
                            }
                            else if (channels >= 16)
                            {
                                input.AsSpan(((sample * height + y) * width + x) * channels, channels).CopyTo(row.Slice(position, channels));
                            }
                            else
                            {
                                // A few channels (the 1-channel first layer): a plain loop beats a memmove call per value.
                                int source = ((sample * height + y) * width + x) * channels;
                                for (int c = 0; c < channels; c++) row[position + c] = input[source + c];
                            }
                        }
                    }
                }
            }
        }, work: (long)rows * depth);
    }

    /// <summary>
    /// The adjoint of <see cref="Lower"/>: inputGradient[count, height, width, channels] = sum over the
    /// column entries that read each input value. Overwrites. Parallel over samples; within a sample
    /// the additions run in a fixed order, so the result does not depend on the thread count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Raise(float[] columns, int count, int height, int width, int channels,
        int kernelHeight, int kernelWidth, int stride, int padding, float[] inputGradient, int threads = 0)
    {
        int outputHeight = OutputSize(height, kernelHeight, stride, padding);
        int outputWidth = OutputSize(width, kernelWidth, stride, padding);
        int depth = kernelHeight * kernelWidth * channels;
        CheckLengths(inputGradient, count * height * width * channels, columns, (long)count * outputHeight * outputWidth * depth);
        int sampleSize = height * width * channels;
        Threading.For(count, threads, (start, end) =>
        {
            for (int sample = start; sample < end; sample++)
            {
                Span<float> gradient = inputGradient.AsSpan(sample * sampleSize, sampleSize);
                gradient.Clear();
                for (int outputY = 0; outputY < outputHeight; outputY++)
                    for (int outputX = 0; outputX < outputWidth; outputX++)
                    {
                        long rowStart = ((long)(sample * outputHeight + outputY) * outputWidth + outputX) * depth;
                        int position = 0;
                        for (int ky = 0; ky < kernelHeight; ky++)
                        {
                            int y = outputY * stride - padding + ky;
                            for (int kx = 0; kx < kernelWidth; kx++, position += channels)
                            {
                                int x = outputX * stride - padding + kx;
                                if (y < 0 || y >= height || x < 0 || x >= width) continue;
                                AddInPlace(gradient.Slice((y * width + x) * channels, channels), columns.AsSpan((int)(rowStart + position), channels));
                            }
                        }
                    }
            }
        }, work: (long)count * outputHeight * outputWidth * depth);
    }

    /// <summary>destination[i] += source[i], vectorised (elementwise, so the result equals the scalar loop).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddInPlace(Span<float> destination, ReadOnlySpan<float> source)
    {
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            int width = System.Numerics.Vector<float>.Count;
            for (; i + width <= destination.Length; i += width)
            {
                var sum = new System.Numerics.Vector<float>(destination.Slice(i)) + new System.Numerics.Vector<float>(source.Slice(i));
                sum.CopyTo(destination.Slice(i));
            }
        }
        for (; i < destination.Length; i++) destination[i] += source[i];
    }

    private static void CheckLengths(float[] image, long imageLength, float[] columns, long columnsLength)
    {
        if (image.Length < imageLength) throw new ArgumentException($"image buffer holds {image.Length} values, needs {imageLength}");
        if (columns.Length < columnsLength) throw new ArgumentException($"column buffer holds {columns.Length} values, needs {columnsLength}");
    }
}
