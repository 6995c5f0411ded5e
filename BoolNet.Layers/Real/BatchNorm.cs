using System.Runtime.Intrinsics;

namespace BoolNet.Layers;

/// <summary>
/// Batch normalisation over channels of a real NHWC batch (flat vectors: over features; maps: per
/// channel over N * H * W positions):
/// <code>  y = gamma * (x - mean) / sqrt(var + eps) + beta </code>
/// Training uses the batch's mean and biased variance and updates running estimates
/// (running = (1 - momentum) running + momentum batch, unbiased variance); inference uses the
/// running estimates. Per-channel float sums run over rows in order (8 channels per vector), single-threaded, so results do not depend on threads.
/// </summary>
public sealed class BatchNorm : ILayer, IHasBuffers
{
    private float[]? _normalized; // x-hat [rows * C]
    private float[]? _inverseStd; // 1 / sqrt(var + eps) [C]

    /// <summary>Creates the layer (gamma = 1, beta = 0, running mean 0, running variance 1).</summary>
    public BatchNorm(TensorShape shape, bool affine = true, float momentum = 0.1f, float epsilon = 1e-5f)
    {
        InputShape = OutputShape = shape;
        int c = shape.Channels;
        Momentum = momentum;
        Epsilon = epsilon;
        RunningMean = new float[c];
        RunningVariance = new float[c];
        Array.Fill(RunningVariance, 1f);
        if (affine)
        {
            Scale = new RealParameter("scale", c);
            Array.Fill(Scale.Value, 1f);
            Shift = new RealParameter("shift", c);
            Parameters = [Scale, Shift];
        }
        else Parameters = [];
        Buffers = [new NamedBuffer("running-mean", RunningMean), new NamedBuffer("running-variance", RunningVariance)];
    }

    /// <inheritdoc />
    public string Kind => "batch-norm";

    /// <inheritdoc />
    public TensorShape InputShape { get; }

    /// <inheritdoc />
    public TensorShape OutputShape { get; }

    /// <inheritdoc />
    public bool OutputIsBits => false;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc />
    public IReadOnlyList<NamedBuffer> Buffers { get; }

    /// <summary>gamma [C], or null without affine parameters.</summary>
    public RealParameter? Scale { get; }

    /// <summary>beta [C], or null without affine parameters.</summary>
    public RealParameter? Shift { get; }

    /// <summary>Running mean [C].</summary>
    public float[] RunningMean { get; }

    /// <summary>Running variance [C].</summary>
    public float[] RunningVariance { get; }

    /// <summary>Weight of the newest batch in the running estimates.</summary>
    public float Momentum { get; }

    /// <summary>eps.</summary>
    public float Epsilon { get; }

    /// <summary>Forward: x [N * H * W * C] -> y [N * H * W * C] (class formula).</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        float[] x = input.RequireReal(Kind);
        int channels = InputShape.Channels, rows = input.Count * InputShape.Positions;
        var y = new float[rows * channels];
        var inverseStd = new float[channels];
        var mean = new float[channels];
        if (context.Training)
        {
            // Per-channel sums over rows, one channel per lane, rows added in order: the same
            // arithmetic for any thread count (this layer is single-threaded) and 8 channels per vector op.
            var sum = new float[channels];
            var squares = new float[channels];
            for (int r = 0; r < rows; r++) AddTo(sum, x.AsSpan(r * channels, channels));
            for (int c = 0; c < channels; c++) mean[c] = sum[c] / rows;
            for (int r = 0; r < rows; r++) AddSquaredDifference(squares, x.AsSpan(r * channels, channels), mean);
            for (int c = 0; c < channels; c++)
            {
                float variance = squares[c] / rows;
                inverseStd[c] = 1f / MathF.Sqrt(variance + Epsilon);
                float unbiased = rows > 1 ? squares[c] / (rows - 1) : variance;
                RunningMean[c] = (1 - Momentum) * RunningMean[c] + Momentum * mean[c];
                RunningVariance[c] = (1 - Momentum) * RunningVariance[c] + Momentum * unbiased;
            }
        }
        else
        {
            for (int c = 0; c < channels; c++)
            {
                mean[c] = RunningMean[c];
                inverseStd[c] = 1f / MathF.Sqrt(RunningVariance[c] + Epsilon);
            }
        }
        float[]? normalized = context.Training ? new float[rows * channels] : null;
        var gamma = new float[channels];
        var beta = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            gamma[c] = Scale?.Value[c] ?? 1f;
            beta[c] = Shift?.Value[c] ?? 0f;
        }
        for (int r = 0; r < rows; r++)
            Normalize(x.AsSpan(r * channels, channels), mean, inverseStd, gamma, beta,
                normalized is null ? Span<float>.Empty : normalized.AsSpan(r * channels, channels), y.AsSpan(r * channels, channels));
        _normalized = normalized;
        _inverseStd = context.Training ? inverseStd : null;
        return Batch.FromReal(y, input.Count, OutputShape);
    }

    /// <summary>
    /// Backward of y = gamma * x-hat + beta with batch statistics (M = rows):
    /// d gamma = sum dy x-hat; d beta = sum dy;
    /// dx = inverseStd / M * (M dh - sum dh - x-hat sum(dh x-hat)), dh = gamma dy.
    /// </summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        float[] h = _normalized ?? throw new InvalidOperationException($"{Kind}: Backward without a training Forward");
        float[] inverseStd = _inverseStd!;
        int channels = InputShape.Channels, rows = h.Length / channels;
        var sumDy = new float[channels];
        var sumDyH = new float[channels];
        for (int r = 0; r < rows; r++)
        {
            AddTo(sumDy, outputGradient.AsSpan(r * channels, channels));
            AddProduct(sumDyH, outputGradient.AsSpan(r * channels, channels), h.AsSpan(r * channels, channels));
        }
        if (Scale is not null)
        {
            for (int c = 0; c < channels; c++)
            {
                Scale.Gradient[c] = sumDyH[c];
                Shift!.Gradient[c] = sumDy[c];
            }
        }
        _normalized = null;
        _inverseStd = null;
        if (!context.NeedInputGradient) return null;
        var dx = new float[rows * channels];
        var meanDy = new float[channels];
        var meanDyH = new float[channels];
        var factor = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            float gamma = Scale?.Value[c] ?? 1f;
            meanDy[c] = sumDy[c] / rows;
            meanDyH[c] = sumDyH[c] / rows;
            factor[c] = gamma * inverseStd[c];
        }
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> dy = outputGradient.AsSpan(r * channels, channels), hr = h.AsSpan(r * channels, channels);
            Span<float> target = dx.AsSpan(r * channels, channels);
            int c = 0;
            for (; c + 8 <= channels; c += 8)
                (Vector256.Create(factor.AsSpan(c, 8)) * (Vector256.Create(dy.Slice(c, 8)) - Vector256.Create(meanDy.AsSpan(c, 8))
                    - Vector256.Create(hr.Slice(c, 8)) * Vector256.Create(meanDyH.AsSpan(c, 8)))).CopyTo(target.Slice(c, 8));
            for (; c < channels; c++) target[c] = factor[c] * (dy[c] - meanDy[c] - hr[c] * meanDyH[c]);
        }
        return dx;
    }

    private static void AddTo(Span<float> sum, ReadOnlySpan<float> row)
    {
        int c = 0;
        for (; c + 8 <= row.Length; c += 8) (Vector256.Create(sum.Slice(c, 8)) + Vector256.Create(row.Slice(c, 8))).CopyTo(sum.Slice(c, 8));
        for (; c < row.Length; c++) sum[c] += row[c];
    }

    private static void AddProduct(Span<float> sum, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int c = 0;
        for (; c + 8 <= a.Length; c += 8)
            (Vector256.Create(sum.Slice(c, 8)) + Vector256.Create(a.Slice(c, 8)) * Vector256.Create(b.Slice(c, 8))).CopyTo(sum.Slice(c, 8));
        for (; c < a.Length; c++) sum[c] += a[c] * b[c];
    }

    private static void AddSquaredDifference(Span<float> sum, ReadOnlySpan<float> row, ReadOnlySpan<float> mean)
    {
        int c = 0;
        for (; c + 8 <= row.Length; c += 8)
        {
            Vector256<float> d = Vector256.Create(row.Slice(c, 8)) - Vector256.Create(mean.Slice(c, 8));
            (Vector256.Create(sum.Slice(c, 8)) + d * d).CopyTo(sum.Slice(c, 8));
        }
        for (; c < row.Length; c++)
        {
            float d = row[c] - mean[c];
            sum[c] += d * d;
        }
    }

    private static void Normalize(ReadOnlySpan<float> x, float[] mean, float[] inverseStd, float[] gamma, float[] beta,
        Span<float> normalized, Span<float> y)
    {
        int c = 0, n = x.Length;
        for (; c + 8 <= n; c += 8)
        {
            Vector256<float> h = (Vector256.Create(x.Slice(c, 8)) - Vector256.Create(mean.AsSpan(c, 8))) * Vector256.Create(inverseStd.AsSpan(c, 8));
            if (!normalized.IsEmpty) h.CopyTo(normalized.Slice(c, 8));
            (Vector256.Create(gamma.AsSpan(c, 8)) * h + Vector256.Create(beta.AsSpan(c, 8))).CopyTo(y.Slice(c, 8));
        }
        for (; c < n; c++)
        {
            float h = (x[c] - mean[c]) * inverseStd[c];
            if (!normalized.IsEmpty) normalized[c] = h;
            y[c] = gamma[c] * h + beta[c];
        }
    }
}
