using BoolNet.Core.Bits;
using BoolNet.Core.Convolution;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Tests.Convolution;

/// <summary>Naive +-1 convolution written from the definition, independent of the lowering.</summary>
internal static class ConvolutionReference
{
    /// <summary>Random packed NHWC input [count * H * W, C].</summary>
    public static BitMatrix RandomInput(Random random, int count, in ConvolutionGeometry geometry)
    {
        var bits = new BitMatrix(count * geometry.InputPositions, geometry.Channels);
        bits.Randomize(random);
        return bits;
    }

    /// <summary>a[m, o] = sigma * sum over window of v(x) e(w) with v(padded) = 0, -1 or +1.</summary>
    public static int[] Forward(BitMatrix input, int count, in ConvolutionGeometry geometry, BitMatrix weights, BinaryLogic logic, PaddingMode padding)
    {
        int outputChannels = weights.Rows, channels = geometry.Channels;
        int padValue = padding switch { PaddingMode.True => 1, PaddingMode.False => -1, _ => 0 };
        var result = new int[count * geometry.OutputPositions * outputChannels];
        for (int n = 0; n < count; n++)
            for (int oy = 0; oy < geometry.OutputHeight; oy++)
                for (int ox = 0; ox < geometry.OutputWidth; ox++)
                {
                    int row = (n * geometry.OutputHeight + oy) * geometry.OutputWidth + ox;
                    for (int o = 0; o < outputChannels; o++)
                    {
                        int sum = 0;
                        for (int ky = 0; ky < geometry.KernelHeight; ky++)
                            for (int kx = 0; kx < geometry.KernelWidth; kx++)
                            {
                                int iy = oy * geometry.Stride - geometry.Padding + ky, ix = ox * geometry.Stride - geometry.Padding + kx;
                                bool inside = iy >= 0 && iy < geometry.InputHeight && ix >= 0 && ix < geometry.InputWidth;
                                for (int c = 0; c < channels; c++)
                                {
                                    int x = inside ? input.Sign((n * geometry.InputHeight + iy) * geometry.InputWidth + ix, c) : padValue;
                                    sum += x * weights.Sign(o, (ky * geometry.KernelWidth + kx) * channels + c);
                                }
                            }
                        result[row * outputChannels + o] = logic == BinaryLogic.Xnor ? sum : -sum;
                    }
                }
        return result;
    }

    /// <summary>The conv forward through the lowering kernel.</summary>
    public static int[] Lowered(BitMatrix input, int count, ConvolutionGeometry geometry, BitMatrix weights, BinaryLogic logic,
        PaddingMode padding, int threads = 1, Isa? isa = null, ConvolutionTuning? tuning = null)
    {
        var output = new int[count * geometry.OutputPositions * weights.Rows];
        BooleanConvolution.Forward(input.Words, count, geometry, BooleanConvolution.Prepare(weights, geometry), logic, padding,
            new PaddingPattern(geometry), output, threads, isa, tuning);
        return output;
    }

    /// <summary>A random geometry with the given channels.</summary>
    public static ConvolutionGeometry RandomGeometry(Random random, int channels)
    {
        while (true)
        {
            int kernelHeight = random.Next(1, 4), kernelWidth = random.Next(1, 4);
            int padding = random.Next(0, Math.Min(kernelHeight, kernelWidth));
            int height = random.Next(1, 8), width = random.Next(1, 8), stride = random.Next(1, 3);
            if (height + 2 * padding < kernelHeight || width + 2 * padding < kernelWidth) continue;
            return new ConvolutionGeometry(height, width, channels, kernelHeight, kernelWidth, stride, padding);
        }
    }
}
