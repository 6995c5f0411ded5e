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
        // Rows over threads, in the same shares as the elementwise passes around it (each row's bits are fixed).
        Threading.For(rows, context.Threads, (start, end) => PackRows(a, bits, start, end, channels), work: (long)rows * channels);
        _input = context.Training ? a : null;
        return Batch.FromBits(bits, input.Count, OutputShape);
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
        // Elementwise, so blocks of 8-aligned elements go to threads (each element's arithmetic is fixed).
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
