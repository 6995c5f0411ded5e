using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// Max pooling of float NHWC maps, k x k windows with stride s, no padding:
/// <code>
///   y[n, oy, ox, c] = max over (ky, kx) of x[n, oy*s + ky, ox*s + kx, c],   H_out = (H - k) / s + 1
///   argmax[n, oy, ox, c] = flat index into x of the first maximum in scan order (ky, then kx)
///   dx[argmax[i]] += dy[i] for i in output order, 0 elsewhere
/// </code>
/// The scan keeps the first maximum (a later value must be strictly greater, so NaN never wins). The
/// vector path compares 8 channels at once with the same rule, so both paths give the same y and
/// argmax; samples run in parallel (independent outputs and disjoint input gradients).
/// </summary>
public static class FloatMaxPool
{
    /// <summary>Output extent (size - kernel) / stride + 1 (PyTorch's MaxPool2d without padding: a trailing remainder is dropped).</summary>
    public static int OutputSize(int size, int kernel, int stride) => (size - kernel) / stride + 1;

    /// <summary>Forward on the process ISA: y and argmax from x [count, height, width, channels].</summary>
    public static void Forward(float[] x, int count, int height, int width, int channels, int kernel, int stride, float[] y, int[] argmax, int threads = 0) =>
        Forward(x, count, height, width, channels, kernel, stride, y, argmax, threads, IsaSelection.Current);

    /// <summary>Forward on an explicit ISA path (scalar: the reference loops).</summary>
    public static void Forward(float[] x, int count, int height, int width, int channels, int kernel, int stride, float[] y, int[] argmax, int threads, Isa isa)
    {
        int outputHeight = OutputSize(height, kernel, stride), outputWidth = OutputSize(width, kernel, stride);
        long outputs = (long)count * outputHeight * outputWidth * channels;
        if (x.Length < (long)count * height * width * channels) throw new ArgumentException($"x holds {x.Length} values, needs {count}x{height}x{width}x{channels}");
        if (y.Length < outputs || argmax.Length < outputs) throw new ArgumentException($"y and argmax need {outputs} values");
        bool vector = isa != Isa.Scalar;
        Threading.For(count, threads, (start, end) =>
        {
            for (int n = start; n < end; n++)
                for (int oy = 0; oy < outputHeight; oy++)
                    for (int ox = 0; ox < outputWidth; ox++)
                    {
                        int target = ((n * outputHeight + oy) * outputWidth + ox) * channels;
                        Span<float> maximum = y.AsSpan(target, channels);
                        Span<int> best = argmax.AsSpan(target, channels);
                        for (int ky = 0; ky < kernel; ky++)
                            for (int kx = 0; kx < kernel; kx++)
                            {
                                int source = ((n * height + oy * stride + ky) * width + ox * stride + kx) * channels;
                                ReadOnlySpan<float> values = x.AsSpan(source, channels);
                                if (ky == 0 && kx == 0)
                                {
                                    values.CopyTo(maximum);
                                    for (int c = 0; c < channels; c++) best[c] = source + c;
                                }
                                else if (vector) KeepGreaterVector(values, source, maximum, best);
                                else KeepGreater(values, source, 0, maximum, best);
                            }
                    }
        }, work: outputs * kernel * kernel);
    }

    /// <summary>The reference step: where values[c] &gt; maximum[c], take it and its index source + c.</summary>
    private static void KeepGreater(ReadOnlySpan<float> values, int source, int from, Span<float> maximum, Span<int> best)
    {
        for (int c = from; c < values.Length; c++)
            if (values[c] > maximum[c])
            {
                maximum[c] = values[c];
                best[c] = source + c;
            }
    }

    /// <summary>
    /// <see cref="KeepGreater"/> 8 channels at a time, branch-free: the comparison is data-dependent
    /// noise to the branch predictor, a compare and two blends are not.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KeepGreaterVector(ReadOnlySpan<float> values, int source, Span<float> maximum, Span<int> best)
    {
        Vector256<int> lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        int c = 0;
        for (; c + 8 <= values.Length; c += 8)
        {
            Vector256<float> value = Vector256.Create(values.Slice(c, 8)), current = Vector256.Create((ReadOnlySpan<float>)maximum.Slice(c, 8));
            Vector256<float> greater = Vector256.GreaterThan(value, current);
            Vector256.ConditionalSelect(greater, value, current).CopyTo(maximum.Slice(c, 8));
            Vector256.ConditionalSelect(greater.AsInt32(), Vector256.Create(source + c) + lanes, Vector256.Create((ReadOnlySpan<int>)best.Slice(c, 8))).CopyTo(best.Slice(c, 8));
        }
        KeepGreater(values, source, c, maximum, best);
    }

    /// <summary>
    /// Backward: dx [count, inputSize] = 0, then dx[argmax[i]] += dy[i] for i in output order within
    /// each sample (a value that is the maximum of overlapping windows collects each in turn).
    /// </summary>
    public static void Backward(float[] outputGradient, int[] argmax, int count, int outputSize, float[] inputGradient, int inputSize, int threads = 0)
    {
        if (outputGradient.Length < (long)count * outputSize || argmax.Length < (long)count * outputSize || inputGradient.Length < (long)count * inputSize)
            throw new ArgumentException($"buffers too small for {count} samples of {outputSize} outputs and {inputSize} inputs");
        Threading.For(count, threads, (start, end) =>
        {
            inputGradient.AsSpan(start * inputSize, (end - start) * inputSize).Clear();
            for (int i = start * outputSize; i < end * outputSize; i++) inputGradient[argmax[i]] += outputGradient[i];
        }, work: (long)count * (inputSize + outputSize));
    }
}
