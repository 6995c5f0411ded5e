using System.CommandLine;
using BoolNet.Commands;
using BoolNet.Training.Compare;
using BoolNet.Training.Data;
using BoolNet.Training.Optimizers.Zim;

namespace BoolNet.Cli;

/// <summary>
/// <c>boolnet compare</c>: the same architecture trained by SGD (float weights), ZIM (integer weights) and
/// BOLD (Boolean weights, flip-with-reset) over several seeds; writes comparison.csv (with each run's
/// parameter counts by kind), timing.csv, summary.txt and comparison.png (test accuracy and test loss,
/// mean +- std bands).
/// </summary>
internal static partial class TrainingCommands
{
    static partial void AddCompare(RootCommand root)
    {
        var model = new Option<string>("--model", "-m") { Description = "Architecture: cnn (the paper's small CNN) or mlp (784-128-10)", DefaultValueFactory = _ => "cnn" };
        var optimizers = new Option<string>("--optimizers") { Description = "Optimizers to compare, comma-separated: sgd (float weights), zim (integer weights), bold (Boolean weights, flip-with-reset)", DefaultValueFactory = _ => "sgd,zim,bold" };
        var seeds = new Option<string>("--seeds") { Description = "Seeds: a count N (seeds 1..N) or a list, e.g. 1,2,3", DefaultValueFactory = _ => "3" };
        var epochs = NumericOptions.Integer("--epochs", "Epochs per run (1..1000000)", 1, 1_000_000, 2);
        var batch = NumericOptions.Integer("--batch", "Batch size (1..65536)", 1, 65536, 64);
        var evaluateEvery = NumericOptions.Integer("--eval-every", "Evaluate on the test split every N batches (0: once per epoch)", 0, int.MaxValue, 0);
        var trainLimit = NumericOptions.Integer("--train-limit", "Use only the first N training images (0: all)", 0, int.MaxValue, 0);
        var testLimit = NumericOptions.Integer("--test-limit", "Use only the first N test images (0: all)", 0, int.MaxValue, 0);
        var rate = NumericOptions.Real("--lr", "SGD learning rate (no momentum), above 0 and at most 10", 0, false, 10, 0.01);
        var eta = NumericOptions.Real("--eta", "ZIM learning rate: probability that a step is taken (1 - zero-inflation), above 0 and at most 1", 0, false, 1);
        var etaMinimum = NumericOptions.Real("--eta-min", "Final eta of the cosine schedule (0..1)", 0, true, 1, 0);
        var schedule = new Option<string>("--zim-schedule") { Description = "ZIM eta schedule: constant | cosine", DefaultValueFactory = _ => "constant" };
        var smoothing = NumericOptions.Real("--smoothing", "ZIM Laplace smoothing c, above 0 and at most 1e6", 0, false, 1e6);
        var trials = new Option<string>("--trials") { Description = "ZIM trial count: global (n = factor * d over all integer weights) | per-tensor (n = numel^(1/ndim))", DefaultValueFactory = _ => "global" };
        var trialFactor = NumericOptions.Real("--trial-factor", "Global mode: n = round(factor * d), above 0 and at most 1000", 0, false, 1000, 1.0);
        var sampler = new Option<string>("--sampler") { Description = "Multinomial sampler: alias | conditional-binomial", DefaultValueFactory = _ => "alias" };
        var reference = new Option<bool>("--reference") { Description = "ZIM as in the public reference code: no zero-inflation (eta = 1), c = 1, n = d, global" };
        var boldEta = NumericOptions.Real("--bold-eta", $"Flip-with-reset eta of the bold runs, above 0 (default {Training.Models.ModelCatalog.BooleanComparisonOptimizer.LearningRate}, cosine schedule)", 0, false, 1e9);
        var initialScale = NumericOptions.Real("--init-scale", "Integer weights start as round(A * U(-1, 1)); A, 0..1e6", 0, true, 1e6, Training.Models.ModelCatalog.DefaultIntegerInitialScale);
        var threads = NumericOptions.Threads($"Threads (0: all cores, at most {NumericOptions.MaximumThreads}); results do not depend on it");
        var dataset = new Option<string>("--dataset") { Description = $"Dataset name ({string.Join(", ", DatasetLoader.Names)})", DefaultValueFactory = _ => DatasetLoader.DefaultDataset };
        var data = new Option<string?>("--data") { Description = "Folder holding the dataset files" };
        var output = new Option<string?>("--out", "-o") { Description = "Output folder (default runs/compare-<model>)" };
        var combine = new Option<string?>("--combine") { Description = "Instead of training, merge the outputs of earlier compare runs (folders, comma-separated) into --out" };
        var command = new Command("compare", "Compare SGD (float), ZIM (integer) and BOLD (Boolean weights) on the same architecture over several seeds")
        {
            model, optimizers, seeds, epochs, batch, evaluateEvery, trainLimit, testLimit, rate, eta, etaMinimum, schedule,
            smoothing, trials, trialFactor, sampler, reference, boldEta, initialScale, threads, dataset, data, output, combine,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            ZimOptions zim = parse.GetValue(reference) ? ZimOptions.Reference : new ZimOptions();
            zim = zim with
            {
                Eta = parse.GetValue(eta) ?? zim.Eta,
                Smoothing = parse.GetValue(smoothing) ?? zim.Smoothing,
                EtaMinimum = parse.GetValue(etaMinimum),
                Schedule = Parse(parse.GetValue(schedule), ZimSchedule.Constant),
                Trials = Parse(parse.GetValue(trials), ZimTrials.Global),
                TrialFactor = parse.GetValue(trialFactor),
                Sampler = Parse(parse.GetValue(sampler), MultinomialMethod.Alias),
            };
            var options = new ComparisonOptions
            {
                Model = parse.GetValue(model)!.Trim().ToLowerInvariant(),
                Optimizers = parse.GetValue(optimizers)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToLowerInvariant()).ToArray(),
                Seeds = ParseSeeds(parse.GetValue(seeds)!),
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch),
                EvaluateEvery = parse.GetValue(evaluateEvery),
                TrainLimit = parse.GetValue(trainLimit),
                TestLimit = parse.GetValue(testLimit),
                SgdLearningRate = parse.GetValue(rate),
                Zim = zim,
                BooleanLearningRate = parse.GetValue(boldEta),
                IntegerInitialScale = parse.GetValue(initialScale),
                Threads = parse.GetValue(threads),
            };
            options.Validate();
            string? sources = parse.GetValue(combine);
            if (sources is not null)
            {
                string[] folders = sources.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                string target = parse.GetValue(output) ?? Path.Combine("runs", $"compare-{options.Model}");
                ComparisonResult merged = ComparisonReport.Combine(folders, options);
                int seedCount = merged.Points.Select(p => p.Seed).Distinct().Count();
                int epochCount = merged.Points.Count == 0 ? 0 : merged.Points.Max(p => p.Epoch);
                ComparisonReport.Write(target, merged, $"{parse.GetValue(dataset)}: {(options.Model == "cnn" ? "small CNN" : "MLP 784-128-10")}, {epochCount} epoch(s), {seedCount} seed(s)");
                Console.Write(ComparisonReport.Summary(merged));
                Console.WriteLine($"wrote {Path.Combine(target, "comparison.csv")}, timing.csv, summary.txt, comparison.png");
                return 0;
            }
            Dataset set = DatasetLoader.Load(parse.GetValue(dataset), parse.GetValue(data));
            string directory = parse.GetValue(output) ?? Path.Combine("runs", $"compare-{options.Model}");
            ComparisonResult result = ComparisonRunner.Run(options, set, line =>
            {
                // One progress line, wrapped at 80 columns under the text after the time stamp.
                foreach (string piece in TrainReport.Wrap($"[{DateTime.UtcNow:HH:mm:ss}] {line}", TrainReport.Width, 11)) Console.WriteLine(piece);
            });
            string title = $"{set.Name}: {(options.Model == "cnn" ? "small CNN" : "MLP 784-128-10")}, {options.Epochs} epoch(s), {options.Seeds.Count} seed(s)";
            ComparisonReport.Write(directory, result, title);
            Console.Write(ComparisonReport.Summary(result));
            Console.WriteLine($"wrote {Path.Combine(directory, "comparison.csv")}, timing.csv, summary.txt, comparison.png");
            return 0;
        }));
        root.Subcommands.Add(command);
    }

    /// <summary>"3" means seeds 1, 2, 3; "4,7" means seeds 4 and 7.</summary>
    internal static int[] ParseSeeds(string text)
    {
        try
        {
            int[] values = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
            if (values.Length == 1 && !text.Contains(','))
            {
                if (values[0] < 1 || values[0] > 1000) throw new FormatException();
                return Enumerable.Range(1, values[0]).ToArray();
            }
            if (values.Length == 0 || values.Distinct().Count() != values.Length) throw new FormatException();
            return values;
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new ArgumentException($"--seeds '{NumericOptions.Printable(text)}': expected a count from 1 to 1000 (e.g. 3) or distinct whole-number seeds separated by commas (e.g. 1,2,3)");
        }
    }
}
