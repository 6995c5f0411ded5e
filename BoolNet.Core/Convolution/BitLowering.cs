using System.Numerics;
using System.Runtime.CompilerServices;
using BoolNet.Core.Bits;

namespace BoolNet.Core.Convolution;

/// <summary>
/// Bit im2col: lowers a packed NHWC map to one row per output position so a convolution becomes a
/// binary GEMM. Input rows are [Count * H * W, ceil(C/64) words] (one row per position, channels
/// packed). Lowered row m = n * OutputPositions + oy * W_out + ox holds kh*kw segments of
/// ceil(C/64) words; segment k = ky * kw + kx is the channel words of input position
/// (oy*stride - pad + ky, ox*stride - pad + kx). Channel tail bits stay zero in every segment, and the
/// weights are lowered to the same layout, so popcount(x XOR w) over whole words counts only real
/// channels. A padded segment is zero words (FALSE, -1) for <see cref="PaddingMode.Exclude"/> and
/// <see cref="PaddingMode.False"/>, and C ones for <see cref="PaddingMode.True"/>.
/// </summary>
public static class BitLowering
{
    /// <summary>
    /// Lowers output rows [rowStart, rowEnd) of the whole batch into <paramref name="lowered"/>
    /// ([rowEnd - rowStart, LoweredWords]).
    /// </summary>
    /// <param name="input">[count * H * W, WordsPerPosition] packed channels</param>
    /// <param name="geometry">the convolution</param>
    /// <param name="padding">what a padded segment holds</param>
    /// <param name="rowStart">first output row (global over the batch)</param>
    /// <param name="rowEnd">one past the last output row</param>
    /// <param name="lowered">[rowEnd - rowStart, LoweredWords] output</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LowerRows(ReadOnlySpan<ulong> input, in ConvolutionGeometry geometry, PaddingMode padding,
        int rowStart, int rowEnd, Span<ulong> lowered) =>
        LowerRows(input, geometry, padding, rowStart, rowEnd, lowered, geometry.LoweredWords);

    /// <summary>
    /// As <see cref="LowerRows(ReadOnlySpan{ulong}, in ConvolutionGeometry, PaddingMode, int, int, Span{ulong})"/>
    /// with lowered rows <paramref name="rowStride"/> &gt;= LoweredWords words apart; the words past
    /// LoweredWords are written zero (so a SIMD kernel can read whole vectors without padding copies).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LowerRows(ReadOnlySpan<ulong> input, in ConvolutionGeometry geometry, PaddingMode padding,
        int rowStart, int rowEnd, Span<ulong> lowered, int rowStride)
    {
        int wordsPerPosition = geometry.WordsPerPosition;
        int loweredWords = geometry.LoweredWords;
        int outputPositions = geometry.OutputPositions, outputWidth = geometry.OutputWidth;
        int inputHeight = geometry.InputHeight, inputWidth = geometry.InputWidth;
        int kernelHeight = geometry.KernelHeight, kernelWidth = geometry.KernelWidth;
        int stride = geometry.Stride, pad = geometry.Padding;
        if (rowStride < loweredWords) throw new ArgumentOutOfRangeException(nameof(rowStride), rowStride, $"row stride below the {loweredWords} lowered words");
        if (lowered.Length < (rowEnd - rowStart) * rowStride)
            throw new ArgumentException($"lowered buffer holds {lowered.Length} words, needs {(rowEnd - rowStart) * rowStride}");
        ulong tailMask = BitMatrix.TailMaskFor(geometry.Channels);
        for (int row = rowStart; row < rowEnd; row++)
        {
            int sample = row / outputPositions, position = row - sample * outputPositions;
            int outputY = position / outputWidth, outputX = position - outputY * outputWidth;
            int sampleBase = sample * inputHeight * inputWidth;
            Span<ulong> target = lowered.Slice((row - rowStart) * rowStride, loweredWords);
            if (rowStride > loweredWords) lowered.Slice((row - rowStart) * rowStride + loweredWords, rowStride - loweredWords).Clear();
            int segment = 0;
            for (int ky = 0; ky < kernelHeight; ky++)
            {
                int inputY = outputY * stride - pad + ky;
                bool rowValid = (uint)inputY < (uint)inputHeight;
                for (int kx = 0; kx < kernelWidth; kx++, segment += wordsPerPosition)
                {
                    int inputX = outputX * stride - pad + kx;
                    Span<ulong> destination = target.Slice(segment, wordsPerPosition);
                    if (rowValid && (uint)inputX < (uint)inputWidth)
                    {
                        input.Slice((sampleBase + inputY * inputWidth + inputX) * wordsPerPosition, wordsPerPosition).CopyTo(destination);
                    }
                    else if (padding == PaddingMode.True)
                    {
                        destination.Fill(ulong.MaxValue);
                        destination[^1] = tailMask;
                    }
                    else
                    {
                        destination.Clear();
                    }
                }
            }
        }
    }

    /// <summary>
    /// Compact lowering for the backward pass: row m of the result ([rows, kh*kw*C])
    /// holds the window of output row m with bit k*C + c for channel c at offset k (the weights' own
    /// column order), padded entries as in <see cref="LowerRows(ReadOnlySpan{ulong}, in ConvolutionGeometry, PaddingMode, int, int, Span{ulong})"/>.
    /// Equal to the segment layout when C is a multiple of 64; otherwise it drops the channel tail bits,
    /// so a product contracting over rows (Eq. 4) does no work on them.
    /// </summary>
    public static BitMatrix LowerCompact(ReadOnlySpan<ulong> input, in ConvolutionGeometry geometry, PaddingMode padding, int rows)
    {
        var lowered = new BitMatrix(rows, geometry.FanIn);
        if ((geometry.Channels & 63) == 0)
        {
            LowerRows(input, geometry, padding, 0, rows, lowered.Words);
            return lowered;
        }
        int channels = geometry.Channels, wordsPerPosition = geometry.WordsPerPosition;
        int outputPositions = geometry.OutputPositions, outputWidth = geometry.OutputWidth;
        Span<ulong> ones = stackalloc ulong[wordsPerPosition];
        ones.Fill(ulong.MaxValue);
        ones[^1] = BitMatrix.TailMaskFor(channels);
        for (int row = 0; row < rows; row++)
        {
            int sample = row / outputPositions, position = row - sample * outputPositions;
            int outputY = position / outputWidth, outputX = position - outputY * outputWidth;
            Span<ulong> target = lowered.Row(row);
            for (int ky = 0; ky < geometry.KernelHeight; ky++)
                for (int kx = 0; kx < geometry.KernelWidth; kx++)
                {
                    int k = ky * geometry.KernelWidth + kx;
                    if (geometry.TryInputPosition(outputY, outputX, ky, kx, out int inputY, out int inputX))
                    {
                        int inputRow = (sample * geometry.InputHeight + inputY) * geometry.InputWidth + inputX;
                        BitRepacking.AppendBits(input.Slice(inputRow * wordsPerPosition, wordsPerPosition), channels, target, k * channels);
                    }
                    else if (padding == PaddingMode.True)
                    {
                        BitRepacking.AppendBits(ones, channels, target, k * channels);
                    }
                }
        }
        return lowered;
    }

    /// <summary>
    /// Lowers weights [c_out, kh*kw*C] (column k*C + c, offset-major, channel-minor) to the segment
    /// layout [c_out, LoweredWords]: segment k holds channels 0..C-1 of offset k, tail bits zero.
    /// </summary>
    public static void LowerWeights(BitMatrix weights, in ConvolutionGeometry geometry, Span<ulong> lowered)
    {
        int channels = geometry.Channels, offsets = geometry.Offsets, wordsPerPosition = geometry.WordsPerPosition;
        if (weights.Columns != geometry.FanIn)
            throw new ArgumentException($"weights have {weights.Columns} columns, the convolution {geometry} needs kh*kw*C = {geometry.FanIn}");
        if (lowered.Length < weights.Rows * geometry.LoweredWords)
            throw new ArgumentException($"lowered weights buffer holds {lowered.Length} words, needs {weights.Rows * geometry.LoweredWords}");
        for (int o = 0; o < weights.Rows; o++)
        {
            ReadOnlySpan<ulong> source = weights.Row(o);
            for (int k = 0; k < offsets; k++)
                CopyBits(source, k * channels, lowered.Slice((o * offsets + k) * wordsPerPosition, wordsPerPosition), channels);
        }
    }

    /// <summary>
    /// Copies <paramref name="count"/> bits starting at bit <paramref name="sourceBit"/> of
    /// <paramref name="source"/> into the low bits of <paramref name="destination"/> (ceil(count/64) words);
    /// destination bits past <paramref name="count"/> are written zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CopyBits(ReadOnlySpan<ulong> source, int sourceBit, Span<ulong> destination, int count)
    {
        int words = (count + 63) >> 6;
        int shift = sourceBit & 63, first = sourceBit >> 6;
        for (int w = 0; w < words; w++)
        {
            int index = first + w;
            ulong value = source[index] >> shift;
            if (shift != 0 && index + 1 < source.Length) value |= source[index + 1] << (64 - shift);
            int remaining = count - (w << 6);
            if (remaining < 64) value &= (1UL << remaining) - 1;
            destination[w] = value;
        }
    }

    /// <summary>
    /// popcount of each weight segment: result[o * Offsets + k] = number of TRUE weights of output
    /// channel o at kernel offset k. The <see cref="PaddingMode.Exclude"/> correction: a zero-filled
    /// padded segment adds exactly this many mismatches to popcount(x XOR w).
    /// </summary>
    public static int[] SegmentPopCounts(ReadOnlySpan<ulong> loweredWeights, int outputChannels, in ConvolutionGeometry geometry)
    {
        int offsets = geometry.Offsets, wordsPerPosition = geometry.WordsPerPosition;
        var result = new int[outputChannels * offsets];
        for (int i = 0; i < result.Length; i++)
        {
            int count = 0;
            foreach (ulong word in loweredWeights.Slice(i * wordsPerPosition, wordsPerPosition)) count += BitOperations.PopCount(word);
            result[i] = count;
        }
        return result;
    }
}
