using System.Runtime.Intrinsics;
using BoolNet.Core.Bits;
using BoolNet.Core.Execution;

namespace BoolNet.Layers;

/// <summary>Surrogate derivative of the threshold activation (docs/ALGORITHMS.md section 3).</summary>
public enum Surrogate
{
    /// <summary>BOLD: dy/da ~ 1 - tanh^2(alpha (a - tau)), peak 1 (the factor alpha is left to the learning rate); tanh by a rational approximation.</summary>
    Tanh,

    /// <summary>Box window: dy/da ~ 1[|a - tau| &lt;= r].</summary>
    Box,
}

/// <summary>
/// Threshold activation from real pre-activations to bits (docs/ALGORITHMS.md section 2):
/// <code>  y = 1 if a &gt;= tau else 0     a: [N * H * W * C] real (NHWC) -> y: [N * H * W, C] bits </code>
/// Works for flat vectors and NHWC maps alike.
/// </summary>
public sealed class ThresholdActivation : ILayer
{
    private float[]? _input; // a, cached for the surrogate

    /// <summary>Creates the activation.</summary>
    /// <param name="shape">shape of one sample (input and output)</param>
    /// <param name="surrogate">backward surrogate</param>
    /// <param name="width">tanh: alpha; box: r</param>
    /// <param name="threshold">tau</param>
    public ThresholdActivation(TensorShape shape, Surrogate surrogate = Surrogate.Tanh, float? width = null, float threshold = 0f)
    {
        InputShape = OutputShape = shape;
        SurrogateKind = surrogate;
        Width = width ?? (surrogate == Surrogate.Tanh ? BoldAlpha(1) : 1f);
        Threshold = threshold;
    }

    /// <summary>
    /// BOLD's alpha = pi / (2 sqrt(3 m)) for fan-in m. On raw counts (std ~ sqrt(m)) use the layer
    /// fan-in; after batch norm (std ~ 1) the equivalent is m = 1, alpha = pi / (2 sqrt 3) ~ 0.907.
    /// </summary>
    public static float BoldAlpha(int fanIn) => MathF.PI / (2f * MathF.Sqrt(3f * fanIn));

    /// <inheritdoc />
    public string Kind => "threshold";

    /// <inheritdoc />
    public TensorShape InputShape { get; }

    /// <inheritdoc />
    public TensorShape OutputShape { get; }

    /// <inheritdoc />
    public bool OutputIsBits => true;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; } = [];

    /// <summary>The surrogate used by Backward.</summary>
    public Surrogate SurrogateKind { get; }

    /// <summary>alpha (tanh) or r (box).</summary>
    public float Width { get; }

    /// <summary>tau.</summary>
    public float Threshold { get; }

    /// <summary>Forward: y[row, c] = a[row * C + c] &gt;= tau, rows = N * H * W.</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        float[] a = input.RequireReal(Kind);
        int rows = input.Count * InputShape.Positions, channels = InputShape.Channels;
        var bits = new BitMatrix(rows, channels);
        // Channels over threads when rows are wide (an MLP's 1024 features, which batch norm before split the
        // same way, so each thread packs what it normalised, from its own cache), else rows; a bit is a bit.
        if (SplitsChannels(channels, context.Threads, 64))
            Threading.For(channels, context.Threads, (start, end) => PackColumns(a, bits, rows, channels, start, end), alignment: 64, work: (long)rows * channels);
        else
            Threading.For(rows, context.Threads, (start, end) => PackRows(a, bits, start, end, channels), work: (long)rows * channels);
        _input = context.Training ? a : null;
        return Batch.FromBits(bits, input.Count, OutputShape);
    }

    /// <summary>
    /// True when threads should take channels (columns) rather than rows: at least <see cref="ColumnsPerThread"/>
    /// of them each, in whole <paramref name="alignment"/>s.
    /// </summary>
    internal static bool SplitsChannels(int channels, int threads, int alignment) =>
        channels % alignment == 0 && channels >= ColumnsPerThread * Threading.Resolve(threads);

    /// <summary>Channels per thread below which an elementwise pass splits rows (1 KB of floats per row and thread).</summary>
    private const int ColumnsPerThread = 256;

    /// <summary>Channels [start, end) (whole words) of every row of y = [a &gt;= tau].</summary>
    private void PackColumns(float[] a, BitMatrix bits, int rows, int channels, int start, int end)
    {
        var tau = Vector256.Create(Threshold);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = a.AsSpan(r * channels, channels);
            Span<ulong> words = bits.Row(r);
            for (int w = start / 64; w < end / 64; w++)
            {
                ulong word = 0;
                for (int part = 0; part < 8; part++)
                    word |= (ulong)Vector256.GreaterThanOrEqual(Vector256.Create(row.Slice(w * 64 + part * 8, 8)), tau).ExtractMostSignificantBits() << (part * 8);
                words[w] = word;
            }
        }
    }

    /// <summary>Rows [start, end) of y = [a &gt;= tau], packed into <paramref name="bits"/>.</summary>
    private void PackRows(float[] a, BitMatrix bits, int start, int end, int channels)
    {
        var tau = Vector256.Create(Threshold);
        for (int r = start; r < end; r++)
        {
            ReadOnlySpan<float> row = a.AsSpan(r * channels, channels);
            Span<ulong> words = bits.Row(r);
            if ((channels & 63) != 0)
            {
                BitPacking.PackThreshold(row, Threshold, words);
                continue;
            }
            // a >= tau as 8 sign bits per compare (vmovmskps), 8 compares per 64-bit word.
            for (int w = 0; w < words.Length; w++)
            {
                ulong word = 0;
                for (int part = 0; part < 8; part++)
                    word |= (ulong)Vector256.GreaterThanOrEqual(Vector256.Create(row.Slice(w * 64 + part * 8, 8)), tau).ExtractMostSignificantBits() << (part * 8);
                words[w] = word;
            }
        }
    }

    /// <summary>
    /// tanh by the [7/6] Pade approximant x (135135 + 17325 x^2 + 378 x^4 + x^6) /
    /// (135135 + 62370 x^2 + 3150 x^4 + 28 x^6) on |x| &lt;= 4.97 (error below 1e-5 there), clamped to
    /// +-1: MathF.Tanh per element cost more than the Boolean backward it feeds.
    /// </summary>
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(-4.97f)), Vector256.Create(4.97f));
        Vector256<float> s = x * x;
        Vector256<float> numerator = x * (Vector256.Create(135135f) + s * (Vector256.Create(17325f) + s * (Vector256.Create(378f) + s)));
        Vector256<float> denominator = Vector256.Create(135135f) + s * (Vector256.Create(62370f) + s * (Vector256.Create(3150f) + s * Vector256.Create(28f)));
        Vector256<float> t = numerator / denominator;
        return Vector256.Min(Vector256.Max(t, Vector256.Create(-1f)), Vector256<float>.One);
    }

    /// <summary>
    /// Backward of y = [a &gt;= tau]: dL/da = dL/de(y) * s'(a - tau), s' the surrogate
    /// (tanh: 1 - tanh^2(alpha (a - tau)); box: 1[|a - tau| &lt;= r]).
    /// </summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        float[] a = _input ?? throw new InvalidOperationException($"{Kind}: Backward without a training Forward");
        _input = null;
        if (!context.NeedInputGradient) return null;
        int n = outputGradient.Length;
        float[] result = context.Floats(n); // every element is written below
        // Elementwise (each element's arithmetic is fixed): channels over threads where the forward split
        // them (the batch norm's backward next splits them too), else blocks of 8-aligned elements.
        int channels = InputShape.Channels, rows = n / channels;
        if (SplitsChannels(channels, context.Threads, 8) && rows * channels == n)
            Threading.For(channels, context.Threads, (start, end) =>
            {
                for (int r = 0; r < rows; r++) SurrogateRange(a, outputGradient, result, r * channels + start, r * channels + end);
            }, alignment: 8, work: 8L * n);
        else
            Threading.For(n, context.Threads, (start, end) => SurrogateRange(a, outputGradient, result, start, end), alignment: 8, work: 8L * n);
        return result;
    }

    private void SurrogateRange(float[] a, float[] outputGradient, float[] result, int start, int end)
    {
        if (SurrogateKind == Surrogate.Tanh)
        {
            int i = start;
            var alpha = Vector256.Create(Width);
            var tau = Vector256.Create(Threshold);
            for (; i + 8 <= end; i += 8)
            {
                Vector256<float> t = Tanh(alpha * (Vector256.Create(a.AsSpan(i, 8)) - tau));
                (Vector256.Create(outputGradient.AsSpan(i, 8)) * (Vector256<float>.One - t * t)).CopyTo(result.AsSpan(i, 8));
            }
            for (; i < end; i++)
            {
                float t = Tanh(Vector256.Create(Width * (a[i] - Threshold)))[0];
                result[i] = outputGradient[i] * (1f - t * t);
            }
        }
        else
        {
            for (int i = start; i < end; i++)
                result[i] = MathF.Abs(a[i] - Threshold) <= Width ? outputGradient[i] : 0f;
        }
    }
}
