using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Core.Convolution;

/// <summary>
/// Forward Boolean convolution on packed NHWC bits, lowered to the counting binary GEMM in row
/// blocks (bit im2col of <see cref="RowBlock"/> output rows by default, then <see cref="BinaryGemm.Count(CountOperation, ReadOnlySpan{ulong}, ReadOnlySpan{ulong}, int, int, int, Span{int}, int, Isa?)"/> on
/// that block, then the centring and padding correction), so the lowered rows stay in L1/L2 and the
/// lowering is paid once per row while the GEMM reads it c_out times.
/// </summary>
/// <remarks>
/// Centred output (docs/ALGORITHMS.md section 2, applied per output position and channel):
/// <c>a[m, o] = sum over valid window bits of e(x) e(w)</c> for XNOR, its negation for XOR.
/// With mismatch count d = popcount(lowered XOR w) and V window bits taking part:
/// a = V - 2 d (XNOR). <see cref="PaddingMode.False"/>/<see cref="PaddingMode.True"/>: the lowered
/// padded segments hold the pad bit, V = kh*kw*C, no correction. <see cref="PaddingMode.Exclude"/>:
/// padded segments are zero, so each adds popcount(w segment) mismatches that are subtracted, and
/// V = C * (valid offsets at that position).
/// </remarks>
public static class BooleanConvolution
{
    /// <summary>
    /// Output rows lowered and multiplied together by default (a multiple of 8 for the GEMM's row tiles). 1024
    /// rows of a 3x3x128 lowering are ~147 KiB, inside the 1 MiB L2; larger blocks amortise the per-call
    /// packing of the weights and the dispatch. Measured (14x14x128, 3x3, c_out 128, batch 64, 1 thread, same
    /// run as the plain GEMM): conv/GEMM 0.62 at 128 rows, 0.66 at 512, 0.68 at 1024 and 2048.
    /// </summary>
    public const int RowBlock = 1024;

    /// <summary>
    /// With <see cref="ConvolutionTuning.PadRowsToVectors"/>, lowered rows are laid out a multiple of this many
    /// words apart (zero-padded) so SIMD kernels could consume whole 512-bit vectors (8 words; AVX2 takes 4).
    /// </summary>
    public const int VectorWords = 8;

    /// <summary>Weights prepared for the forward pass: the segment layout and its per-offset popcounts.</summary>
    public sealed class PreparedWeights
    {
        internal PreparedWeights(ulong[] lowered, ulong[] strided, int stride, int[] segmentPopCounts, int outputChannels)
        {
            Lowered = lowered;
            Strided = strided;
            Stride = stride;
            SegmentPopCounts = segmentPopCounts;
            OutputChannels = outputChannels;
        }

        /// <summary>[c_out, LoweredWords] segment-layout weights.</summary>
        public ulong[] Lowered { get; }

        /// <summary>[c_out, Stride] the same rows zero-padded to <see cref="Stride"/> words for the SIMD kernels.</summary>
        public ulong[] Strided { get; }

        /// <summary>Lowered row length rounded up to whole 512-bit vectors (<see cref="VectorWords"/>).</summary>
        public int Stride { get; }

        /// <summary>[c_out, kh*kw] TRUE weights per segment.</summary>
        public int[] SegmentPopCounts { get; }

        /// <summary>c_out.</summary>
        public int OutputChannels { get; }
    }

    /// <summary>Lowers weights [c_out, kh*kw*C] for <see cref="Forward"/>.</summary>
    public static PreparedWeights Prepare(Bits.BitMatrix weights, in ConvolutionGeometry geometry)
    {
        int loweredWords = geometry.LoweredWords;
        var lowered = new ulong[weights.Rows * loweredWords];
        BitLowering.LowerWeights(weights, geometry, lowered);
        int stride = (loweredWords + VectorWords - 1) / VectorWords * VectorWords;
        var strided = new ulong[weights.Rows * stride];
        for (int o = 0; o < weights.Rows; o++) lowered.AsSpan(o * loweredWords, loweredWords).CopyTo(strided.AsSpan(o * stride));
        return new PreparedWeights(lowered, strided, stride, BitLowering.SegmentPopCounts(lowered, weights.Rows, geometry), weights.Rows);
    }

    /// <summary>
    /// a[m, o] for every output row m of the batch.
    /// </summary>
    /// <param name="input">[count * H * W, WordsPerPosition] packed channels</param>
    /// <param name="count">samples</param>
    /// <param name="geometry">the convolution</param>
    /// <param name="weights">prepared [c_out, kh*kw*C] weights</param>
    /// <param name="logic">XNOR or XOR</param>
    /// <param name="padding">padding semantics</param>
    /// <param name="pattern">padding pattern of <paramref name="geometry"/></param>
    /// <param name="output">[count * OutputPositions, c_out] centred sums</param>
    /// <param name="threads">threads to use (0: every processor)</param>
    /// <param name="isa">null for <see cref="IsaSelection.Current"/></param>
    /// <param name="tuning">null for <see cref="ConvolutionTuning.Default"/>; results never depend on it</param>
    public static void Forward(ReadOnlySpan<ulong> input, int count, ConvolutionGeometry geometry, PreparedWeights weights,
        BinaryLogic logic, PaddingMode padding, PaddingPattern pattern, Span<int> output, int threads, Isa? isa = null,
        ConvolutionTuning? tuning = null)
    {
        ConvolutionTuning layout = tuning ?? ConvolutionTuning.Default;
        if (layout.RowBlock <= 0) throw new ArgumentOutOfRangeException(nameof(tuning), $"row block {layout.RowBlock} is not positive");
        int rows = count * geometry.OutputPositions, outputChannels = weights.OutputChannels;
        if (input.Length < count * geometry.InputPositions * geometry.WordsPerPosition)
            throw new ArgumentException($"input holds {input.Length} words, {count} samples of {geometry} need {count * geometry.InputPositions * geometry.WordsPerPosition}");
        if (output.Length < rows * outputChannels)
            throw new ArgumentException($"output holds {output.Length} values, needs {rows * outputChannels}");
        if (rows == 0) return;
        long work = (long)rows * outputChannels * geometry.LoweredWords;
        unsafe
        {
            fixed (ulong* inputPointer = input)
            fixed (int* outputPointer = output)
            {
                ulong* inputAddress = inputPointer;
                int* outputAddress = outputPointer;
                int inputLength = input.Length;
                Threading.For(rows, threads, (start, end) =>
                {
                    var inputSpan = new ReadOnlySpan<ulong>(inputAddress, inputLength);
                    var outputSpan = new Span<int>(outputAddress + (long)start * outputChannels, (end - start) * outputChannels);
                    ForwardRows(inputSpan, geometry, weights, logic, padding, pattern, start, end, outputSpan, isa, layout);
                }, alignment: layout.RowBlock, work: work);
            }
        }
    }

    /// <summary>Rows [rowStart, rowEnd) on the calling thread; <paramref name="output"/> starts at rowStart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRows(ReadOnlySpan<ulong> input, in ConvolutionGeometry geometry, PreparedWeights weights,
        BinaryLogic logic, PaddingMode padding, PaddingPattern pattern, int rowStart, int rowEnd, Span<int> output, Isa? isa,
        ConvolutionTuning tuning)
    {
        int loweredWords = geometry.LoweredWords, outputChannels = weights.OutputChannels;
        int offsets = geometry.Offsets, channels = geometry.Channels, outputPositions = geometry.OutputPositions;
        int fullBits = geometry.FanIn;
        bool vectorStride = tuning.PadRowsToVectors && (isa ?? IsaSelection.Current) != Isa.Scalar;
        int stride = vectorStride ? weights.Stride : loweredWords;
        ulong[] weightWords = vectorStride ? weights.Strided : weights.Lowered;
        ulong[] buffer = ArrayPool<ulong>.Shared.Rent(tuning.RowBlock * stride);
        try
        {
            int rowBlock = tuning.RowBlock;
            for (int block = rowStart; block < rowEnd; block += rowBlock)
            {
                int blockEnd = Math.Min(rowEnd, block + rowBlock), blockRows = blockEnd - block;
                BitLowering.LowerRows(input, geometry, padding, block, blockEnd, buffer, stride);
                Span<int> counts = output.Slice((block - rowStart) * outputChannels, blockRows * outputChannels);
                BinaryGemm.Count(CountOperation.Xor, buffer, weightWords, blockRows, outputChannels, stride, counts, threads: 1, isa);
                ReadOnlySpan<int> segmentPopCounts = weights.SegmentPopCounts;
                for (int row = block; row < blockEnd; row++)
                {
                    Span<int> values = counts.Slice((row - block) * outputChannels, outputChannels);
                    int position = row % outputPositions;
                    int bits = fullBits;
                    if (padding == PaddingMode.Exclude && pattern.HasPadding)
                    {
                        ReadOnlySpan<int> padded = pattern.PaddedOffsets(position);
                        if (padded.Length > 0)
                        {
                            bits = channels * (offsets - padded.Length);
                            for (int o = 0; o < outputChannels; o++)
                            {
                                int correction = 0;
                                foreach (int k in padded) correction += segmentPopCounts[o * offsets + k];
                                values[o] -= correction;
                            }
                        }
                    }
                    // XNOR centred a = V - 2d; XOR is its negation. Vectorised: this pass touches every
                    // output once and is the largest cost of the conv outside the GEMM.
                    int sign = logic == BinaryLogic.Xnor ? 1 : -1;
                    var vectorBits = new Vector<int>(sign * bits);
                    int o2 = 0;
                    if (logic == BinaryLogic.Xnor)
                        for (; o2 + Vector<int>.Count <= outputChannels; o2 += Vector<int>.Count)
                        {
                            Span<int> slice = values.Slice(o2, Vector<int>.Count);
                            (vectorBits - new Vector<int>(slice) * 2).CopyTo(slice);
                        }
                    else
                        for (; o2 + Vector<int>.Count <= outputChannels; o2 += Vector<int>.Count)
                        {
                            Span<int> slice = values.Slice(o2, Vector<int>.Count);
                            (new Vector<int>(slice) * 2 + vectorBits).CopyTo(slice);
                        }
                    for (; o2 < outputChannels; o2++) values[o2] = sign * (bits - 2 * values[o2]);
                }
            }
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(buffer);
        }
    }
}

/// <summary>
/// How <see cref="BooleanConvolution.Forward"/> lays out its work; results never depend on it. The defaults
/// are the measured best; the convolution benchmark passes others to compare.
/// </summary>
/// <param name="RowBlock">output rows lowered and multiplied together (positive; a multiple of 8 suits the GEMM's row tiles)</param>
/// <param name="PadRowsToVectors">
/// whether the SIMD paths get lowered rows padded to <see cref="BooleanConvolution.VectorWords"/> words (true)
/// or the exact LoweredWords (false, the default: the packed GEMM driver finishes each row with scalar tail
/// words, and padding 18 words to 24 cost more than it saved: 0.54-0.62 vs 0.59-0.76 of the plain GEMM's
/// speed in interleaved bench runs)
/// </param>
public readonly record struct ConvolutionTuning(int RowBlock, bool PadRowsToVectors)
{
    /// <summary><see cref="BooleanConvolution.RowBlock"/> rows, unpadded.</summary>
    public static ConvolutionTuning Default => new(BooleanConvolution.RowBlock, false);
}
