using System.Diagnostics;
using System.Globalization;
using BoolNet.Inference;
using BoolNet.Inference.Onnx;
using BoolNet.Inference.Serialization;
using BoolNet.Training.Data;
using Microsoft.ML.OnnxRuntime;

namespace BoolNet.Bench.Peers;

/// <summary>
/// ONNX Runtime as an in-process peer (issue 18): the same folded model through BoolNet and, exported
/// by <see cref="OnnxExporter"/>, through ONNX Runtime's CPU provider, plus a float32 MLP of the same
/// input and classes (hidden 1024-1024, ReLU, random weights) built as ONNX here, also through ONNX
/// Runtime. Batch-1 latency (median of many calls) and batch-1000 throughput, every engine on
/// <c>--threads</c> threads (ONNX Runtime's intra-op threads), in alternating rounds; ratios to
/// BoolNet per round. First, on the dataset's test images, the labels both runtimes give are counted.
/// Usage: <c>BoolNet.Bench onnx MODEL.bnm [--threads 2] [--rounds 3] [--dataset fashion-mnist] [--no-check]</c>.
/// </summary>
public static class OnnxPeerBench
{
    private const int LatencyCalls = 2000, ThroughputBatch = 1000, ThroughputRepeats = 5;

    /// <summary>Runs the comparison; returns a process exit code.</summary>
    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            Console.Error.WriteLine("usage: onnx MODEL.bnm [--threads 2] [--rounds 3] [--dataset fashion-mnist] [--no-check]");
            return 2;
        }
        int threads = Option(args, "--threads", 2), rounds = Option(args, "--rounds", 3);
        InferenceModel model = ModelCodec.Load(args[0]);
        byte[] exported = OnnxExporter.Export(model);
        int[] hidden = [1024, 1024];
        byte[] floatModel = FloatMlp.Build(model.InputShape, hidden, model.ClassCount, seed: 1);
        Console.WriteLine($"model {args[0]}: {new FileInfo(args[0]).Length:N0} bytes");
        Console.WriteLine($"exported ONNX graph: {exported.Length:N0} bytes");
        Console.WriteLine($"float32 MLP {model.InputShape.Size}-{string.Join('-', hidden)}-{model.ClassCount} (ONNX): {floatModel.Length:N0} bytes");
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        using var boolean = new InferenceSession(exported, options);
        using var dense = new InferenceSession(floatModel, options);
        Dataset? data = args.Contains("--no-check") ? null : DatasetLoader.Load(OptionText(args, "--dataset"));
        byte[] pixels = data?.Test.Pixels ?? RandomPixels(ThroughputBatch, model.InputShape.Size);
        if (data is not null) Agreement(model, boolean, data.Test, threads);

        var engines = new (string Name, Engine Run)[]
        {
            ("BoolNet (.bnm)", (input, count, scores) => model.Predict(input, count, scores, threads)),
            ("ONNX Runtime, exported graph", Ort(boolean, model)),
            ("ONNX Runtime, float32 MLP", Ort(dense, model)),
        };
        Console.WriteLine($"\n{threads} threads; batch-1 median of {LatencyCalls} calls, batch {ThroughputBatch} x {ThroughputRepeats}");
        Console.WriteLine($"{"round",-5} {"engine",-30} {"batch-1 us",10} {"x BoolNet",9} {"img/s",9} {"/ BoolNet",9}");
        var latency = new double[rounds, engines.Length];
        var throughput = new double[rounds, engines.Length];
        for (int r = 0; r < rounds; r++)
            for (int e = 0; e < engines.Length; e++)
            {
                (latency[r, e], throughput[r, e]) = Measure(engines[e].Run, pixels, model);
                string ratios = e == 0 ? $"{"",9} {throughput[r, e],9:N0} {"",9}"
                    : $"{latency[r, e] / latency[r, 0],9:F2} {throughput[r, e],9:N0} {throughput[r, e] / throughput[r, 0],9:F3}";
                Console.WriteLine($"{r + 1,-5} {engines[e].Name,-30} {latency[r, e],10:F1} {ratios}");
            }
        Console.WriteLine("\nmin-max over rounds: batch-1 latency engine / BoolNet;");
        Console.WriteLine($"batch-{ThroughputBatch} throughput BoolNet / engine");
        for (int e = 1; e < engines.Length; e++)
        {
            var latencyRatios = Enumerable.Range(0, rounds).Select(r => latency[r, e] / latency[r, 0]).ToArray();
            var speedRatios = Enumerable.Range(0, rounds).Select(r => throughput[r, 0] / throughput[r, e]).ToArray();
            Console.WriteLine($"  {engines[e].Name,-30} batch 1: {latencyRatios.Min():F2}-{latencyRatios.Max():F2}x; " +
                $"batch {ThroughputBatch}: {speedRatios.Min():F2}-{speedRatios.Max():F2}x");
        }
        return 0;
    }

    private delegate void Engine(ReadOnlySpan<byte> pixels, int count, Span<float> scores);

    /// <summary>Labels of BoolNet and of ONNX Runtime on every test image (batches of 1000), and bit-equal scores.</summary>
    private static void Agreement(InferenceModel model, InferenceSession session, LabeledImages test, int threads)
    {
        int classes = model.ClassCount, agree = 0, equalScores = 0, rightBoolNet = 0, rightOrt = 0;
        var mine = new float[ThroughputBatch * classes];
        var theirs = new float[ThroughputBatch * classes];
        Engine ort = Ort(session, model);
        for (int start = 0; start < test.Count; start += ThroughputBatch)
        {
            int count = Math.Min(ThroughputBatch, test.Count - start);
            ReadOnlySpan<byte> images = test.Pixels.AsSpan(start * test.Shape.Size, count * test.Shape.Size);
            model.Predict(images, count, mine, threads);
            ort(images, count, theirs);
            for (int s = 0; s < count; s++)
            {
                int a = InferenceModel.ArgMax(mine.AsSpan(s * classes, classes)), b = InferenceModel.ArgMax(theirs.AsSpan(s * classes, classes));
                agree += a == b ? 1 : 0;
                rightBoolNet += a == test.Labels[start + s] ? 1 : 0;
                rightOrt += b == test.Labels[start + s] ? 1 : 0;
                equalScores += mine.AsSpan(s * classes, classes).SequenceEqual(theirs.AsSpan(s * classes, classes)) ? 1 : 0;
            }
        }
        Console.WriteLine($"{test.Count:N0} test images: labels agree {agree:N0}, all scores equal {equalScores:N0}");
        Console.WriteLine($"accuracy: BoolNet {100.0 * rightBoolNet / test.Count:F2} %, ONNX Runtime {100.0 * rightOrt / test.Count:F2} %");
    }

    /// <summary>An engine running a session on NHWC pixels (transposed to NCHW when there are several channels).</summary>
    private static Engine Ort(InferenceSession session, InferenceModel model)
    {
        var shape = model.InputShape;
        var runOptions = new RunOptions();
        string[] inputNames = [OnnxExporter.InputName], outputNames = [OnnxExporter.OutputName];
        byte[] nchw = [];
        return (pixels, count, scores) =>
        {
            byte[] input = ToNchw(pixels, count, shape.Height, shape.Width, shape.Channels, ref nchw);
            using OrtValue x = OrtValue.CreateTensorValueFromMemory(input, [count, shape.Channels, shape.Height, shape.Width]);
            using var results = session.Run(runOptions, inputNames, [x], outputNames);
            results[0].GetTensorDataAsSpan<float>().CopyTo(scores);
        };
    }

    private static byte[] ToNchw(ReadOnlySpan<byte> pixels, int count, int h, int w, int c, ref byte[] buffer)
    {
        if (buffer.Length != count * h * w * c) buffer = new byte[count * h * w * c];
        if (c == 1) { pixels[..buffer.Length].CopyTo(buffer); return buffer; }
        for (int n = 0; n < count; n++)
            for (int p = 0; p < h * w; p++)
                for (int ch = 0; ch < c; ch++) buffer[(n * c + ch) * h * w + p] = pixels[(n * h * w + p) * c + ch];
        return buffer;
    }

    /// <summary>Median batch-1 latency in microseconds (over distinct images) and batch-1000 images per second.</summary>
    private static (double Microseconds, double ImagesPerSecond) Measure(Engine engine, byte[] pixels, InferenceModel model)
    {
        int size = model.InputShape.Size, images = pixels.Length / size;
        var scores = new float[ThroughputBatch * model.ClassCount];
        for (int i = 0; i < 50; i++) engine(pixels.AsSpan(i % images * size, size), 1, scores); // warm-up
        var times = new double[LatencyCalls];
        for (int i = 0; i < LatencyCalls; i++)
        {
            long start = Stopwatch.GetTimestamp();
            engine(pixels.AsSpan(i % images * size, size), 1, scores);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        Array.Sort(times);
        int batch = Math.Min(ThroughputBatch, images);
        engine(pixels.AsSpan(0, batch * size), batch, scores); // warm-up of the batch size
        long begin = Stopwatch.GetTimestamp();
        for (int r = 0; r < ThroughputRepeats; r++) engine(pixels.AsSpan(r * batch % (images - batch + 1) * size, batch * size), batch, scores);
        double seconds = Stopwatch.GetElapsedTime(begin).TotalSeconds;
        return (times[LatencyCalls / 2], ThroughputRepeats * batch / seconds);
    }

    private static byte[] RandomPixels(int count, int size)
    {
        var pixels = new byte[count * size];
        new Random(1).NextBytes(pixels);
        return pixels;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string? OptionText(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
