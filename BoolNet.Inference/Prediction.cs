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
    /// <summary>Runs both measurements on random images (content does not change the work of a Boolean layer).</summary>
    public static BenchResult Run(InferenceModel model, int batch, int threads, double seconds = 2, int seed = 1)
    {
        int size = model.InputShape.Size, classes = model.ClassCount;
        threads = Threading.Resolve(threads);
        var random = new Random(seed);
        var images = new byte[(long)Math.Max(batch, 64) * size];
        random.NextBytes(images);
        var scores = new float[(long)Math.Max(batch, 64) * classes];

        // Batch-1 latency: warm up (JIT tiers, buffers), then time each call.
        for (int i = 0; i < 2000; i++) model.Predict(images.AsSpan((i % 64) * size, size), scores.AsSpan(0, classes));
        var samples = new List<double>(200_000);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var total = Stopwatch.StartNew();
        int calls = 0;
        while (total.Elapsed.TotalSeconds < seconds / 2 || samples.Count < 200)
        {
            int index = calls++ % 64;
            long start = Stopwatch.GetTimestamp();
            model.Predict(images.AsSpan(index * size, size), scores.AsSpan(0, classes));
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            if (samples.Count >= 200_000) break;
        }
        long allocated = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / Math.Max(1, calls);
        samples.Sort();
        double median = samples[samples.Count / 2], p99 = samples[Math.Min(samples.Count - 1, (int)(samples.Count * 0.99))];

        // Batch-N throughput.
        model.Predict(images, batch, scores, threads); // warm-up
        int batches = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed.TotalSeconds < seconds / 2 || batches < 3)
        {
            model.Predict(images, batch, scores, threads);
            batches++;
        }
        double elapsed = watch.Elapsed.TotalSeconds;
        return new BenchResult(IsaSelection.Name(IsaSelection.Current), threads, batch, median, p99, samples.Count,
            (double)batches * batch / elapsed, elapsed, allocated);
    }
}
