using System.CommandLine;
using BoolNet.Commands;
using BoolNet.Layers;
using BoolNet.Training;
using BoolNet.Training.Data;

namespace BoolNet.Cli;

/// <summary><c>boolnet evaluate</c>: test accuracy of a training checkpoint.</summary>
internal static partial class TrainingCommands
{
    static partial void AddEvaluate(RootCommand root)
    {
        // RUN positionally, like every other command's path; --checkpoint/-c kept for existing scripts.
        var run = new Argument<string?>("run") { Description = "Run folder or checkpoint.bin written by train", Arity = ArgumentArity.ZeroOrOne };
        var checkpoint = new Option<string?>("--checkpoint", "-c") { Description = "The same as RUN (older spelling)" };
        var dataset = new Option<string?>("--dataset") { Description = "Dataset name (default: the one the checkpoint was trained on)" };
        var data = new Option<string?>("--data") { Description = "Folder holding the dataset files" };
        var threads = NumericOptions.OptionalThreads($"Threads, 1..{NumericOptions.MaximumThreads} (default or 0: all cores)");
        var limit = NumericOptions.Integer("--limit", "Evaluate only the first N test images (0 = all)", 0, int.MaxValue);
        var command = new Command("evaluate", "Test accuracy of a trained checkpoint") { run, checkpoint, dataset, data, threads, limit };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string path = parse.GetValue(run) ?? parse.GetValue(checkpoint)
                ?? throw new ArgumentException("evaluate needs RUN: a run folder or checkpoint.bin written by train");
            if (Directory.Exists(path)) path = Path.Combine(path, TrainRunner.CheckpointFile);
            byte[] bytes = Checkpoint.ReadBytes(path); // read and checked once
            CheckpointHeader header = Checkpoint.ReadHeader(bytes, path);
            Dataset set = DatasetLoader.Load(parse.GetValue(dataset) ?? header.Dataset, parse.GetValue(data));
            Network network = Checkpoint.BuildNetwork(path, header, set.Test.Shape, set.ClassCount);
            Checkpoint.LoadNetwork(bytes, path, network);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            (double loss, double accuracy) = Trainer.Evaluate(network, set.Test, parse.GetValue(limit) ?? 0, 1000, parse.GetValue(threads) ?? 0);
            int count = parse.GetValue(limit) is int n && n > 0 ? Math.Min(n, set.Test.Count) : set.Test.Count;
            Console.WriteLine($"{header.Model} after {header.History.Count} epoch{(header.History.Count == 1 ? "" : "s")}, {set.Name} test: {count:N0} images");
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"accuracy {TrainReport.Percent2(accuracy)}, loss {loss:F4} ({clock.Elapsed.TotalSeconds:F2} s)"));
            return 0;
        }));
        root.Subcommands.Add(command);
    }
}
