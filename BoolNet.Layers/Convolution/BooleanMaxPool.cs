using System.Numerics;
using BoolNet.Core.Bits;

namespace BoolNet.Layers;

/// <summary>
/// Max pooling over a Boolean map: OR over each window (TRUE = +1 is the max; docs/ALGORITHMS.md
/// section 2). Windows are k x k with stride s (default s = k), no padding, floor division:
/// <code>  x: [N * H * W, C] bits -> y: [N * H_out * W_out, C] bits, y = OR_(window) x </code>
/// Backward routing (a max's subgradient; chosen and tested):
/// <list type="bullet">
/// <item>a window with a TRUE element: the whole gradient goes to the first TRUE element in scan order
/// (ky, then kx) - lowering any other element cannot change the output;</item>
/// <item>an all-FALSE window: every element receives the whole gradient - each alone could raise the
/// output to TRUE, so each is an argmax of the tie.</item>
/// </list>
/// </summary>
public sealed class BooleanMaxPool : ILayer
{
    private BitMatrix? _input; // x cached by a training Forward

    /// <summary>Creates a k x k pool with stride <paramref name="stride"/> (default k).</summary>
    public BooleanMaxPool(TensorShape input, int kernel = 2, int? stride = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 1);
        Kernel = kernel;
        Stride = stride ?? kernel;
        ArgumentOutOfRangeException.ThrowIfLessThan(Stride, 1);
        if (input.Height < kernel || input.Width < kernel)
            throw new ArgumentException($"pool window {kernel}x{kernel} does not fit {input}");
        InputShape = input;
        OutputShape = new TensorShape((input.Height - kernel) / Stride + 1, (input.Width - kernel) / Stride + 1, input.Channels);
    }

    /// <inheritdoc />
    public string Kind => "boolean-maxpool";

    /// <inheritdoc />
    public TensorShape InputShape { get; }

    /// <inheritdoc />
    public TensorShape OutputShape { get; }

    /// <inheritdoc />
    public bool OutputIsBits => true;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; } = [];

    /// <summary>Window size k.</summary>
    public int Kernel { get; }

    /// <summary>Stride.</summary>
    public int Stride { get; }

    /// <summary>Forward: y[n, oy, ox, :] = OR over the window of x (whole words at a time).</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        BitMatrix x = input.RequireBits(Kind);
        if (input.Shape != InputShape) throw new ArgumentException($"{Kind} expects samples of {InputShape}, got {input.Shape}");
        int count = input.Count, words = x.WordsPerRow;
        var y = new BitMatrix(count * OutputShape.Positions, InputShape.Channels);
        for (int n = 0; n < count; n++)
            for (int oy = 0; oy < OutputShape.Height; oy++)
                for (int ox = 0; ox < OutputShape.Width; ox++)
                {
                    Span<ulong> target = y.Row((n * OutputShape.Height + oy) * OutputShape.Width + ox);
                    for (int ky = 0; ky < Kernel; ky++)
                        for (int kx = 0; kx < Kernel; kx++)
                        {
                            ReadOnlySpan<ulong> source = x.Row(InputRow(n, oy, ox, ky, kx));
                            for (int w = 0; w < words; w++) target[w] |= source[w];
                        }
                }
        _input = context.Training ? x : null;
        return Batch.FromBits(y, count, OutputShape);
    }

    /// <summary>
    /// Backward of y = OR(window): routes dL/de(y) to the first TRUE element of each window, or to
    /// every element of an all-FALSE window (class remarks). Overlapping windows add up.
    /// </summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        BitMatrix x = _input ?? throw new InvalidOperationException($"{Kind}: Backward without a training Forward");
        _input = null;
        if (!context.NeedInputGradient) return null;
        int count = x.Rows / InputShape.Positions, channels = InputShape.Channels, words = x.WordsPerRow;
        var g = new float[count * InputShape.Size];
        Span<ulong> unclaimed = stackalloc ulong[words];
        for (int n = 0; n < count; n++)
            for (int oy = 0; oy < OutputShape.Height; oy++)
                for (int ox = 0; ox < OutputShape.Width; ox++)
                {
                    int outputRow = (n * OutputShape.Height + oy) * OutputShape.Width + ox;
                    ReadOnlySpan<float> gradient = outputGradient.AsSpan(outputRow * channels, channels);
                    for (int w = 0; w < words; w++) unclaimed[w] = w < words - 1 ? ulong.MaxValue : x.TailMask;
                    for (int ky = 0; ky < Kernel; ky++)
                        for (int kx = 0; kx < Kernel; kx++)
                        {
                            int inputRow = InputRow(n, oy, ox, ky, kx);
                            ReadOnlySpan<ulong> source = x.Row(inputRow);
                            for (int w = 0; w < words; w++)
                            {
                                ulong claim = source[w] & unclaimed[w];
                                unclaimed[w] &= ~claim;
                                Route(claim, w, gradient, g.AsSpan(inputRow * channels, channels));
                            }
                        }
                    // Channels still unclaimed had an all-FALSE window: every element gets the gradient.
                    for (int ky = 0; ky < Kernel; ky++)
                        for (int kx = 0; kx < Kernel; kx++)
                        {
                            int inputRow = InputRow(n, oy, ox, ky, kx);
                            for (int w = 0; w < words; w++) Route(unclaimed[w], w, gradient, g.AsSpan(inputRow * channels, channels));
                        }
                }
        return g;
    }

    private int InputRow(int n, int oy, int ox, int ky, int kx) =>
        (n * InputShape.Height + oy * Stride + ky) * InputShape.Width + ox * Stride + kx;

    private static void Route(ulong bits, int word, ReadOnlySpan<float> gradient, Span<float> target)
    {
        while (bits != 0)
        {
            int c = (word << 6) + BitOperations.TrailingZeroCount(bits);
            target[c] += gradient[c];
            bits &= bits - 1;
        }
    }
}
