using BoolNet.Core.Execution;

namespace BoolNet.Layers;

/// <summary>
/// Parameter-free layer normalisation, per sample over all its features (H*W*C), no affine:
/// <c>y = (x - mu) / sqrt(var + eps)</c> with mu, var the mean and biased variance of the sample
/// (PyTorch's F.layer_norm(x, x.shape[1:]), eps = 1e-5). Wilson et al.'s reference models put it
/// after every layer, which makes the scale of integer weights irrelevant. Statistics accumulate in
/// double; samples run in parallel (independent), so results do not depend on the thread count.
/// </summary>
public sealed class LayerNorm : ILayer
{
    private float[] _output = [];          // y, kept for backward
    private float[] _inverseDeviation = []; // 1 / sqrt(var + eps) per sample
    private float[] _inputGradient = [];
    private int _count;

    /// <summary>Creates the layer for samples of <paramref name="shape"/>.</summary>
    /// <remarks>
    /// <paramref name="gain"/> is a fixed (not learned) factor on the output, y = gain (x - mu) / sqrt(var + eps):
    /// on logits it sets the softmax temperature.
    /// </remarks>
    public LayerNorm(TensorShape shape, float epsilon = 1e-5f, float gain = 1f)
    {
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), $"layer norm epsilon {epsilon} must be > 0");
        if (!(gain > 0 && float.IsFinite(gain))) throw new ArgumentOutOfRangeException(nameof(gain), $"layer norm gain {gain} must be finite and > 0");
        InputShape = shape;
        Epsilon = epsilon;
        Gain = gain;
    }

    /// <inheritdoc />
    public string Kind => "layer-norm";

    /// <inheritdoc />
    public TensorShape InputShape { get; }

    /// <inheritdoc />
    public TensorShape OutputShape => InputShape;

    /// <inheritdoc />
    public bool OutputIsBits => false;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters => [];

    /// <summary>eps added to the variance.</summary>
    public float Epsilon { get; }

    /// <summary>Fixed factor on the output (1: none).</summary>
    public float Gain { get; }

    /// <summary>y = gain (x - mean(x)) / sqrt(var(x) + eps) per sample.</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        float[] x = input.RequireReal(Kind);
        if (input.Shape.Size != InputShape.Size) throw new ArgumentException($"{Kind} expects {InputShape} but received {input.Shape}");
        int count = input.Count, size = InputShape.Size;
        _count = count;
        LayerBuffers.Resize(ref _output, (long)count * size);
        if (_inverseDeviation.Length != count) _inverseDeviation = new float[count];
        float[] output = _output, inverse = _inverseDeviation;
        double gain = Gain;
        Threading.For(count, context.Threads, (start, end) =>
        {
            for (int n = start; n < end; n++)
            {
                ReadOnlySpan<float> sample = x.AsSpan(n * size, size);
                double sum = 0;
                foreach (float value in sample) sum += value;
                double mean = sum / size;
                double squares = 0;
                foreach (float value in sample) squares += (value - mean) * (value - mean);
                double scale = gain / Math.Sqrt(squares / size + Epsilon);
                inverse[n] = (float)scale;
                Span<float> y = output.AsSpan(n * size, size);
                for (int i = 0; i < size; i++) y[i] = (float)((sample[i] - mean) * scale);
            }
        }, work: (long)count * size * 4);
        return Batch.FromReal(_output, count, InputShape);
    }

    /// <summary>
    /// Differentiates <see cref="Forward"/>: dx = r (dy - mean(dy) - y mean(dy y) / gain^2), r = gain / sqrt(var + eps).
    /// </summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        if (!context.NeedInputGradient) return null;
        int count = _count, size = InputShape.Size;
        if (outputGradient.Length < (long)count * size)
            throw new ArgumentException($"output gradient holds {outputGradient.Length} values, needs {count * size}; was Forward called?");
        LayerBuffers.Resize(ref _inputGradient, (long)count * size);
        float[] output = _output, inverse = _inverseDeviation, gradient = _inputGradient;
        double gainSquared = (double)Gain * Gain;
        Threading.For(count, context.Threads, (start, end) =>
        {
            for (int n = start; n < end; n++)
            {
                ReadOnlySpan<float> dy = outputGradient.AsSpan(n * size, size);
                ReadOnlySpan<float> y = output.AsSpan(n * size, size);
                double sum = 0, dot = 0;
                for (int i = 0; i < size; i++)
                {
                    sum += dy[i];
                    dot += (double)dy[i] * y[i];
                }
                double meanGradient = sum / size, meanDot = dot / size / gainSquared, scale = inverse[n];
                Span<float> dx = gradient.AsSpan(n * size, size);
                for (int i = 0; i < size; i++) dx[i] = (float)(scale * (dy[i] - meanGradient - y[i] * meanDot));
            }
        }, work: (long)count * size * 4);
        return _inputGradient;
    }
}
