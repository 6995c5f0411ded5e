namespace BoolNet.Layers;

/// <summary>
/// Batch normalisation over channels of a real NHWC batch (flat vectors: over features; maps: per
/// channel over N * H * W positions):
/// <code>  y = gamma * (x - mean) / sqrt(var + eps) + beta </code>
/// Training uses the batch's mean and biased variance and updates running estimates
/// (running = (1 - momentum) running + momentum batch, unbiased variance); inference uses the
/// running estimates. Sums run in double, sequentially, so results do not depend on threads.
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
            var sum = new double[channels];
            var squares = new double[channels];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < channels; c++) sum[c] += x[r * channels + c];
            for (int c = 0; c < channels; c++) mean[c] = (float)(sum[c] / rows);
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < channels; c++)
                {
                    double d = x[r * channels + c] - mean[c];
                    squares[c] += d * d;
                }
            for (int c = 0; c < channels; c++)
            {
                double variance = squares[c] / rows;
                inverseStd[c] = (float)(1.0 / Math.Sqrt(variance + Epsilon));
                double unbiased = rows > 1 ? squares[c] / (rows - 1) : variance;
                RunningMean[c] = (1 - Momentum) * RunningMean[c] + Momentum * mean[c];
                RunningVariance[c] = (float)((1 - Momentum) * RunningVariance[c] + Momentum * unbiased);
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
        float[]? gamma = Scale?.Value, beta = Shift?.Value;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < channels; c++)
            {
                int i = r * channels + c;
                float h = (x[i] - mean[c]) * inverseStd[c];
                if (normalized is not null) normalized[i] = h;
                y[i] = gamma is null ? h : gamma[c] * h + beta![c];
            }
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
        var sumDy = new double[channels];
        var sumDyH = new double[channels];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < channels; c++)
            {
                int i = r * channels + c;
                sumDy[c] += outputGradient[i];
                sumDyH[c] += outputGradient[i] * h[i];
            }
        if (Scale is not null)
        {
            for (int c = 0; c < channels; c++)
            {
                Scale.Gradient[c] = (float)sumDyH[c];
                Shift!.Gradient[c] = (float)sumDy[c];
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
            meanDy[c] = (float)(sumDy[c] / rows);
            meanDyH[c] = (float)(sumDyH[c] / rows);
            factor[c] = gamma * inverseStd[c];
        }
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < channels; c++)
            {
                int i = r * channels + c;
                dx[i] = factor[c] * (outputGradient[i] - meanDy[c] - h[i] * meanDyH[c]);
            }
        return dx;
    }
}
