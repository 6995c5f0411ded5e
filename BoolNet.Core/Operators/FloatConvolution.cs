using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BoolNet.Core.Convolution;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// The float 2-D convolution over NHWC maps (zero padding, square stride), lowered to the float GEMM:
/// <code>
///   columns [rows, K] = s im2col(x),        rows = N * H_out * W_out, K = kh * kw * C ((ky, kx, c) order)
///   y [rows, out]     = columns W^T + b,    W [out, K] = [out, kh, kw, C]
/// </code>
/// and its derivatives for z = dL/dy:
/// <code>
///   dW [out, K] = z^T columns,   db [out] = sum_rows z,   dx = s col2im(z W)
/// </code>
/// With NHWC each kernel offset (ky, kx) contributes one contiguous run of C channels to a row of
/// the column matrix. Every sum has a fixed order (the GEMM's <see cref="FloatSumOrder"/>, bias
/// sums over rows from row 0, col2im additions in row order), so results do not depend on threads.
/// </summary>
public static class FloatConvolution
{
    /// <summary>
    /// Forward: <paramref name="columns"/> [N*H_out*W_out, K] = s im2col(x) (kept for
    /// <see cref="Backward"/>) and <paramref name="y"/> [N*H_out*W_out, out] = columns W^T (+ b).
    /// </summary>
    /// <param name="geometry">kernel, stride, padding and the input map H x W x C</param>
    /// <param name="count">N, samples</param>
    /// <param name="x">[N, H, W, C]</param>
    /// <param name="inputScale">s (1/255 for raw pixels)</param>
    /// <param name="weight">W [out, kh, kw, C]</param>
    /// <param name="bias">b [out], or null</param>
    /// <param name="outputs">out, output channels</param>
    /// <param name="columns">receives the column matrix, N*H_out*W_out*K floats</param>
    /// <param name="y">receives [N, H_out, W_out, out]</param>
    /// <param name="order">summation order of the product</param>
    /// <param name="threads">threads (0: the process default)</param>
    public static void Forward(ConvolutionGeometry geometry, int count, float[] x, float inputScale, float[] weight, float[]? bias, int outputs,
        float[] columns, float[] y, FloatSumOrder order = FloatSumOrder.Chain, int threads = 0)
    {
        int rows = count * geometry.OutputPositions, depth = geometry.FanIn;
        Lower(x, count, geometry, inputScale, columns, threads);
        FloatGemm.Multiply(columns, false, weight, true, y, rows, outputs, depth, order, threads: threads); // [rows, K] x [out, K]^T
        if (bias is not null) RowBroadcast.AddToRows(y, bias, rows, outputs, threads);
    }

    /// <summary>
    /// Backward of <see cref="Forward"/> for z = dL/dy [N*H_out*W_out, out]: dW = z^T columns, db = sum
    /// over rows of z, and, when <paramref name="inputGradient"/> is given, dx = s col2im(z W), which
    /// overwrites <paramref name="columns"/> on the way.
    /// </summary>
    public static void Backward(ConvolutionGeometry geometry, int count, float[] columns, float[] weight, int outputs, float[] outputGradient,
        float[] weightGradient, float[]? biasGradient, float[]? inputGradient, float inputScale, int threads = 0)
    {
        int rows = count * geometry.OutputPositions, depth = geometry.FanIn;
        if (outputGradient.Length < (long)rows * outputs)
            throw new ArgumentException($"output gradient holds {outputGradient.Length} values, needs {rows}x{outputs}");
        FloatGemm.Multiply(outputGradient, true, columns, false, weightGradient, outputs, depth, rows, threads: threads); // [rows, out]^T x [rows, K]
        if (biasGradient is not null) RowBroadcast.ColumnSums(outputGradient, rows, outputs, biasGradient, threads);
        if (inputGradient is null) return;
        FloatGemm.Multiply(outputGradient, false, weight, false, columns, rows, depth, outputs, threads: threads); // d columns [rows, K] = z W
        Raise(columns, count, geometry, inputGradient, threads);
        if (inputScale != 1f) Elementwise.Scale(inputGradient.AsSpan(0, count * geometry.InputPositions * geometry.Channels), inputScale);
    }

    /// <summary>
    /// im2col: columns[(n, oy, ox), (ky, kx, c)] = s x[n, oy*stride - pad + ky, ox*stride - pad + kx, c],
    /// 0 in the padding. Parallel over output lines (independent).
    /// </summary>
    public static void Lower(float[] input, int count, ConvolutionGeometry geometry, float scale, float[] columns, int threads = 0)
    {
        int height = geometry.InputHeight, width = geometry.InputWidth, channels = geometry.Channels;
        int outputHeight = geometry.OutputHeight, outputWidth = geometry.OutputWidth, depth = geometry.FanIn;
        long rows = (long)count * geometry.OutputPositions;
        CheckLengths(input, (long)count * height * width * channels, columns, rows * depth);
        Threading.For(count * outputHeight, threads, (start, end) =>
        {
            for (int line = start; line < end; line++)
            {
                int sample = line / outputHeight, outputY = line % outputHeight;
                for (int outputX = 0; outputX < outputWidth; outputX++)
                {
                    Span<float> row = columns.AsSpan((int)((long)(line * outputWidth + outputX) * depth), depth);
                    int position = 0;
                    for (int ky = 0; ky < geometry.KernelHeight; ky++)
                        for (int kx = 0; kx < geometry.KernelWidth; kx++, position += channels)
                        {
                            Span<float> target = row.Slice(position, channels);
                            if (!geometry.TryInputPosition(outputY, outputX, ky, kx, out int y, out int x))
                            {
                                target.Clear();
                                continue;
                            }
                            int source = ((sample * height + y) * width + x) * channels;
                            if (scale != 1f)
                                for (int c = 0; c < channels; c++) target[c] = input[source + c] * scale;
                            else if (channels >= 16)
                                input.AsSpan(source, channels).CopyTo(target);
                            else // a few channels (the first layer): a plain loop beats a memmove call per pixel
                                for (int c = 0; c < channels; c++) target[c] = input[source + c];
                        }
                }
            }
        }, work: rows * depth);
    }

    /// <summary>
    /// col2im, the adjoint of <see cref="Lower"/> at s = 1: inputGradient[n, y, x, c] = sum of the column
    /// entries that read x[n, y, x, c], added in row order. Overwrites. Parallel over samples.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Raise(float[] columns, int count, ConvolutionGeometry geometry, float[] inputGradient, int threads = 0)
    {
        int height = geometry.InputHeight, width = geometry.InputWidth, channels = geometry.Channels;
        int outputHeight = geometry.OutputHeight, outputWidth = geometry.OutputWidth, depth = geometry.FanIn;
        CheckLengths(inputGradient, (long)count * height * width * channels, columns, (long)count * geometry.OutputPositions * depth);
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
                        for (int ky = 0; ky < geometry.KernelHeight; ky++)
                            for (int kx = 0; kx < geometry.KernelWidth; kx++, position += channels)
                                if (geometry.TryInputPosition(outputY, outputX, ky, kx, out int y, out int x))
                                    AddInPlace(gradient.Slice((y * width + x) * channels, channels), columns.AsSpan((int)(rowStart + position), channels));
                    }
            }
        }, work: (long)count * geometry.OutputPositions * depth);
    }

    /// <summary>destination[i] += source[i], 8 lanes at a time (elementwise, so equal to the scalar loop).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddInPlace(Span<float> destination, ReadOnlySpan<float> source)
    {
        int i = 0;
        for (; i + 8 <= destination.Length; i += 8)
            (Vector256.Create((ReadOnlySpan<float>)destination.Slice(i, 8)) + Vector256.Create(source.Slice(i, 8))).CopyTo(destination.Slice(i, 8));
        for (; i < destination.Length; i++) destination[i] += source[i];
    }

    private static void CheckLengths(float[] image, long imageLength, float[] columns, long columnsLength)
    {
        if (image.Length < imageLength) throw new ArgumentException($"image buffer holds {image.Length} values, needs {imageLength}");
        if (columns.Length < columnsLength) throw new ArgumentException($"column buffer holds {columns.Length} values, needs {columnsLength}");
    }
}
