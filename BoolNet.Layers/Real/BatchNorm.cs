using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BoolNet.Core.Kernels;

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
        float[] y = context.Floats(rows * channels); // every element is written below
        var inverseStd = new float[channels];
        var mean = new float[channels];
        float[]? normalized = context.Training ? context.Floats(rows * channels) : null;
        var gamma = new float[channels];
        var beta = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            gamma[c] = Scale?.Value[c] ?? 1f;
            beta[c] = Shift?.Value[c] ?? 0f;
        }
        var sum = new float[channels];
        var squares = new float[channels];
        // Blocks of channels, one per thread: each pass streams the block's part of every row in row
        // order. Per channel the arithmetic is unchanged (one lane per channel, rows added in order),
        // so the result does not depend on the blocks or the threads.
        bool training = context.Training;
        int blockChannels = BlockChannels(channels, context.Threads);
        Threading.For((channels + blockChannels - 1) / blockChannels, context.Threads, (firstBlock, endBlock) =>
        {
            for (int block = firstBlock; block < endBlock; block++) ForwardBlock(block * blockChannels);
        }, work: (long)rows * channels);
        _normalized = normalized;
        _inverseStd = training ? inverseStd : null;
        return Batch.FromReal(y, input.Count, OutputShape);

        void ForwardBlock(int c0)
        {
            int width = Math.Min(blockChannels, channels - c0), c1 = c0 + width;
            if (training)
            {
                for (int r = 0; r < rows; r++) AddTo(sum.AsSpan(c0, width), x.AsSpan(r * channels + c0, width));
                for (int c = c0; c < c1; c++) mean[c] = sum[c] / rows;
                for (int r = 0; r < rows; r++) AddSquaredDifference(squares.AsSpan(c0, width), x.AsSpan(r * channels + c0, width), mean.AsSpan(c0, width));
                for (int c = c0; c < c1; c++)
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
                for (int c = c0; c < c1; c++)
                {
                    mean[c] = RunningMean[c];
                    inverseStd[c] = 1f / MathF.Sqrt(RunningVariance[c] + Epsilon);
                }
            }
            for (int r = 0; r < rows; r++)
                Normalize(x.AsSpan(r * channels + c0, width), mean.AsSpan(c0, width), inverseStd.AsSpan(c0, width), gamma.AsSpan(c0, width), beta.AsSpan(c0, width),
                    normalized is null ? Span<float>.Empty : normalized.AsSpan(r * channels + c0, width), y.AsSpan(r * channels + c0, width));
        }
    }

    /// <summary>
    /// Channels per block: the channels split evenly over the threads, in whole 8-float vectors.
    /// Narrow blocks (64 channels) were 15 % slower in training: a block's slice of consecutive rows is
    /// 4 KB apart for 1024 channels, so its lines share L1 sets and it never stayed in L1 anyway, while
    /// each short row slice paid a call and restarted the prefetcher; wide blocks stream each row.
    /// </summary>
    private static int BlockChannels(int channels, int threads)
    {
        int perThread = (channels + Threading.Resolve(threads) - 1) / Threading.Resolve(threads);
        return Math.Max(8, (perThread + 7) / 8 * 8);
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
        var meanDy = new float[channels];
        var meanDyH = new float[channels];
        var factor = new float[channels];
        float[]? dx = context.NeedInputGradient ? context.Floats(rows * channels) : null; // fully written below
        // Channel blocks, as in Forward.
        int blockChannels = BlockChannels(channels, context.Threads);
        Threading.For((channels + blockChannels - 1) / blockChannels, context.Threads, (firstBlock, endBlock) =>
        {
            for (int block = firstBlock; block < endBlock; block++) BackwardBlock(block * blockChannels);
        }, work: (long)rows * channels);
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
        return dx;

        void BackwardBlock(int c0)
        {
            int width = Math.Min(blockChannels, channels - c0), c1 = c0 + width;
            for (int r = 0; r < rows; r++)
            {
                AddTo(sumDy.AsSpan(c0, width), outputGradient.AsSpan(r * channels + c0, width));
                AddProduct(sumDyH.AsSpan(c0, width), outputGradient.AsSpan(r * channels + c0, width), h.AsSpan(r * channels + c0, width));
            }
            if (dx is null) return;
            for (int c = c0; c < c1; c++)
            {
                float gamma = Scale?.Value[c] ?? 1f;
                meanDy[c] = sumDy[c] / rows;
                meanDyH[c] = sumDyH[c] / rows;
                factor[c] = gamma * inverseStd[c];
            }
            for (int r = 0; r < rows; r++)
                InputGradientRow(outputGradient.AsSpan(r * channels + c0, width), h.AsSpan(r * channels + c0, width),
                    factor.AsSpan(c0, width), meanDy.AsSpan(c0, width), meanDyH.AsSpan(c0, width), dx.AsSpan(r * channels + c0, width));
        }
    }

    // The row kernels below index with refs and LoadUnsafe: a Vector256.Create(span.Slice(c, 8))
    // per operand costs a bounds check and a span each, about 14 cycles per 8 channels, against 2-3
    // here. Lengths are checked once on entry; the arithmetic (and so every bit) is unchanged.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddTo(Span<float> sum, ReadOnlySpan<float> row)
    {
        int n = row.Length;
        if (sum.Length < n) throw new ArgumentException("sum shorter than the row");
        ref float s = ref MemoryMarshal.GetReference(sum);
        ref float r = ref MemoryMarshal.GetReference(row);
        int c = 0;
        for (; c + 8 <= n; c += 8)
            (Vector256.LoadUnsafe(ref s, (nuint)c) + Vector256.LoadUnsafe(ref r, (nuint)c)).StoreUnsafe(ref s, (nuint)c);
        for (; c < n; c++) sum[c] += row[c];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddProduct(Span<float> sum, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int n = a.Length;
        if (sum.Length < n || b.Length < n) throw new ArgumentException("operands shorter than the row");
        ref float s = ref MemoryMarshal.GetReference(sum);
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        int c = 0;
        for (; c + 8 <= n; c += 8)
            (Vector256.LoadUnsafe(ref s, (nuint)c) + Vector256.LoadUnsafe(ref ra, (nuint)c) * Vector256.LoadUnsafe(ref rb, (nuint)c)).StoreUnsafe(ref s, (nuint)c);
        for (; c < n; c++) sum[c] += a[c] * b[c];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddSquaredDifference(Span<float> sum, ReadOnlySpan<float> row, ReadOnlySpan<float> mean)
    {
        int n = row.Length;
        if (sum.Length < n || mean.Length < n) throw new ArgumentException("operands shorter than the row");
        ref float s = ref MemoryMarshal.GetReference(sum);
        ref float r = ref MemoryMarshal.GetReference(row);
        ref float m = ref MemoryMarshal.GetReference(mean);
        int c = 0;
        for (; c + 8 <= n; c += 8)
        {
            Vector256<float> d = Vector256.LoadUnsafe(ref r, (nuint)c) - Vector256.LoadUnsafe(ref m, (nuint)c);
            (Vector256.LoadUnsafe(ref s, (nuint)c) + d * d).StoreUnsafe(ref s, (nuint)c);
        }
        for (; c < n; c++)
        {
            float d = row[c] - mean[c];
            sum[c] += d * d;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Normalize(ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> inverseStd, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, Span<float> normalized, Span<float> y)
    {
        int n = x.Length;
        if (mean.Length < n || inverseStd.Length < n || gamma.Length < n || beta.Length < n || y.Length < n || (!normalized.IsEmpty && normalized.Length < n))
            throw new ArgumentException("operands shorter than the row");
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float rm = ref MemoryMarshal.GetReference(mean), ri = ref MemoryMarshal.GetReference(inverseStd);
        ref float rg = ref MemoryMarshal.GetReference(gamma), rb = ref MemoryMarshal.GetReference(beta);
        ref float ry = ref MemoryMarshal.GetReference(y);
        ref float rn = ref MemoryMarshal.GetReference(normalized);
        bool keep = !normalized.IsEmpty;
        int c = 0;
        for (; c + 8 <= n; c += 8)
        {
            nuint at = (nuint)c;
            Vector256<float> h = (Vector256.LoadUnsafe(ref rx, at) - Vector256.LoadUnsafe(ref rm, at)) * Vector256.LoadUnsafe(ref ri, at);
            if (keep) h.StoreUnsafe(ref rn, at);
            (Vector256.LoadUnsafe(ref rg, at) * h + Vector256.LoadUnsafe(ref rb, at)).StoreUnsafe(ref ry, at);
        }
        for (; c < n; c++)
        {
            float h = (x[c] - mean[c]) * inverseStd[c];
            if (keep) normalized[c] = h;
            y[c] = gamma[c] * h + beta[c];
        }
    }

    /// <summary>dx = factor * (dy - meanDy - h * meanDyH), one row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputGradientRow(ReadOnlySpan<float> dy, ReadOnlySpan<float> h, ReadOnlySpan<float> factor, ReadOnlySpan<float> meanDy,
        ReadOnlySpan<float> meanDyH, Span<float> dx)
    {
        int n = dy.Length;
        if (h.Length < n || factor.Length < n || meanDy.Length < n || meanDyH.Length < n || dx.Length < n)
            throw new ArgumentException("operands shorter than the row");
        ref float rdy = ref MemoryMarshal.GetReference(dy), rh = ref MemoryMarshal.GetReference(h), rdx = ref MemoryMarshal.GetReference(dx);
        ref float rf = ref MemoryMarshal.GetReference(factor), rm = ref MemoryMarshal.GetReference(meanDy), rmh = ref MemoryMarshal.GetReference(meanDyH);
        int c = 0;
        for (; c + 8 <= n; c += 8)
        {
            nuint at = (nuint)c;
            (Vector256.LoadUnsafe(ref rf, at) * (Vector256.LoadUnsafe(ref rdy, at) - Vector256.LoadUnsafe(ref rm, at)
                - Vector256.LoadUnsafe(ref rh, at) * Vector256.LoadUnsafe(ref rmh, at))).StoreUnsafe(ref rdx, at);
        }
        for (; c < n; c++) dx[c] = factor[c] * (dy[c] - meanDy[c] - h[c] * meanDyH[c]);
    }
}
