using System.Diagnostics;
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
/// and, for the MLP, BOLD (the Boolean MLP with one hidden layer of 128), over several seeds, with
/// the trainer, evaluating periodically. Usable without the CLI.
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
            if (optimizer == "bold" && options.Model != "mlp")
            {
                notes.Add($"bold skipped: the {options.Model} has no Boolean form in the catalogue");
                log(notes[^1]);
                continue;
            }
            foreach (int seed in options.Seeds)
            {
                cancellation.ThrowIfCancellationRequested();
                (RunTiming timing, List<ComparisonPoint> runPoints) = RunOne(options, data, optimizer, seed, log, cancellation);
                points.AddRange(runPoints);
                timings.Add(timing);
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
                ModelEntry entry = ModelCatalog.Get(ModelCatalog.FloatFirstLayerMlpModel);
                Network network = entry.Build(data.Train.Shape, data.ClassCount, seed, entry.Settings with { Hidden = [128] });
                TrainingOptions defaults = entry.Defaults with
                {
                    Epochs = options.Epochs,
                    BatchSize = options.BatchSize,
                    Seed = seed,
                    Threads = options.Threads,
                    TrainLimit = options.TrainLimit,
                    TestLimit = options.TestLimit,
                    EvaluationBatchSize = 500,
                };
                return (network, defaults, () => null);
            }
            default:
                throw new ArgumentException($"unknown optimizer '{optimizer}'");
        }
    }

    private static (RunTiming, List<ComparisonPoint>) RunOne(ComparisonOptions options, Dataset data, string optimizer, int seed, Action<string> log, CancellationToken cancellation)
    {
        (Network network, TrainingOptions training, Func<ZimOptimizer?> zim) = Prepare(options, data, optimizer, seed);
        var trainer = new Trainer(network, training);
        var points = new List<ComparisonPoint>();
        void Evaluate(int epoch, long step, double trainLoss)
        {
            (double loss, double accuracy) = trainer.Evaluate(data.Test, options.TestLimit);
            points.Add(new ComparisonPoint(optimizer, seed, epoch, step, accuracy, loss, trainLoss));
            log($"{options.Model} {optimizer} seed {seed} epoch {epoch} step {step}: test accuracy {accuracy:P2}, test loss {loss:F4}, train loss {trainLoss:F4}");
        }
        Evaluate(0, 0, double.NaN);
        // Periodic points inside an epoch; the epoch's last point is the trainer's own end-of-epoch evaluation.
        trainer.BatchCompleted = progress =>
        {
            bool last = progress.Batch == progress.Batches;
            if (!last && options.EvaluateEvery > 0 && trainer.Step % options.EvaluateEvery == 0)
                Evaluate(progress.Epoch, trainer.Step, progress.RunningLoss);
        };
        double forward = 0, backward = 0, update = 0;
        trainer.EpochCompleted = result =>
        {
            points.Add(new ComparisonPoint(optimizer, seed, result.Epoch, trainer.Step, result.TestAccuracy, result.TestLoss, result.TrainLoss));
            log($"{options.Model} {optimizer} seed {seed} epoch {result.Epoch} step {trainer.Step}: test accuracy {result.TestAccuracy:P2}, test loss {result.TestLoss:F4}, train loss {result.TrainLoss:F4}");
            forward += result.ForwardSeconds;
            backward += result.BackwardSeconds;
            update += result.UpdateSeconds;
            ZimOptimizer? optimizerState = zim();
            string sampling = optimizerState is null ? "" : $", ZIM sampling {optimizerState.Update.SamplingTime.TotalSeconds:F1}s cumulative";
            log($"{options.Model} {optimizer} seed {seed} epoch {result.Epoch}: train {result.ForwardSeconds + result.BackwardSeconds + result.UpdateSeconds:F1}s " +
                $"(forward {result.ForwardSeconds:F1}s, backward {result.BackwardSeconds:F1}s, update {result.UpdateSeconds:F1}s{sampling})");
        };
        var clock = Stopwatch.StartNew();
        trainer.Run(data, cancellation: cancellation);
        ZimOptimizer? state = zim();
        double samplingSeconds = state?.Update.SamplingTime.TotalSeconds ?? 0;
        log($"{options.Model} {optimizer} seed {seed} done in {clock.Elapsed.TotalSeconds:F0}s");
        return (new RunTiming(optimizer, seed, options.Epochs, forward, backward, update, samplingSeconds), points);
    }
}
