using System.Numerics;
using System.Runtime.CompilerServices;
using BoolNet.Core.Bits;
using BoolNet.Core.Kernels;

namespace BoolNet.Core.Convolution;

/// <summary>
/// Backward of <see cref="BooleanConvolution.Forward"/>: ALGORITHMS.md Eq. 3/4 applied to the
/// lowered convolution, for the forward a[m, o] = sigma * sum_(k, c) e(x~[m, k, c]) e(w[o, k, c])
/// (sigma = +1 XNOR, -1 XOR; x~ the window of output row m with padded entries e = 0 under
/// <see cref="PaddingMode.Exclude"/>, -1 under False, +1 under True):
/// <code>
///   weight signal  q[o, k*C + c] = sigma * sum_m z[m, o] e(x~[m, k, c])            (Eq. 4, over batch and positions)
///   input signal   g[n, iy, ix, c] = sigma * sum over (m, k) reading (iy, ix) of
///                                     sum_o z[m, o] e(w[o, k, c])                   (Eq. 3, col2im of the lowered signal)
/// </code>
/// Padded positions receive no input signal in any mode (they are constants).
/// Two paths: <see cref="Exact"/> (float reference) and <see cref="Quantised"/> (z as sign-magnitude
/// bit-planes, both sums on <see cref="BinaryGemm.CountAnd"/>; equal to Exact when z is integer and
/// fits the planes at scale 1).
/// </summary>
public static class ConvolutionBackward
{
    /// <summary>Exact float reference of both signals.</summary>
    /// <param name="input">[count * H * W, WordsPerPosition] the forward input</param>
    /// <param name="count">samples</param>
    /// <param name="geometry">the convolution</param>
    /// <param name="weights">[c_out, kh*kw*C]</param>
    /// <param name="logic">XNOR or XOR</param>
    /// <param name="padding">padding semantics of the forward</param>
    /// <param name="signal">z [count * OutputPositions, c_out]</param>
    /// <param name="weightSignal">q [c_out * kh*kw*C] output (overwritten)</param>
    /// <param name="inputSignal">g [count * H * W * C] output (overwritten), or empty to skip</param>
    public static void Exact(ReadOnlySpan<ulong> input, int count, in ConvolutionGeometry geometry, BitMatrix weights,
        BinaryLogic logic, PaddingMode padding, ReadOnlySpan<float> signal, Span<float> weightSignal, Span<float> inputSignal)
    {
        int outputChannels = weights.Rows, channels = geometry.Channels, fanIn = geometry.FanIn, wordsPerPosition = geometry.WordsPerPosition;
        int outputPositions = geometry.OutputPositions;
        float sigma = logic == BinaryLogic.Xnor ? 1f : -1f;
        float padValue = padding switch { PaddingMode.True => 1f, PaddingMode.False => -1f, _ => 0f };
        float[] weightSigns = BitPacking.UnpackSigns(weights);
        weightSignal.Slice(0, outputChannels * fanIn).Clear();
        bool wantInput = !inputSignal.IsEmpty;
        if (wantInput) inputSignal.Slice(0, count * geometry.InputPositions * channels).Clear();
        var window = new float[fanIn];
        for (int row = 0; row < count * outputPositions; row++)
        {
            int sample = row / outputPositions, position = row % outputPositions;
            int outputY = position / geometry.OutputWidth, outputX = position % geometry.OutputWidth;
            for (int ky = 0; ky < geometry.KernelHeight; ky++)
                for (int kx = 0; kx < geometry.KernelWidth; kx++)
                {
                    int k = ky * geometry.KernelWidth + kx;
                    bool valid = geometry.TryInputPosition(outputY, outputX, ky, kx, out int inputY, out int inputX);
                    int inputRow = (sample * geometry.InputHeight + inputY) * geometry.InputWidth + inputX;
                    for (int c = 0; c < channels; c++)
                        window[k * channels + c] = valid
                            ? (((input[inputRow * wordsPerPosition + (c >> 6)] >> (c & 63)) & 1UL) != 0 ? 1f : -1f)
                            : padValue;
                    if (!valid || !wantInput) continue;
                    for (int c = 0; c < channels; c++)
                    {
                        float sum = 0f;
                        for (int o = 0; o < outputChannels; o++) sum += signal[row * outputChannels + o] * weightSigns[o * fanIn + k * channels + c];
                        inputSignal[inputRow * channels + c] += sigma * sum;
                    }
                }
            for (int o = 0; o < outputChannels; o++)
            {
                float z = sigma * signal[row * outputChannels + o];
                if (z == 0f) continue;
                Span<float> q = weightSignal.Slice(o * fanIn, fanIn);
                for (int i = 0; i < fanIn; i++) q[i] += z * window[i];
            }
        }
    }

    /// <summary>
    /// Both signals on the AND-popcount kernel from z quantised to two's-complement bit-planes
    /// (<see cref="SignalPlanes"/>). Integer arithmetic until the final scale, so the result does not
    /// depend on the thread count.
    /// </summary>
    /// <param name="input">[count * H * W, WordsPerPosition] the forward input</param>
    /// <param name="count">samples</param>
    /// <param name="geometry">the convolution</param>
    /// <param name="weights">prepared weights of the forward</param>
    /// <param name="logic">XNOR or XOR</param>
    /// <param name="padding">padding semantics of the forward</param>
    /// <param name="pattern">padding pattern of <paramref name="geometry"/></param>
    /// <param name="levels">Z [count * OutputPositions, c_out], z ~ scale * Z</param>
    /// <param name="scale">the quantisation step</param>
    /// <param name="planes">P, |Z| &lt;= 2^(P-1) - 1</param>
    /// <param name="weightSignal">q [c_out * kh*kw*C] output (overwritten)</param>
    /// <param name="inputSignal">g [count * H * W * C] output (overwritten), or empty to skip</param>
    /// <param name="threads">0 for the default</param>
    /// <param name="isa">null for the current ISA</param>
    public static void Quantised(ReadOnlySpan<ulong> input, int count, ConvolutionGeometry geometry, BooleanConvolution.PreparedWeights weights,
        BinaryLogic logic, PaddingMode padding, PaddingPattern pattern, int[] levels, float scale, int planes,
        Span<float> weightSignal, Span<float> inputSignal, int threads = 0, Isa? isa = null)
    {
        int rows = count * geometry.OutputPositions, outputChannels = weights.OutputChannels;
        int loweredBits = geometry.LoweredWords * 64;
        float sigma = logic == BinaryLogic.Xnor ? 1f : -1f;

        // Eq. 4 over the batch: contraction over rows m, so both operands are packed along m.
        var transposedPlanes = new SignalPlanes(levels, scale, rows, outputChannels, planes, transposed: true); // [c_out * P, rows]
        BitMatrix lowered = BitLowering.LowerCompact(input, geometry, padding, rows);                         // [rows, kh*kw*C]
        BitMatrix loweredTransposed = BitPacking.Transpose(lowered, threads);                                        // [kh*kw*C, rows]
        var counts = new int[outputChannels * planes * geometry.FanIn];
        BinaryGemm.CountAnd(transposedPlanes.Planes, loweredTransposed, counts, threads, isa);                // [c_out * P, kh*kw*C]
        long[] rowSums = LevelSumsPerOffset(levels, rows, outputChannels, geometry, padding, pattern);
        WeightSignalFromCounts(counts, rowSums, outputChannels, transposedPlanes.PlaneWeights, geometry, sigma * scale, weightSignal);

        if (inputSignal.IsEmpty) return;
        // Eq. 3: contraction over output channels o; planes row-major [rows * P, c_out], weights transposed.
        var planesByRow = new SignalPlanes(levels, scale, rows, outputChannels, planes, transposed: false);
        BitMatrix weightsTransposed = BitPacking.Transpose(new BitMatrix(outputChannels, loweredBits, weights.Lowered), threads); // [LoweredWords*64, c_out]
        InputSignalFromPlanes(planesByRow, weightsTransposed, count, geometry, sigma * scale, inputSignal, threads, isa);
    }

    /// <summary>
    /// <see cref="Quantised(ReadOnlySpan{ulong}, int, ConvolutionGeometry, BooleanConvolution.PreparedWeights, BinaryLogic, PaddingMode, PaddingPattern, int[], float, int, Span{float}, Span{float}, int, Isa?)"/>
    /// with round-to-nearest quantisation (<see cref="SignalPlanes.Quantize"/>).
    /// </summary>
    public static void Quantised(ReadOnlySpan<ulong> input, int count, ConvolutionGeometry geometry, BooleanConvolution.PreparedWeights weights,
        BinaryLogic logic, PaddingMode padding, PaddingPattern pattern, ReadOnlySpan<float> signal, int planes,
        Span<float> weightSignal, Span<float> inputSignal, float? scale = null, int threads = 0, Isa? isa = null)
    {
        SignalPlanes quantised = SignalPlanes.Quantize(signal, count * geometry.OutputPositions, weights.OutputChannels, planes, transposed: false, scale);
        Quantised(input, count, geometry, weights, logic, padding, pattern, quantised.Levels, quantised.Scale, planes,
            weightSignal, inputSignal, threads, isa);
    }

    /// <summary>
    /// R[o, k] = sum over rows m whose offset k is inside the window's image part (Exclude) or over all
    /// rows (False/True, where padded entries carry +-1 bits in the lowering) of L[m, o].
    /// </summary>
    private static long[] LevelSumsPerOffset(int[] levels, int rows, int outputChannels, in ConvolutionGeometry geometry,
        PaddingMode padding, PaddingPattern pattern)
    {
        int offsets = geometry.Offsets, outputPositions = geometry.OutputPositions;
        var total = new long[outputChannels];
        for (int m = 0; m < rows; m++)
            for (int o = 0; o < outputChannels; o++) total[o] += levels[m * outputChannels + o];
        var result = new long[outputChannels * offsets];
        for (int o = 0; o < outputChannels; o++)
            for (int k = 0; k < offsets; k++) result[o * offsets + k] = total[o];
        if (padding != PaddingMode.Exclude || !pattern.HasPadding) return result;
        for (int m = 0; m < rows; m++)
            foreach (int k in pattern.PaddedOffsets(m % outputPositions))
                for (int o = 0; o < outputChannels; o++) result[o * offsets + k] -= levels[m * outputChannels + o];
        return result;
    }

    /// <summary>q[o, k*C + c] = factor * (2 sum_p weight_p count[o*P + p, k*C + c] - R[o, k]).</summary>
    private static void WeightSignalFromCounts(int[] counts, long[] rowSums, int outputChannels, long[] planeWeights,
        in ConvolutionGeometry geometry, float factor, Span<float> weightSignal)
    {
        int channels = geometry.Channels, offsets = geometry.Offsets;
        int fanIn = geometry.FanIn, planes = planeWeights.Length;
        for (int o = 0; o < outputChannels; o++)
            for (int k = 0; k < offsets; k++)
                for (int c = 0; c < channels; c++)
                {
                    long sum = 0;
                    int column = k * channels + c;
                    for (int p = 0; p < planes; p++) sum += planeWeights[p] * counts[(o * planes + p) * fanIn + column];
                    weightSignal[o * fanIn + k * channels + c] = factor * (2 * sum - rowSums[o * offsets + k]);
                }
    }

    /// <summary>Lowered input signal per sample, scattered back to the input positions (col2im).</summary>
    private static void InputSignalFromPlanes(SignalPlanes planes, BitMatrix weightsTransposed, int count,
        ConvolutionGeometry geometry, float factor, Span<float> inputSignal, int threads, Isa? isa)
    {
        int channels = geometry.Channels;
        inputSignal.Slice(0, count * geometry.InputPositions * channels).Clear();
        unsafe
        {
            fixed (float* inputSignalPointer = inputSignal)
            {
                float* address = inputSignalPointer;
                int length = inputSignal.Length;
                long work = (long)planes.Planes.Words.Length * weightsTransposed.Rows;
                Threading.For(count, threads, (start, end) =>
                {
                    var target = new Span<float>(address, length);
                    for (int sample = start; sample < end; sample++)
                        InputSignalOfSample(planes, weightsTransposed, sample, geometry, factor, target);
                }, work: work);
            }
        }
    }

    /// <summary>
    /// One sample's g. The contraction runs over c_out, only ceil(c_out/64) words per dot product: too
    /// short for the SIMD tiles (they would pad every row to a 512-bit chunk), so it is a direct loop of
    /// scalar popcounts over the valid (k, c) of each window only - padded offsets and channel tail bits
    /// are never visited.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputSignalOfSample(SignalPlanes planes, BitMatrix weightsTransposed, int sample,
        in ConvolutionGeometry geometry, float factor, Span<float> inputSignal)
    {
        int outputPositions = geometry.OutputPositions, outputChannels = planes.Columns;
        int planeCount = planes.PlaneCount, words = planes.Planes.WordsPerRow;
        int channels = geometry.Channels, segmentBits = geometry.WordsPerPosition * 64;
        ReadOnlySpan<long> planeWeights = planes.PlaneWeights;
        ReadOnlySpan<ulong> planeWords = planes.Planes.Words;
        ReadOnlySpan<ulong> weightWords = weightsTransposed.Words;
        for (int position = 0; position < outputPositions; position++)
        {
            int row = sample * outputPositions + position;
            long levelSum = 0;
            for (int o = 0; o < outputChannels; o++) levelSum += planes.Levels[row * outputChannels + o];
            ReadOnlySpan<ulong> rowPlanes = planeWords.Slice(row * planeCount * words, planeCount * words);
            bool nonZero = false;
            foreach (ulong word in rowPlanes) nonZero |= word != 0;
            if (!nonZero) continue;
            int outputY = position / geometry.OutputWidth, outputX = position % geometry.OutputWidth;
            for (int ky = 0; ky < geometry.KernelHeight; ky++)
                for (int kx = 0; kx < geometry.KernelWidth; kx++)
                {
                    if (!geometry.TryInputPosition(outputY, outputX, ky, kx, out int inputY, out int inputX)) continue;
                    int k = ky * geometry.KernelWidth + kx;
                    int inputRow = (sample * geometry.InputHeight + inputY) * geometry.InputWidth + inputX;
                    Span<float> target = inputSignal.Slice(inputRow * channels, channels);
                    int columnBase = k * segmentBits * words;
                    if (words == 1)
                    {
                        // One word of output channels (c_out <= 64): the planes stay in registers.
                        for (int c = 0; c < channels; c++)
                        {
                            ulong column = weightWords[columnBase + c];
                            long sum = 0;
                            for (int p = 0; p < planeCount; p++) sum += planeWeights[p] * BitOperations.PopCount(rowPlanes[p] & column);
                            target[c] += factor * (2 * sum - levelSum);
                        }
                        continue;
                    }
                    for (int c = 0; c < channels; c++)
                    {
                        ReadOnlySpan<ulong> column = weightWords.Slice(columnBase + c * words, words);
                        long sum = 0;
                        for (int p = 0; p < planeCount; p++)
                        {
                            int count = 0;
                            for (int w = 0; w < words; w++) count += BitOperations.PopCount(rowPlanes[p * words + w] & column[w]);
                            sum += planeWeights[p] * count;
                        }
                        target[c] += factor * (2 * sum - levelSum);
                    }
                }
        }
    }
}
