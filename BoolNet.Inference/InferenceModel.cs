using BoolNet.Layers;
using BoolNet.Core.Execution;

namespace BoolNet.Inference;

/// <summary>
/// A folded, inference-only network: raw 8-bit images in, real scores (logits) out. Each call
/// runs the layers over reusable per-thread buffers, so after the first call of a given batch
/// size nothing is allocated; a batch of one runs on the calling thread (no hand-off cost), larger
/// batches are cut into chunks of <see cref="ChunkSize"/> samples spread over threads (each
/// sample's arithmetic is the same whatever the split, so results never depend on threads).
/// </summary>
public sealed class InferenceModel
{
    private readonly Workspace[] _workspaces;
    private readonly InferenceLayer[] _layers; // an array: foreach over the interface would allocate an enumerator per call

    /// <summary>Creates a model, checking that the layers chain from bytes to real scores.</summary>
    public InferenceModel(IReadOnlyList<InferenceLayer> layers, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        if (layers.Count == 0) throw new ArgumentException("a model needs at least one layer");
        ValueKind kind = ValueKind.Bytes;
        for (int i = 0; i < layers.Count; i++)
        {
            InferenceLayer layer = layers[i];
            if (!layer.Accepts(kind)) throw new ArgumentException($"layer {i} ({layer.Kind}) does not accept {kind} input");
            if (i > 0)
            {
                TensorShape previous = layers[i - 1].OutputShape;
                bool same = layer.InputShape == previous || (kind == ValueKind.Real && layer.InputShape.Size == previous.Size);
                if (!same) throw new ArgumentException($"layer {i} ({layer.Kind}) expects {layer.InputShape} but layer {i - 1} ({layers[i - 1].Kind}) gives {previous}");
            }
            kind = layer.Output;
        }
        if (kind != ValueKind.Real || !layers[^1].OutputShape.IsVector) throw new ArgumentException("the last layer must give a flat vector of real scores");
        _layers = layers.ToArray();
        Layers = _layers;
        Metadata = metadata?.ToList() ?? [];
        _workspaces = new Workspace[Environment.ProcessorCount + 1];
        long largest = Values(InputShape);
        foreach (InferenceLayer layer in _layers) largest = Math.Max(largest, Math.Max(Values(layer.InputShape), Values(layer.OutputShape)));
        LargestActivationBytes = 4 * largest;
    }

    /// <summary>
    /// The memory a prediction may plan for, 1 GiB: a batch whose <see cref="EstimateBytes"/> is larger is
    /// refused before anything is allocated (a valid 160-byte model can declare 2^24 values per sample;
    /// a 264-byte max-pool over 4096x4096 made predict of 10 images take 2.6 GB under a 4 GiB budget).
    /// </summary>
    public const long MemoryBudgetBytes = 1L << 30;

    /// <summary>Bytes of one sample's largest activation, counted as 4-byte reals (an upper bound for bits and bytes).</summary>
    public long LargestActivationBytes { get; }

    /// <summary>
    /// Memory, in bytes, that predicting <paramref name="batch"/> samples plans for: the caller's input bytes and
    /// scores for the whole batch, plus one chunk of activations (two buffers, and the copies a wrapped training
    /// layer makes of its input and output). Each further thread adds another chunk's activations.
    /// </summary>
    public long EstimateBytes(long batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        long perSample = Values(InputShape) + 4L * ClassCount;
        long chunk = Math.Min(batch, ChunkSize) * 4 * LargestActivationBytes;
        return batch > (long.MaxValue - chunk) / perSample ? long.MaxValue : batch * perSample + chunk;
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> when a batch of <paramref name="batch"/> samples would need more
    /// than <see cref="MemoryBudgetBytes"/> (<see cref="EstimateBytes"/>); call it before allocating the batch.
    /// </summary>
    public void CheckMemory(long batch)
    {
        long bytes = EstimateBytes(batch);
        bool fitsArrays = batch <= Array.MaxLength / Values(InputShape) && batch <= Array.MaxLength / ClassCount;
        if (bytes <= MemoryBudgetBytes && fitsArrays) return;
        if (bytes <= MemoryBudgetBytes)
            throw new ArgumentException($"a batch of {batch:N0} inputs of {InputShape} ({ClassCount:N0} scores each) is more than one array can hold; use a smaller batch");
        TensorShape largest = InputShape;
        foreach (InferenceLayer layer in _layers)
            foreach (TensorShape shape in (ReadOnlySpan<TensorShape>)[layer.InputShape, layer.OutputShape])
                if (Values(shape) > Values(largest)) largest = shape;
        throw new ArgumentException($"a batch of {batch:N0} needs about {Bytes(bytes)} ({(largest.IsVector ? "" : $"{largest} = ")}{Values(largest):N0} values per sample at the largest layer), " +
            $"more than the {Bytes(MemoryBudgetBytes)} memory budget of a prediction; use a smaller batch");
    }

    private static long Values(TensorShape shape) => (long)shape.Height * shape.Width * shape.Channels;

    private static string Bytes(long bytes) => bytes == long.MaxValue ? "more than 8 EiB"
        : bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F1} GiB" : $"{bytes / (double)(1L << 20):F1} MiB";

    /// <summary>Samples per chunk when a batch is split over threads.</summary>
    public const int ChunkSize = 64;

    /// <summary>The layers, input first.</summary>
    public IReadOnlyList<InferenceLayer> Layers { get; }

    /// <summary>Metadata carried by the model file.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Metadata { get; }

    /// <summary>Shape of one input image (bytes).</summary>
    public TensorShape InputShape => Layers[0].InputShape;

    /// <summary>Number of scores per sample.</summary>
    public int ClassCount => Layers[^1].OutputShape.Channels;

    /// <summary>A metadata value or null.</summary>
    public string? Get(string key) => Metadata.FirstOrDefault(p => p.Key == key).Value;

    /// <summary>Class names from the metadata ("classes", comma separated), or the indices.</summary>
    public IReadOnlyList<string> ClassNames
    {
        get
        {
            string[]? names = Get("classes")?.Split(',');
            return names is not null && names.Length == ClassCount ? names : Enumerable.Range(0, ClassCount).Select(i => i.ToString()).ToArray();
        }
    }

    /// <summary>
    /// Scores for <paramref name="count"/> images: <paramref name="pixels"/> is [count * H * W * C]
    /// bytes, <paramref name="scores"/> receives [count * classes], on <paramref name="threads"/> threads (0: every processor).
    /// </summary>
    public void Predict(ReadOnlySpan<byte> pixels, int count, Span<float> scores, int threads)
    {
        int size = InputShape.Size, classes = ClassCount;
        if (pixels.Length < (long)count * size) throw new ArgumentException($"{pixels.Length} bytes do not hold {count} images of {InputShape}");
        if (scores.Length < (long)count * classes) throw new ArgumentException($"{scores.Length} scores cannot hold {count} x {classes}");
        CheckMemory(count);
        threads = Threading.Resolve(threads);
        int chunks = (count + ChunkSize - 1) / ChunkSize;
        if (threads == 1 || chunks == 1)
        {
            Workspace workspace = WorkspaceFor(0);
            for (int c = 0; c < chunks; c++)
            {
                int start = c * ChunkSize, n = Math.Min(ChunkSize, count - start);
                RunChunk(workspace, pixels.Slice(start * size, n * size), n, scores.Slice(start * classes, n * classes));
            }
            return;
        }
        PredictParallel(pixels, count, scores, threads, chunks);
    }

    /// <summary>
    /// The threaded part, in its own method: the lambda's captured variables would otherwise make
    /// the compiler allocate its closure on every call of <see cref="Predict(ReadOnlySpan{byte}, int, Span{float}, int)"/>,
    /// including the batch-1 calls that never reach it.
    /// </summary>
    private unsafe void PredictParallel(ReadOnlySpan<byte> pixels, int count, Span<float> scores, int threads, int chunks)
    {
        int size = InputShape.Size, classes = ClassCount;
        fixed (byte* pixelPointer = pixels)
        fixed (float* scorePointer = scores)
        {
            byte* input = pixelPointer;
            float* output = scorePointer;
            int workers = Math.Min(threads, Math.Min(chunks, _workspaces.Length));
            int next = -1;
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
            {
                Workspace workspace = WorkspaceFor(worker);
                // Chunks claimed one at a time: a worker the OS preempts (a shared core) leaves its share to
                // the others rather than holding up the batch, as a fixed c % workers split did. A chunk's
                // scores do not depend on which worker computes it.
                for (int c = Interlocked.Increment(ref next); c < chunks; c = Interlocked.Increment(ref next))
                {
                    int start = c * ChunkSize, n = Math.Min(ChunkSize, count - start);
                    RunChunk(workspace, new ReadOnlySpan<byte>(input + (long)start * size, n * size), n,
                        new Span<float>(output + (long)start * classes, n * classes));
                }
            });
        }
    }

    /// <summary>Scores for one image (allocation-free after the first call).</summary>
    public void Predict(ReadOnlySpan<byte> image, Span<float> scores) => Predict(image, 1, scores, threads: 1);

    /// <summary>Index of the largest score of each sample (first on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> scores)
    {
        int best = 0;
        for (int j = 1; j < scores.Length; j++) if (scores[j] > scores[best]) best = j;
        return best;
    }

    private Workspace WorkspaceFor(int index) => _workspaces[index] ??= new Workspace();

    private void RunChunk(Workspace workspace, ReadOnlySpan<byte> pixels, int count, Span<float> scores)
    {
        Activations current = workspace.A, next = workspace.B;
        if (current.Bytes.Length < pixels.Length) current.Bytes = new byte[Math.Max(pixels.Length, InputShape.Size * ChunkSize)];
        pixels.CopyTo(current.Bytes);
        ValueKind kind = ValueKind.Bytes;
        foreach (InferenceLayer layer in _layers)
        {
            layer.Forward(current, kind, next, count, workspace.Scratch);
            kind = layer.Output;
            (current, next) = (next, current);
        }
        current.Real.AsSpan(0, scores.Length).CopyTo(scores);
    }

    private sealed class Workspace
    {
        public readonly Activations A = new(), B = new();
        public readonly Scratch Scratch = new();
    }
}
