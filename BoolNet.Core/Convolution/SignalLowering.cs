using System.Runtime.CompilerServices;

namespace BoolNet.Core.Convolution;

/// <summary>
/// The convolution's side of its backward signals (docs/ALGORITHMS.md section 3 applied to the
/// lowered convolution): a convolution is a dense Boolean product of the lowered input L
/// [N * H_out * W_out, kh*kw*C] (<see cref="BitLowering.LowerCompact"/>) and W [c_out, kh*kw*C], so
/// its input signal is the dense one of L scattered back to the input positions (col2im), and its
/// weight signal the dense one over L's rows, less the excluded padding of <see cref="PaddingMode.Exclude"/>.
/// </summary>
public static class SignalLowering
{
    /// <summary>
    /// For <see cref="PaddingMode.Exclude"/>: E[o, k] = sum of levels[m, o] over the rows m whose
    /// kernel offset k falls into the padding. Those entries of L are 0 bits (e = -1) but contribute
    /// 0, so the weight signal adds E back (<see cref="BoolNet.Core.Operators.SignalProducts"/>' excluded sums).
    /// </summary>
    /// <param name="levels">[rows, c_out] signal levels, rows = samples x output positions</param>
    /// <param name="rows">rows of the levels</param>
    /// <param name="outputChannels">c_out</param>
    /// <param name="geometry">the convolution</param>
    /// <param name="pattern">its padding pattern</param>
    /// <returns>E [c_out, kh*kw]</returns>
    public static int[] ExcludedSums(ReadOnlySpan<sbyte> levels, int rows, int outputChannels, in ConvolutionGeometry geometry, PaddingPattern pattern)
    {
        int offsets = geometry.Offsets, outputPositions = geometry.OutputPositions;
        var result = new int[outputChannels * offsets];
        for (int m = 0; m < rows; m++)
            foreach (int k in pattern.PaddedOffsets(m % outputPositions))
                for (int o = 0; o < outputChannels; o++) result[o * offsets + k] += levels[m * outputChannels + o];
        return result;
    }

    /// <summary>
    /// col2im of one sample: adds the lowered input signal g~ [H_out * W_out, kh*kw*C] of
    /// <paramref name="sample"/> into g [N * H * W, C] at the input positions each window reads, in
    /// the order output position, ky, kx (so the float sums are the same for every thread split);
    /// padded positions receive nothing (they are constants).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScatterInputSignal(ReadOnlySpan<float> lowered, int sample, in ConvolutionGeometry geometry, Span<float> inputSignal)
    {
        int channels = geometry.Channels, fanIn = geometry.FanIn;
        for (int position = 0; position < geometry.OutputPositions; position++)
        {
            int outputY = position / geometry.OutputWidth, outputX = position % geometry.OutputWidth;
            for (int ky = 0; ky < geometry.KernelHeight; ky++)
                for (int kx = 0; kx < geometry.KernelWidth; kx++)
                {
                    if (!geometry.TryInputPosition(outputY, outputX, ky, kx, out int inputY, out int inputX)) continue;
                    int k = ky * geometry.KernelWidth + kx;
                    int inputRow = (sample * geometry.InputHeight + inputY) * geometry.InputWidth + inputX;
                    Span<float> target = inputSignal.Slice(inputRow * channels, channels);
                    ReadOnlySpan<float> source = lowered.Slice(position * fanIn + k * channels, channels);
                    for (int c = 0; c < channels; c++) target[c] += source[c];
                }
        }
    }
}
