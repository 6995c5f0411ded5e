using System.CommandLine;
using BoolNet.Core.Execution;
using BoolNet.Inference;

namespace BoolNet.Commands;

/// <summary>
/// <c>predict</c>, <c>bench</c> and <c>summary</c>: the commands both binaries share, so <c>boolnet</c> and the
/// inference-only <c>boolnet-infer</c> take the same arguments and print the same output. MODEL is opened by the
/// binary's <see cref="IModelSource"/> (model files; <c>boolnet</c> also folds checkpoints).
/// </summary>
public static class InferenceCommands
{
    /// <summary>Adds the three commands to <paramref name="root"/>.</summary>
    public static void AddTo(RootCommand root, IModelSource source)
    {
        root.Subcommands.Add(Predict(source));
        root.Subcommands.Add(Bench(source));
        root.Subcommands.Add(Summary(source));
    }

    /// <summary><c>predict MODEL INPUT...</c>: top classes for IDX images or PNG/JPEG files.</summary>
    public static Command Predict(IModelSource source)
    {
        var model = new Argument<string>("model") { Description = source.Description };
        var inputs = new Argument<string[]>("input") { Description = "IDX image file(s) (raw or .gz) or image files (PNG, JPEG)", Arity = ArgumentArity.OneOrMore };
        var top = NumericOptions.Integer("--top", "Classes to show per image (1..65536; at most the model's classes are shown)", 1, 65536, 3);
        top.Aliases.Add("-k");
        var json = new Option<bool>("--json") { Description = "Print JSON (for scripts)" };
        var limit = NumericOptions.Integer("--limit", "At most N images from an IDX file (0 = all)", 0, int.MaxValue, 0);
        var labels = new Option<string?>("--labels") { Description = "IDX label file matching an IDX image file: prints the accuracy" };
        var invert = new Option<bool>("--invert") { Description = "Invert intensities (dark object on light background -> the datasets' light on dark)" };
        var threads = ThreadsOption("Threads (0 = all cores)");
        var command = new Command("predict", "Classify images with a model file") { model, inputs, top, json, limit, labels, invert, threads };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            InferenceModel loaded = source.Load(parse.GetValue(model)!);
            List<InputImage> images = PredictRunner.ReadInputs(parse.GetValue(inputs)!, loaded, ImageInput.Decode,
                parse.GetValue(limit), parse.GetValue(invert), parse.GetValue(labels));
            float[] scores = PredictRunner.Score(loaded, images, parse.GetValue(threads));
            int k = parse.GetValue(top);
            Console.Write(parse.GetValue(json)
                ? PredictRunner.FormatJson(loaded, images, scores, k) + "\n"
                : PredictRunner.FormatText(loaded, images, scores, k));
            return 0;
        }));
        return command;
    }

    /// <summary><c>bench MODEL</c>: batch-1 latency (median, p99) and batch-N throughput of inference.</summary>
    public static Command Bench(IModelSource source)
    {
        var model = new Argument<string>("model") { Description = source.Description };
        var batch = NumericOptions.Integer("--batch", "Batch size of the throughput run (1..1048576; also bounded by the model's memory)", 1, 1 << 20, 1000);
        var threads = ThreadsOption("Threads of the throughput run (0 = all cores); batch 1 always runs on one");
        var seconds = NumericOptions.Real("--seconds", $"Time per measurement (latency and throughput each get half), above 0 and at most {InferenceBenchmark.MaximumSeconds}", 0, false, InferenceBenchmark.MaximumSeconds, 4);
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("bench", "Inference speed: batch-1 latency and batch throughput") { model, batch, threads, seconds, json };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            string path = parse.GetValue(model)!;
            int size = parse.GetValue(batch);
            if (size < 1) throw new ArgumentException("--batch must be at least 1");
            double time = parse.GetValue(seconds);
            if (!double.IsFinite(time) || time <= 0 || time > InferenceBenchmark.MaximumSeconds)
                throw new ArgumentException($"--seconds must be a number above 0 and at most {InferenceBenchmark.MaximumSeconds}, not {time}");
            InferenceModel loaded = source.Load(path);
            try { loaded.CheckMemory(size); }
            catch (ArgumentException e) { throw new ArgumentException($"{path}: {e.Message} than --batch {size}", e); }
            BenchResult result = InferenceBenchmark.Run(loaded, size, Threading.Resolve(parse.GetValue(threads)), time);
            Console.Write(parse.GetValue(json) ? PredictRunner.FormatJson(result, path) + "\n" : PredictRunner.FormatText(result));
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// <c>summary MODEL [--json]</c>: per-layer shapes, stored values by storage type, memory and MACs, as text
    /// (80 columns) or one JSON object. MODEL is opened by <see cref="IModelSource.LoadForSummary"/>, so
    /// <c>boolnet</c> also describes a catalogue model before training.
    /// </summary>
    public static Command Summary(IModelSource source)
    {
        var model = new Argument<string>("model") { Description = source.SummaryDescription };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: per layer and in total, parameters_by_type (bit, int8, int16, int32, float32), bytes, MACs" };
        var command = new Command("summary", "Per-layer shapes, parameters by storage type, memory and MACs of a model") { model, json };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            string path = parse.GetValue(model)!;
            InferenceModel loaded = source.LoadForSummary(path);
            Console.Write(parse.GetValue(json) ? SummaryReport.FormatJson(loaded, path) + "\n" : SummaryReport.Format(loaded, path));
            return 0;
        }));
        return command;
    }

    /// <summary>The <c>--threads</c> option as every command spells it (0 = all cores; results never depend on it).</summary>
    public static Option<int> ThreadsOption(string description) => NumericOptions.Threads($"{description}, at most {NumericOptions.MaximumThreads}");
}
