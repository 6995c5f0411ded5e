using System.Diagnostics;
using BoolNet.Core.Execution;

namespace BoolNet.Inference;

/// <summary>One class with its score and softmax probability.</summary>
public readonly record struct RankedClass(int Index, string Name, float Score, double Probability);

/// <summary>Ranking of scores.</summary>
public static class Prediction
{
    /// <summary>The <paramref name="top"/> best classes of one sample (ties: lower index first).</summary>
    public static RankedClass[] Top(ReadOnlySpan<float> scores, IReadOnlyList<string> names, int top)
    {
        double max = double.NegativeInfinity;
        foreach (float s in scores) max = Math.Max(max, s);
        double total = 0;
        foreach (float s in scores) total += Math.Exp(s - max);
        var order = new int[scores.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        float[] copy = scores.ToArray();
        Array.Sort(order, (a, b) => copy[b] != copy[a] ? copy[b].CompareTo(copy[a]) : a.CompareTo(b));
        return order.Take(Math.Clamp(top, 1, scores.Length))
            .Select(i => new RankedClass(i, names[i], copy[i], Math.Exp(copy[i] - max) / total)).ToArray();
    }
}

/// <summary>Figures of one inference benchmark.</summary>
public sealed record BenchResult(string Isa, int Threads, int Batch, double LatencyMedianMicroseconds, double LatencyP99Microseconds,
    int LatencySamples, double ImagesPerSecond, double ThroughputSeconds, long AllocatedBytesPerInference);

/// <summary>
/// Inference timing: batch-1 latency (one image at a time on the calling thread, median and 99th
/// percentile over many calls) and batch-N throughput on the requested threads.
/// </summary>
public static class InferenceBenchmark
{
    /// <summary>Longest <c>seconds</c> a benchmark accepts: one hour.</summary>
    public const double MaximumSeconds = 3600;

    /// <summary>
    /// Runs both measurements on random images (content does not change the work of a Boolean layer), each
    /// for about <paramref name="seconds"/> / 2 (finite, positive, at most <see cref="MaximumSeconds"/>). A model
    /// so slow that a few calls exceed the time is measured on as few as one call per part, so the run ends.
    /// </summary>
    /// <exception cref="ArgumentException">Bad <paramref name="batch"/> or <paramref name="seconds"/>, or the batch
    /// needs more memory than <see cref="InferenceModel.MemoryBudgetBytes"/>.</exception>
    public static BenchResult Run(InferenceModel model, int batch, int threads, double seconds = 2, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!double.IsFinite(seconds) || seconds <= 0 || seconds > MaximumSeconds)
            throw new ArgumentException($"seconds must be a finite number above 0 and at most {MaximumSeconds}, not {seconds}");
        if (batch < 1) throw new ArgumentException($"batch must be at least 1, not {batch}");
        model.CheckMemory(batch);
        int size = model.InputShape.Size, classes = model.ClassCount;
        threads = Threading.Resolve(threads);
        var random = new Random(seed);
        var images = new byte[(long)batch * size];
        random.NextBytes(images);
        var scores = new float[(long)batch * classes];
        int distinct = Math.Min(batch, 64); // batch-1 calls cycle through these images

        // Batch-1 latency: warm up (JIT tiers, buffers), then time each call.
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 2000 && (i == 0 || warm.Elapsed.TotalSeconds < seconds / 4); i++)
            model.Predict(images.AsSpan((i % distinct) * size, size), scores.AsSpan(0, classes));
        var samples = new List<double>(200_000);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var total = Stopwatch.StartNew();
        int calls = 0;
        while (samples.Count < 200_000)
        {
            double elapsed = total.Elapsed.TotalSeconds;
            if (samples.Count > 0 && elapsed >= seconds / 2 && (samples.Count >= 200 || elapsed >= seconds)) break;
            int index = calls++ % distinct;
            long start = Stopwatch.GetTimestamp();
            model.Predict(images.AsSpan(index * size, size), scores.AsSpan(0, classes));
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }
        long allocated = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / Math.Max(1, calls);
        samples.Sort();
        double median = samples[samples.Count / 2], p99 = samples[Math.Min(samples.Count - 1, (int)(samples.Count * 0.99))];

        // Batch-N throughput.
        model.Predict(images, batch, scores, threads); // warm-up
        int batches = 0;
        var watch = Stopwatch.StartNew();
        while (batches == 0 || watch.Elapsed.TotalSeconds < seconds / 2 || (batches < 3 && watch.Elapsed.TotalSeconds < seconds))
        {
            model.Predict(images, batch, scores, threads);
            batches++;
        }
        double throughputSeconds = watch.Elapsed.TotalSeconds;
        return new BenchResult(IsaSelection.Name(IsaSelection.Current), threads, batch, median, p99, samples.Count,
            (double)batches * batch / throughputSeconds, throughputSeconds, allocated);
    }
}
