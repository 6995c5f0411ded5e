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
    }

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
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
            {
                Workspace workspace = WorkspaceFor(worker);
                // Static interleaved assignment: chunk c goes to worker c % workers.
                for (int c = worker; c < chunks; c += workers)
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
