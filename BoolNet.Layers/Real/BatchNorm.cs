using BoolNet.Core.Operators;

namespace BoolNet.Layers;

/// <summary>
/// Batch normalisation over channels of a real NHWC batch (flat vectors: over features; maps: per
/// channel over the M = N * H * W positions), computed by <see cref="BatchNormalization"/>:
/// <code>  x [M, C] -> y [M, C] = gamma * (x - mean) / sqrt(var + eps) + beta </code>
/// Training uses the batch's mean and biased variance and updates running estimates
/// (running = (1 - momentum) running + momentum batch, unbiased variance); inference uses the
/// running estimates. Threads take blocks of channels and each channel's sums run over the rows in
/// order, so results do not depend on the thread count.
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

    /// <summary>Forward (class formula): x [M, C] -> y [M, C], M = N * H * W rows.</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        float[] x = input.RequireReal(Kind);
        int channels = InputShape.Channels, rows = input.Count * InputShape.Positions;
        float[] y = context.Floats(rows * channels); // [M, C], fully written
        (float[] gamma, float[] beta) = Affine();
        if (context.Training)
        {
            float[] normalized = context.Floats(rows * channels); // h [M, C], fully written
            var inverseStd = new float[channels];
            BatchNormalization.ForwardTraining(x, rows, channels, gamma, beta, Epsilon, Momentum, RunningMean, RunningVariance, inverseStd, normalized, y, context.Threads);
            (_normalized, _inverseStd) = (normalized, inverseStd);
        }
        else
        {
            BatchNormalization.ForwardInference(x, rows, channels, gamma, beta, Epsilon, RunningMean, RunningVariance, y, context.Threads);
            (_normalized, _inverseStd) = (null, null);
        }
        return Batch.FromReal(y, input.Count, OutputShape);
    }

    /// <summary>
    /// Backward with batch statistics for dy [M, C]: d gamma = sum_r dy h, d beta = sum_r dy,
    /// dx [M, C] = gamma / sqrt(var + eps) (dy - mean_r(dy) - h mean_r(dy h)).
    /// </summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        float[] h = _normalized ?? throw new InvalidOperationException($"{Kind}: Backward without a training Forward");
        int channels = InputShape.Channels, rows = h.Length / channels;
        float[]? dx = context.NeedInputGradient ? context.Floats(rows * channels) : null; // fully written
        (float[] gamma, _) = Affine();
        float[] gammaGradient = Scale?.Gradient ?? new float[channels], betaGradient = Shift?.Gradient ?? new float[channels];
        BatchNormalization.Backward(outputGradient, h, _inverseStd!, rows, channels, gamma, gammaGradient, betaGradient, dx, context.Threads);
        (_normalized, _inverseStd) = (null, null);
        return dx;
    }

    /// <summary>gamma and beta, or 1 and 0 without affine parameters (1 h + 0 turns -0 into +0, as the inference layer does).</summary>
    private (float[] Gamma, float[] Beta) Affine()
    {
        if (Scale is not null) return (Scale.Value, Shift!.Value);
        int channels = InputShape.Channels;
        var ones = new float[channels];
        Array.Fill(ones, 1f);
        return (ones, new float[channels]);
    }
}
