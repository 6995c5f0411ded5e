using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// Batch normalisation over the channels of a row-major [M, C] batch (Ioffe and Szegedy,
/// arXiv:1502.03167, Algorithm 1; M = N * H * W rows for a map):
/// <code>
///   forward   mean = sum_r x / M,  var = sum_r (x - mean)^2 / M,  h = (x - mean) / sqrt(var + eps),  y = gamma h + beta
///   backward  d gamma = sum_r dy h,  d beta = sum_r dy,  dx = gamma / sqrt(var + eps) (dy - mean(dy) - h mean(dy h))
/// </code>
/// Every per-channel sum runs over the rows in order from row 0, one vector lane per channel, so the
/// 8-channel vector path equals the scalar loops (the reference) bit for bit. Threads take blocks of
/// channels: the arithmetic of a channel does not depend on the block or the thread count.
/// </summary>
public static class BatchNormalization
{
    /// <summary>
    /// Training forward of x [rows, channels]: batch mean and biased variance, <paramref name="inverseStd"/>
    /// = 1 / sqrt(var + eps), h = <paramref name="normalized"/>, y; and the running estimates move towards
    /// the batch's: running = (1 - momentum) running + momentum batch (with the unbiased variance).
    /// </summary>
    public static void ForwardTraining(float[] x, int rows, int channels, float[] gamma, float[] beta, float epsilon, float momentum,
        float[] runningMean, float[] runningVariance, float[] inverseStd, float[] normalized, float[] y, int threads) =>
        Forward(x, rows, channels, gamma, beta, epsilon, momentum, runningMean, runningVariance, inverseStd, normalized, y, threads, IsaSelection.Current);

    /// <summary>Inference forward of x [rows, channels] with the running estimates: y = gamma (x - mean) / sqrt(var + eps) + beta.</summary>
    public static void ForwardInference(float[] x, int rows, int channels, float[] gamma, float[] beta, float epsilon,
        float[] runningMean, float[] runningVariance, float[] y, int threads) =>
        Forward(x, rows, channels, gamma, beta, epsilon, 0f, runningMean, runningVariance, new float[channels], null, y, threads, IsaSelection.Current);

    /// <summary>
    /// The forward on an explicit ISA path: training when <paramref name="normalized"/> is given (h is kept
    /// for the backward), else inference with the running estimates.
    /// </summary>
    public static void Forward(float[] x, int rows, int channels, float[] gamma, float[] beta, float epsilon, float momentum,
        float[] runningMean, float[] runningVariance, float[] inverseStd, float[]? normalized, float[] y, int threads, Isa isa)
    {
        CheckLengths(rows, channels, x, y, normalized);
        bool training = normalized is not null, vector = isa != Isa.Scalar;
        var mean = new float[channels];
        var sum = new float[channels];
        var squares = new float[channels];
        // The statistics in blocks of channels, one per thread (each channel's sums run over the rows in
        // row order, as on one thread); the normalisation, elementwise, over rows. Normalising in the channel
        // blocks as well cost more on two threads than on one (60 against 100-220 ms an epoch for bold-mlp's
        // batch norms): each thread then wrote half of every row, and the next layer reads rows.
        int block = BlockChannels(channels, threads);
        long work = (long)rows * channels;
        Threading.For((channels + block - 1) / block, threads, (first, end) =>
        {
            for (int b = first; b < end; b++) Statistics(b * block, Math.Min(block, channels - b * block));
        }, work: work);
        Threading.For(rows, threads, (first, end) =>
        {
            for (int r = first; r < end; r++)
                Normalize(x.AsSpan(r * channels, channels), mean, inverseStd, gamma, beta,
                    normalized is null ? Span<float>.Empty : normalized.AsSpan(r * channels, channels), y.AsSpan(r * channels, channels), vector);
        }, work: work);

        void Statistics(int c0, int width)
        {
            if (training)
            {
                for (int r = 0; r < rows; r++) AddTo(sum.AsSpan(c0, width), x.AsSpan(r * channels + c0, width), vector);
                for (int c = c0; c < c0 + width; c++) mean[c] = sum[c] / rows;
                for (int r = 0; r < rows; r++) AddSquaredDifference(squares.AsSpan(c0, width), x.AsSpan(r * channels + c0, width), mean.AsSpan(c0, width), vector);
                for (int c = c0; c < c0 + width; c++)
                {
                    float variance = squares[c] / rows;
                    inverseStd[c] = 1f / MathF.Sqrt(variance + epsilon);
                    float unbiased = rows > 1 ? squares[c] / (rows - 1) : variance;
                    runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean[c];
                    runningVariance[c] = (1 - momentum) * runningVariance[c] + momentum * unbiased;
                }
            }
            else
            {
                for (int c = c0; c < c0 + width; c++)
                {
                    mean[c] = runningMean[c];
                    inverseStd[c] = 1f / MathF.Sqrt(runningVariance[c] + epsilon);
                }
            }
        }
    }

    /// <summary>
    /// The inference forward row by row on the calling thread, with 1 / sqrt(var + eps) precomputed:
    /// y[r, c] = gamma[c] ((x[r, c] - mean[c]) inverseStd[c]) + beta[c] (the folded model's unfused batch norm).
    /// </summary>
    public static void Normalize(ReadOnlySpan<float> x, int rows, int channels, ReadOnlySpan<float> mean, ReadOnlySpan<float> inverseStd,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y) =>
        Normalize(x, rows, channels, mean, inverseStd, gamma, beta, y, IsaSelection.Current);

    /// <summary><see cref="Normalize(ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> on an explicit ISA path.</summary>
    public static void Normalize(ReadOnlySpan<float> x, int rows, int channels, ReadOnlySpan<float> mean, ReadOnlySpan<float> inverseStd,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Isa isa)
    {
        if (x.Length < (long)rows * channels || y.Length < (long)rows * channels) throw new ArgumentException($"batch-norm buffers shorter than {rows}x{channels}");
        for (int r = 0; r < rows; r++)
            Normalize(x.Slice(r * channels, channels), mean, inverseStd, gamma, beta, Span<float>.Empty, y.Slice(r * channels, channels), isa != Isa.Scalar);
    }

    /// <summary>
    /// Backward for dy [rows, channels] with the forward's h and inverseStd: <paramref name="gammaGradient"/>
    /// = sum dy h and <paramref name="betaGradient"/> = sum dy (overwritten), and, when <paramref name="inputGradient"/>
    /// is given, dx = inverseStd gamma (dy - mean(dy) - h mean(dy h)).
    /// </summary>
    public static void Backward(float[] outputGradient, float[] normalized, float[] inverseStd, int rows, int channels, float[] gamma,
        float[] gammaGradient, float[] betaGradient, float[]? inputGradient, int threads) =>
        Backward(outputGradient, normalized, inverseStd, rows, channels, gamma, gammaGradient, betaGradient, inputGradient, threads, IsaSelection.Current);

    /// <summary>The backward on an explicit ISA path.</summary>
    public static void Backward(float[] outputGradient, float[] normalized, float[] inverseStd, int rows, int channels, float[] gamma,
        float[] gammaGradient, float[] betaGradient, float[]? inputGradient, int threads, Isa isa)
    {
        CheckLengths(rows, channels, outputGradient, normalized, inputGradient);
        bool vector = isa != Isa.Scalar;
        Array.Clear(gammaGradient, 0, channels);
        Array.Clear(betaGradient, 0, channels);
        var meanDy = new float[channels];
        var meanDyH = new float[channels];
        var factor = new float[channels];
        // The sums in blocks of channels (each over the rows in row order), the input gradient over rows (see Forward).
        int block = BlockChannels(channels, threads);
        long work = (long)rows * channels;
        Threading.For((channels + block - 1) / block, threads, (first, end) =>
        {
            for (int b = first; b < end; b++) Sums(b * block, Math.Min(block, channels - b * block));
        }, work: work);
        if (inputGradient is null) return;
        Threading.For(rows, threads, (first, end) =>
        {
            for (int r = first; r < end; r++)
                InputGradientRow(outputGradient.AsSpan(r * channels, channels), normalized.AsSpan(r * channels, channels),
                    factor, meanDy, meanDyH, inputGradient.AsSpan(r * channels, channels), vector);
        }, work: work);

        void Sums(int c0, int width)
        {
            for (int r = 0; r < rows; r++)
            {
                AddTo(betaGradient.AsSpan(c0, width), outputGradient.AsSpan(r * channels + c0, width), vector);
                AddProduct(gammaGradient.AsSpan(c0, width), outputGradient.AsSpan(r * channels + c0, width), normalized.AsSpan(r * channels + c0, width), vector);
            }
            for (int c = c0; c < c0 + width; c++)
            {
                meanDy[c] = betaGradient[c] / rows;
                meanDyH[c] = gammaGradient[c] / rows;
                factor[c] = gamma[c] * inverseStd[c];
            }
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

    private static void CheckLengths(int rows, int channels, float[] first, float[]? second, float[]? third)
    {
        long length = (long)rows * channels;
        if (first.Length < length || (second is not null && second.Length < length) || (third is not null && third.Length < length))
            throw new ArgumentException($"batch-norm buffers shorter than {rows}x{channels}");
    }

    // The row kernels below index with refs and LoadUnsafe: a Vector256.Create(span.Slice(c, 8))
    // per operand costs a bounds check and a span each, about 14 cycles per 8 channels, against 2-3
    // here. Lengths are checked once on entry; the arithmetic (and so every bit) is the scalar tail's.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddTo(Span<float> sum, ReadOnlySpan<float> row, bool vector)
    {
        int n = row.Length;
        if (sum.Length < n) throw new ArgumentException("sum shorter than the row");
        ref float s = ref MemoryMarshal.GetReference(sum);
        ref float r = ref MemoryMarshal.GetReference(row);
        int c = 0;
        for (; vector && c + 8 <= n; c += 8)
            (Vector256.LoadUnsafe(ref s, (nuint)c) + Vector256.LoadUnsafe(ref r, (nuint)c)).StoreUnsafe(ref s, (nuint)c);
        for (; c < n; c++) sum[c] += row[c];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddProduct(Span<float> sum, ReadOnlySpan<float> a, ReadOnlySpan<float> b, bool vector)
    {
        int n = a.Length;
        if (sum.Length < n || b.Length < n) throw new ArgumentException("operands shorter than the row");
        ref float s = ref MemoryMarshal.GetReference(sum);
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        int c = 0;
        for (; vector && c + 8 <= n; c += 8)
            (Vector256.LoadUnsafe(ref s, (nuint)c) + Vector256.LoadUnsafe(ref ra, (nuint)c) * Vector256.LoadUnsafe(ref rb, (nuint)c)).StoreUnsafe(ref s, (nuint)c);
        for (; c < n; c++) sum[c] += a[c] * b[c];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddSquaredDifference(Span<float> sum, ReadOnlySpan<float> row, ReadOnlySpan<float> mean, bool vector)
    {
        int n = row.Length;
        if (sum.Length < n || mean.Length < n) throw new ArgumentException("operands shorter than the row");
        ref float s = ref MemoryMarshal.GetReference(sum);
        ref float r = ref MemoryMarshal.GetReference(row);
        ref float m = ref MemoryMarshal.GetReference(mean);
        int c = 0;
        for (; vector && c + 8 <= n; c += 8)
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

    /// <summary>h = (x - mean) inverseStd (kept when <paramref name="normalized"/> is not empty), y = gamma h + beta, one row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Normalize(ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> inverseStd, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, Span<float> normalized, Span<float> y, bool vector)
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
        for (; vector && c + 8 <= n; c += 8)
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

    /// <summary>dx = factor (dy - meanDy - h meanDyH), one row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputGradientRow(ReadOnlySpan<float> dy, ReadOnlySpan<float> h, ReadOnlySpan<float> factor, ReadOnlySpan<float> meanDy,
        ReadOnlySpan<float> meanDyH, Span<float> dx, bool vector)
    {
        int n = dy.Length;
        if (h.Length < n || factor.Length < n || meanDy.Length < n || meanDyH.Length < n || dx.Length < n)
            throw new ArgumentException("operands shorter than the row");
        ref float rdy = ref MemoryMarshal.GetReference(dy), rh = ref MemoryMarshal.GetReference(h), rdx = ref MemoryMarshal.GetReference(dx);
        ref float rf = ref MemoryMarshal.GetReference(factor), rm = ref MemoryMarshal.GetReference(meanDy), rmh = ref MemoryMarshal.GetReference(meanDyH);
        int c = 0;
        for (; vector && c + 8 <= n; c += 8)
        {
            nuint at = (nuint)c;
            (Vector256.LoadUnsafe(ref rf, at) * (Vector256.LoadUnsafe(ref rdy, at) - Vector256.LoadUnsafe(ref rm, at)
                - Vector256.LoadUnsafe(ref rh, at) * Vector256.LoadUnsafe(ref rmh, at))).StoreUnsafe(ref rdx, at);
        }
        for (; c < n; c++) dx[c] = factor[c] * (dy[c] - meanDy[c] - h[c] * meanDyH[c]);
    }
}
