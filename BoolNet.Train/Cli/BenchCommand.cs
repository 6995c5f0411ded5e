using System.CommandLine;
using BoolNet.Core.Kernels;
using BoolNet.Layers.Inference;

namespace BoolNet.Train.Cli;

/// <summary><c>boolnet bench MODEL</c>: batch-1 latency (median, p99) and batch-N throughput of inference.</summary>
internal static partial class Commands
{
    static partial void AddBench(RootCommand root)
    {
        var model = new Argument<string>("model") { Description = "Model file (.bnm), training checkpoint or run folder" };
        var batch = new Option<int>("--batch") { Description = "Batch size of the throughput run", DefaultValueFactory = _ => 1000 };
        var threads = new Option<int>("--threads") { Description = "Threads of the throughput run (0 = all cores); batch 1 always runs on one", DefaultValueFactory = _ => 0 };
        var seconds = new Option<double>("--seconds") { Description = "Time per measurement (latency and throughput each get half)", DefaultValueFactory = _ => 4 };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("bench", "Inference speed: batch-1 latency and batch throughput");
        command.Arguments.Add(model);
        foreach (Option option in new Option[] { batch, threads, seconds, json }) command.Options.Add(option);
        command.SetAction(parseResult => CliErrors.Run(() =>
        {
            string path = parseResult.GetValue(model)!;
            int size = parseResult.GetValue(batch);
            if (size < 1) throw new ArgumentException("--batch must be at least 1");
            InferenceModel loaded = ModelSource.Load(path);
            BenchResult result = InferenceBenchmark.Run(loaded, size, Threading.Resolve(parseResult.GetValue(threads)), parseResult.GetValue(seconds));
            Console.Write(parseResult.GetValue(json) ? PredictRunner.FormatJson(result, path) + Environment.NewLine : PredictRunner.FormatText(result));
            return 0;
        }));
        root.Subcommands.Add(command);
    }
}
