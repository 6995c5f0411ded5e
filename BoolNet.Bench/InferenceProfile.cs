using System.Diagnostics;
using BoolNet.Core.Execution;
using BoolNet.Inference;
using BoolNet.Inference.Serialization;

namespace BoolNet.Bench;

/// <summary>
/// <c>infer-profile MODEL.bnm [--rounds 5] [--chunk 64]</c>: where a batch's time goes. Times each layer's
/// <see cref="InferenceLayer.Forward"/> on one chunk of random images (one thread; microseconds per image),
/// then the whole <see cref="InferenceModel.Predict(ReadOnlySpan{byte}, int, Span{float}, int)"/> at batch 1
/// and batch 1000 on 1 and 2 threads, in alternating rounds; prints medians of each round's best of 7
/// repetitions of at least 2 ms (short, so the best dodges other processes' time slices; a batch of 1000
/// lasts longer, so its figures take the load's full toll: compare it with the one-chunk batch). The sum of the layers against
/// the one-thread batch is the model's own overhead; one thread against two is the thread team's share.
/// </summary>
public static class InferenceProfile
{
    /// <summary>Runs the mode; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: infer-profile MODEL.bnm [--rounds 5] [--chunk 64]");
            return 2;
        }
        int rounds = 5, chunk = InferenceModel.ChunkSize;
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--rounds") rounds = int.Parse(args[i + 1]);
            else if (args[i] == "--chunk") chunk = int.Parse(args[i + 1]);
        }
        InferenceModel model = ModelCodec.Load(args[0]);
        int size = model.InputShape.Size, classes = model.ClassCount;
        const int batch = 1000;
        var pixels = new byte[batch * size];
        new Random(1).NextBytes(pixels);
        var scores = new float[batch * classes];

        // Per-layer inputs of one chunk, produced by running the layers once.
        int layers = model.Layers.Count;
        var inputs = new Activations[layers + 1];
        var kinds = new ValueKind[layers + 1];
        inputs[0] = new Activations { Bytes = pixels[..(chunk * size)] };
        kinds[0] = ValueKind.Bytes;
        var scratch = new Scratch();
        for (int l = 0; l < layers; l++)
        {
            inputs[l + 1] = new Activations();
            model.Layers[l].Forward(inputs[l], kinds[l], inputs[l + 1], chunk, scratch);
            kinds[l + 1] = model.Layers[l].Output;
        }

        var names = new List<string>();
        for (int l = 0; l < layers; l++) names.Add($"layer {l} {model.Layers[l].Kind}");
        names.AddRange(["predict batch 1, 1 thread", $"predict batch {chunk}, 1 thread", "predict batch 1000, 1 thread",
            "predict batch 1000, 2 threads"]);
        var perImage = names.Select(_ => new List<double>()).ToList();
        var actions = new List<Action>();
        for (int l = 0; l < layers; l++)
        {
            int layer = l;
            actions.Add(() => model.Layers[layer].Forward(inputs[layer], kinds[layer], inputs[layer + 1], chunk, scratch));
        }
        actions.Add(() => model.Predict(pixels.AsSpan(0, size), 1, scores, 1));
        actions.Add(() => model.Predict(pixels, chunk, scores, 1));
        actions.Add(() => model.Predict(pixels, batch, scores, 1));
        actions.Add(() => model.Predict(pixels, batch, scores, 2));
        int[] images = [.. Enumerable.Repeat(chunk, layers), 1, chunk, batch, batch];

        var clock = new Stopwatch();
        for (int r = 0; r < rounds; r++)
            for (int s = 0; s < actions.Count; s++)
            {
                int index = r % 2 == 0 ? s : actions.Count - 1 - s;
                // The best of several ~2 ms repetitions: short enough to dodge other processes' time slices.
                double best = double.MaxValue;
                for (int repetition = 0; repetition < 7; repetition++)
                {
                    int calls = 0;
                    clock.Restart();
                    do { actions[index](); calls++; } while (clock.Elapsed.TotalSeconds < 0.002);
                    best = Math.Min(best, clock.Elapsed.TotalSeconds / calls);
                }
                perImage[index].Add(best / images[index] * 1e6);
            }

        Console.WriteLine($"# {Path.GetFileName(args[0])} on {IsaSelection.Name(IsaSelection.Current)}, chunk {chunk}, {rounds} rounds, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine($"{"part",-36} {"us/image",9} {"images/s",10}");
        double layerSum = 0;
        for (int s = 0; s < names.Count; s++)
        {
            double median = perImage[s].Order().ElementAt(perImage[s].Count / 2);
            if (s < layers) layerSum += median;
            Console.WriteLine($"{names[s],-36} {median,9:F2} {1e6 / median,10:F0}");
            if (s == layers - 1) Console.WriteLine($"{"sum of layers",-36} {layerSum,9:F2} {1e6 / layerSum,10:F0}");
        }
        return 0;
    }
}
