using System.Globalization;
using BoolNet.Inference;
using BoolNet.Inference.Serialization;
using BoolNet.Layers;

namespace BoolNet.Bench;

/// <summary>
/// Writes the folded form of a random fully discrete MLP of the catalogue's shape, for <c>boolnet bench</c>,
/// <c>predict</c> and <c>summary</c> before a trained one exists: IntegerLinear int8 784 -> 1024 on raw
/// pixels (input scale 1/255, no bias) + BN + threshold, BooleanLinear 1024 x 1024 + BN + threshold,
/// IntegerLinear int8 1024 -> 10 (int32 bias) + layer norm. Batch norm statistics come from a few
/// training-mode forwards on random pixels. The work of every folded layer is independent of the
/// values, so its speed is that of a trained model of the same shape.
/// <c>--measure</c> then times each folded layer, one thread, median over many calls (a shared machine's
/// other processes preempt few of them): microseconds per image at batch 1 and on a chunk of
/// <see cref="InferenceModel.ChunkSize"/> samples, and the images per second of one thread.
/// Usage: <c>BoolNet.Bench discrete-model --out FILE [--seed 1] [--hidden 1024] [--measure]</c>.
/// </summary>
public static class DiscreteModelFile
{
    /// <summary>Builds, folds and saves the model; returns a process exit code.</summary>
    public static int Run(string[] args)
    {
        int i = Array.IndexOf(args, "--out");
        if (i < 0 || i + 1 >= args.Length)
        {
            Console.Error.WriteLine("usage: discrete-model --out FILE [--seed 1] [--hidden 1024]");
            return 2;
        }
        int seed = Option(args, "--seed", 1), hidden = Option(args, "--hidden", 1024);
        var image = new TensorShape(28, 28, 1);
        var random = new Random(seed);
        var first = new IntegerLinear(image, hidden, random, 127, bias: false, inputScale: 1f / 255f, range: IntegerRange.Int8);
        var head = new IntegerLinear(TensorShape.Vector(hidden), 10, random, 127, bias: true, range: IntegerRange.Int8);
        for (int j = 0; j < 10; j++) head.Bias!.Value[j] = random.Next(-500, 501);
        var vector = TensorShape.Vector(hidden);
        var network = new Network([first, new BatchNorm(vector), new ThresholdActivation(vector),
            new BooleanLinear(hidden, hidden, random), new BatchNorm(vector), new ThresholdActivation(vector),
            head, new LayerNorm(TensorShape.Vector(10))]);
        var context = new LayerContext { Training = true, Threads = 2, NeedInputGradient = false };
        var pixels = new float[100 * image.Size];
        for (int batch = 0; batch < 20; batch++)
        {
            for (int p = 0; p < pixels.Length; p++) pixels[p] = random.Next(3) == 0 ? 0 : random.Next(256);
            network.Forward(Batch.FromReal(pixels, 100, image), context);
        }
        InferenceModel model = NetworkFolder.Fold(network, [new("name", "discrete-mlp (random weights)")]);
        ModelCodec.Save(args[i + 1], model);
        Console.WriteLine($"{args[i + 1]}: {string.Join(", ", model.Layers.Select(l => l.Kind))}, {new FileInfo(args[i + 1]).Length:N0} bytes");
        if (args.Contains("--measure")) Measure(model, random);
        return 0;
    }

    /// <summary>Thread CPU microseconds per image of each layer at batch 1 and on one chunk, and of the whole model.</summary>
    private static void Measure(InferenceModel model, Random random)
    {
        Console.WriteLine("median time per image           batch 1    chunk of 64");
        double[] totals = new double[2];
        int[] batches = [1, InferenceModel.ChunkSize];
        var times = new double[model.Layers.Count, 2];
        for (int b = 0; b < 2; b++)
        {
            int count = batches[b];
            var input = new Activations { Bytes = new byte[count * model.InputShape.Size] };
            random.NextBytes(input.Bytes);
            var scratch = new Scratch();
            // The layers in order, each on the previous one's output: the same buffers the model uses.
            var buffers = new Activations[model.Layers.Count + 1];
            buffers[0] = input;
            ValueKind kind = ValueKind.Bytes;
            for (int l = 0; l < model.Layers.Count; l++)
            {
                buffers[l + 1] = new Activations();
                InferenceLayer layer = model.Layers[l];
                ValueKind inputKind = kind;
                Activations source = buffers[l], destination = buffers[l + 1];
                times[l, b] = SecondsPerCall(() => layer.Forward(source, inputKind, destination, count, scratch)) / count * 1e6;
                totals[b] += times[l, b];
                kind = layer.Output;
            }
        }
        for (int l = 0; l < model.Layers.Count; l++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {l} {model.Layers[l].Kind,-15} {times[l, 0],12:F2} us {times[l, 1],11:F2} us"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  total             {totals[0],12:F2} us {totals[1],11:F2} us  = {1e6 / totals[1]:N0} images/s per thread"));
    }

    /// <summary>
    /// The median over many calls of each call's wall time: on a shared machine most calls (tens of
    /// microseconds) run between two time slices of the other processes, so the median is the idle time.
    /// </summary>
    private static double SecondsPerCall(Action call)
    {
        for (int i = 0; i < 50; i++) call(); // JIT tiers, buffers
        var samples = new List<double>();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (samples.Count < 20_000 && (samples.Count < 200 || watch.Elapsed.TotalSeconds < 1))
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            call();
            samples.Add(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        samples.Sort();
        return samples[samples.Count / 2];
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
