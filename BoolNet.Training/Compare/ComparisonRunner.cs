using System.Diagnostics;
using System.Globalization;
using BoolNet.Layers;
using BoolNet.Training.Data;
using BoolNet.Training.Models;
using BoolNet.Training.Optimizers;
using BoolNet.Training.Optimizers.Zim;

namespace BoolNet.Training.Compare;

/// <summary>The result of a comparison: every evaluation point and every run's timing.</summary>
/// <param name="Options">The settings of the comparison.</param>
/// <param name="Points">Every evaluation point (optimizer, seed, epoch).</param>
/// <param name="Timings">Every run's timing.</param>
/// <param name="Notes">Remarks to print with the report.</param>
/// <param name="Combined">true when merged from earlier runs: the settings are those of the sources (in the notes)</param>
public sealed record ComparisonResult(ComparisonOptions Options, IReadOnlyList<ComparisonPoint> Points, IReadOnlyList<RunTiming> Timings,
    IReadOnlyList<string> Notes, bool Combined = false);

/// <summary>
/// Trains the same architecture with SGD (float weights), ZIM (integer weights, same layer shapes)
/// and BOLD (Boolean weights of the same shapes, trained by flip-with-reset; <see cref="WeightKind.Boolean"/>),
/// over several seeds, with the trainer, evaluating periodically. Usable without the CLI.
/// </summary>
public static class ComparisonRunner
{
    /// <summary>Runs every (optimizer, seed) pair in order; <paramref name="log"/> receives progress lines.</summary>
    public static ComparisonResult Run(ComparisonOptions options, Dataset data, Action<string>? log = null, CancellationToken cancellation = default)
    {
        options.Validate();
        log ??= _ => { };
        var points = new List<ComparisonPoint>();
        var timings = new List<RunTiming>();
        var notes = new List<string>();
        foreach (string optimizer in options.Optimizers)
        {
            foreach (int seed in options.Seeds)
            {
                cancellation.ThrowIfCancellationRequested();
                (RunTiming timing, List<ComparisonPoint> runPoints, string? flips) = RunOne(options, data, optimizer, seed, log, cancellation);
                points.AddRange(runPoints);
                timings.Add(timing);
                if (flips is not null) notes.Add(flips);
            }
        }
        return new ComparisonResult(options, points, timings, notes);
    }

    /// <summary>Builds the network and training options of one run.</summary>
    public static (Network Network, TrainingOptions Training, Func<ZimOptimizer?> Zim) Prepare(ComparisonOptions options, Dataset data, string optimizer, int seed)
    {
        var request = new ModelRequest(data.Train.Shape, data.ClassCount, seed, new ModelSettings());
        var training = new TrainingOptions
        {
            Epochs = options.Epochs,
            BatchSize = options.BatchSize,
            Seed = seed,
            Threads = options.Threads,
            TrainLimit = options.TrainLimit,
            TestLimit = options.TestLimit,
            EvaluationBatchSize = 500,
            Real = new RealOptimizerOptions { Kind = RealOptimizerKind.Sgd, LearningRate = options.SgdLearningRate, Momentum = 0, Schedule = LearningRateSchedule.Constant },
        };
        Network Build(WeightKind kind) => options.Model == "cnn"
            ? ModelCatalog.BuildComparisonCnn(request, kind, options.IntegerInitialScale)
            : ModelCatalog.BuildComparisonMlp(request, kind, options.IntegerInitialScale);
        switch (optimizer)
        {
            case "sgd":
                return (Build(WeightKind.Real), training, () => null);
            case "zim":
            {
                ZimOptimizer? created = null;
                ZimOptions zim = options.Zim with { Seed = (ulong)seed };
                training = training with
                {
                    IntegerOptimizerFactory = _ =>
                    {
                        created = new ZimOptimizer(zim);
                        created.Update.Threads = options.Threads;
                        return created;
                    },
                };
                return (Build(WeightKind.Integer), training, () => created);
            }
            case "bold":
            {
                BooleanOptimizerOptions boolean = ModelCatalog.BooleanComparisonOptimizer;
                if (options.BooleanLearningRate is { } eta) boolean = boolean with { LearningRate = eta };
                // The batch-norm scales and shifts, the only float values, keep the Boolean models' Adam.
                return (Build(WeightKind.Boolean), training with { Boolean = boolean, Real = new RealOptimizerOptions() }, () => null);
            }
            default:
                throw new ArgumentException($"unknown optimizer '{optimizer}'");
        }
    }

    private static (RunTiming, List<ComparisonPoint>, string?) RunOne(ComparisonOptions options, Dataset data, string optimizer, int seed, Action<string> log, CancellationToken cancellation)
    {
        (Network network, TrainingOptions training, Func<ZimOptimizer?> zim) = Prepare(options, data, optimizer, seed);
        ParameterCounts counts = ParameterCounts.Of(network);
        var trainer = new Trainer(network, training);
        var points = new List<ComparisonPoint>();
        string name = $"{options.Model} {optimizer} seed {seed}";
        void Evaluate(int epoch, long step, double trainLoss)
        {
            (double loss, double accuracy) = trainer.Evaluate(data.Test, options.TestLimit);
            points.Add(new ComparisonPoint(optimizer, seed, epoch, step, accuracy, loss, trainLoss, counts));
            log($"{name} epoch {epoch} step {step}: test accuracy {accuracy:P2}, test loss {loss:F4}, train loss {trainLoss:F4}");
        }
        log($"{name}: {counts.Boolean:N0} Boolean, {counts.Integer:N0} integer, {counts.Float:N0} float parameters");
        Evaluate(0, 0, double.NaN);
        // Periodic points inside an epoch; the epoch's last point is the trainer's own end-of-epoch evaluation.
        long previousStep = 0;
        trainer.BatchCompleted = progress =>
        {
            bool last = progress.Batch == progress.Batches;
            if (!last && options.EvaluateEvery > 0 && trainer.Step % options.EvaluateEvery == 0)
                Evaluate(progress.Epoch, trainer.Step, progress.RunningLoss);
        };
        double forward = 0, backward = 0, update = 0;
        // Flips per weight of each Boolean tensor over the run: the flip ratio (per weight and step) times the steps.
        var flipped = new Dictionary<string, double>();
        trainer.EpochCompleted = result =>
        {
            points.Add(new ComparisonPoint(optimizer, seed, result.Epoch, trainer.Step, result.TestAccuracy, result.TestLoss, result.TrainLoss, counts));
            log($"{name} epoch {result.Epoch} step {trainer.Step}: test accuracy {result.TestAccuracy:P2}, test loss {result.TestLoss:F4}, train loss {result.TrainLoss:F4}");
            forward += result.ForwardSeconds;
            backward += result.BackwardSeconds;
            update += result.UpdateSeconds;
            long steps = trainer.Step - previousStep;
            previousStep = trainer.Step;
            foreach (ParameterDiagnostics p in result.Parameters.Where(p => p.Optimizer == "flip-with-reset"))
                flipped[p.Parameter] = flipped.GetValueOrDefault(p.Parameter) + p.FlipRatio * steps;
            ZimOptimizer? optimizerState = zim();
            string sampling = optimizerState is null ? "" : $", ZIM sampling {optimizerState.Update.SamplingTime.TotalSeconds:F1}s cumulative";
            log($"{name} epoch {result.Epoch}: train {result.ForwardSeconds + result.BackwardSeconds + result.UpdateSeconds:F1}s " +
                $"(forward {result.ForwardSeconds:F1}s, backward {result.BackwardSeconds:F1}s, update {result.UpdateSeconds:F1}s{sampling})");
        };
        var clock = Stopwatch.StartNew();
        trainer.Run(data, cancellation: cancellation);
        ZimOptimizer? state = zim();
        double samplingSeconds = state?.Update.SamplingTime.TotalSeconds ?? 0;
        log($"{name} done in {clock.Elapsed.TotalSeconds:F0}s");
        string? flips = flipped.Count == 0 ? null
            : $"{optimizer} seed {seed}: flips per Boolean weight over the run: " +
              string.Join(", ", flipped.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Key} {f.Value:0.###}")));
        if (flips is not null) log(flips);
        return (new RunTiming(optimizer, seed, options.Epochs, forward, backward, update, samplingSeconds), points, flips);
    }
}
