using System.Diagnostics;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;
using BoolNet.Layers;
using BoolNet.Training.Data;
using BoolNet.Training.Optimizers;
using BoolNet.Core.Randomness;

namespace BoolNet.Training;

/// <summary>An optimizer and the parameters it owns.</summary>
public sealed record OptimizerGroup(IOptimizer Optimizer, IReadOnlyList<Parameter> Parameters);

/// <summary>
/// Trains a <see cref="Network"/> on a <see cref="Dataset"/> with softmax cross-entropy, one optimizer
/// step per batch. Parameters are assigned to optimizers by kind (Boolean -> flip-with-reset, real ->
/// Adam/SGD, integer -> <see cref="TrainingOptions.IntegerOptimizerFactory"/>). Usable without the CLI:
/// options in, per-epoch results out through <see cref="EpochCompleted"/> / <see cref="History"/>.
/// Reproducible: the shuffle of epoch e is a pure function of (seed, e) and all randomness is
/// counter-based on (seed, step), so a run resumed from a checkpoint equals an uninterrupted one and
/// no result depends on the thread count. Network input: raw intensities 0..255 as a real batch.
/// </summary>
public sealed class Trainer
{
    private readonly Dictionary<Parameter, string> _names = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates the trainer and its optimizers.</summary>
    public Trainer(Network network, TrainingOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Epochs);
        Network = network;
        Options = options;
        var boolean = new List<Parameter>();
        var real = new List<Parameter>();
        var integer = new List<Parameter>();
        foreach ((int layer, Parameter parameter) in network.Parameters)
        {
            _names[parameter] = $"{layer}.{network.Layers[layer].Kind}.{parameter.Name}";
            (parameter switch
            {
                BooleanParameter => boolean,
                RealParameter => real,
                IntegerParameter => integer,
                _ => throw new NotSupportedException($"no optimizer for parameter type {parameter.GetType().Name}"),
            }).Add(parameter);
        }
        var groups = new List<OptimizerGroup>();
        if (boolean.Count > 0) groups.Add(new OptimizerGroup(new BooleanOptimizer(options.Boolean), boolean));
        if (real.Count > 0) groups.Add(new OptimizerGroup(options.Real.Create(), real));
        if (integer.Count > 0)
        {
            Func<IReadOnlyList<Parameter>, IOptimizer> factory = options.IntegerOptimizerFactory
                ?? (options.IntegerStep is { } step ? _ => new IntegerStepOptimizer(step) : (Func<IReadOnlyList<Parameter>, IOptimizer>?)null)
                ?? throw new InvalidOperationException("the network has integer parameters but no integer optimizer was supplied (TrainingOptions.IntegerOptimizerFactory or IntegerStep)");
            groups.Add(new OptimizerGroup(factory(integer), integer));
        }
        Groups = groups;
    }

    /// <summary>The network being trained.</summary>
    public Network Network { get; }

    /// <summary>The options.</summary>
    public TrainingOptions Options { get; }

    /// <summary>Optimizers with their parameters.</summary>
    public IReadOnlyList<OptimizerGroup> Groups { get; }

    /// <summary>Epochs finished so far.</summary>
    public int CompletedEpochs { get; private set; }

    /// <summary>Optimizer steps taken so far.</summary>
    public long Step { get; private set; }

    /// <summary>Results of the finished epochs.</summary>
    public List<EpochResult> History { get; } = [];

    /// <summary>Called after each batch.</summary>
    public Action<BatchProgress>? BatchCompleted { get; set; }

    /// <summary>Called after each epoch (after evaluation).</summary>
    public Action<EpochResult>? EpochCompleted { get; set; }

    /// <summary>"layer.kind.name" of a parameter.</summary>
    public string NameOf(Parameter parameter) => _names[parameter];

    /// <summary>Batches per epoch for <paramref name="data"/>.</summary>
    public int BatchesPerEpoch(Dataset data) => (TrainCount(data) + Options.BatchSize - 1) / Options.BatchSize;

    /// <summary>
    /// Trains until <see cref="TrainingOptions.Epochs"/> are done, calling
    /// <paramref name="afterEpoch"/> (e.g. to write a checkpoint) after each one.
    /// </summary>
    public IReadOnlyList<EpochResult> Run(Dataset data, Action<Trainer>? afterEpoch = null, CancellationToken cancellation = default)
    {
        while (CompletedEpochs < Options.Epochs)
        {
            cancellation.ThrowIfCancellationRequested();
            TrainEpoch(data, cancellation);
            afterEpoch?.Invoke(this);
        }
        return History;
    }

    /// <summary>Trains one epoch, evaluates on the test split, records and returns the result.</summary>
    public EpochResult TrainEpoch(Dataset data, CancellationToken cancellation = default)
    {
        int epoch = CompletedEpochs + 1, count = TrainCount(data), batchSize = Options.BatchSize;
        int classes = data.ClassCount, size = data.Train.Shape.Size;
        if (Network.InputShape.Size != size)
            throw new ArgumentException($"the network expects inputs of {Network.InputShape} but the dataset has images of {data.Train.Shape}");
        int[] order = DeterministicRandom.Permutation(unchecked((ulong)Options.Seed), epoch, count);
        int batches = BatchesPerEpoch(data);
        long totalSteps = (long)batches * Options.Epochs;
        // One workspace for the epoch: each step's activations and gradients reuse the previous step's arrays.
        var context = new LayerContext { Training = true, Threads = Options.Threads, Seed = (ulong)Options.Seed, Workspace = new Workspace() };
        double lossSum = 0, forward = 0, backward = 0, update = 0;
        long correct = 0, seen = 0;
        Network.ResetTimings();
        // Boolean optimizer steps run inside the backward as the weight signals' epilogue (TrainingOptions.FuseBooleanStep).
        FusedBooleanSteps? fused = Options.FuseBooleanStep ? new FusedBooleanSteps(Groups) : null;
        context.FusedUpdates = fused;
        var clock = Stopwatch.StartNew();
        for (int b = 0; b < batches; b++)
        {
            cancellation.ThrowIfCancellationRequested();
            int start = b * batchSize, n = Math.Min(batchSize, count - start);
            context.Workspace.Recycle(); // the previous step (its optimizer update included) is over
            (float[] inputs, byte[] labels) = Gather(data.Train, order.AsSpan(start, n), context.Workspace, context.Threads, Options.Augmentation, Options.Seed, epoch, start);
            context.Step = Step;
            long t0 = Stopwatch.GetTimestamp();
            Batch output = Network.Forward(Batch.FromReal(inputs, n, data.Train.Shape), context);
            float[] logits = output.RequireReal("the loss");
            float[] gradient = context.Floats(n * classes); // the loss writes every element
            (double loss, int right) = SoftmaxCrossEntropy.Compute(logits, labels, classes, gradient);
            long t1 = Stopwatch.GetTimestamp();
            var info = new StepInfo(Step, totalSteps, Options.Threads);
            fused?.Start(info);
            Network.Backward(gradient, context);
            long t2 = Stopwatch.GetTimestamp();
            foreach (OptimizerGroup group in Groups) group.Optimizer.Step(group.Parameters, info);
            long t3 = Stopwatch.GetTimestamp();
            // The fused steps ran inside the backward: their share of its wall time, estimated as their
            // thread time over the threads that ran them, is reported as update time, not backward time.
            double fusedUpdate = fused is null ? 0 : fused.Elapsed.TotalSeconds / Threading.Resolve(Options.Threads);
            forward += Stopwatch.GetElapsedTime(t0, t1).TotalSeconds;
            backward += Stopwatch.GetElapsedTime(t1, t2).TotalSeconds - fusedUpdate;
            update += Stopwatch.GetElapsedTime(t2, t3).TotalSeconds + fusedUpdate;
            Step++;
            lossSum += loss;
            correct += right;
            seen += n;
            BatchCompleted?.Invoke(new BatchProgress(epoch, b + 1, batches, lossSum / seen, (double)correct / seen, clock.Elapsed.TotalSeconds));
        }
        double seconds = clock.Elapsed.TotalSeconds;
        double[] layerForward = Network.ForwardSeconds, layerBackward = Network.BackwardSeconds;
        var diagnostics = new List<ParameterDiagnostics>();
        foreach (OptimizerGroup group in Groups)
            foreach (ParameterReport report in group.Optimizer.TakeReport(group.Parameters))
                diagnostics.Add(new ParameterDiagnostics(NameOf(report.Parameter), group.Optimizer.Name, report.FlipRatio, report.MaxAccumulator)
                {
                    MeanStep = report.MeanStep, Steps = report.Steps, StepsWithoutFlip = report.StepsWithoutFlip,
                });
        clock.Restart();
        (double testLoss, double testAccuracy) = Evaluate(data.Test, Options.TestLimit);
        var result = new EpochResult
        {
            Epoch = epoch,
            TrainLoss = lossSum / Math.Max(1, seen),
            TrainAccuracy = (double)correct / Math.Max(1, seen),
            TestLoss = testLoss,
            TestAccuracy = testAccuracy,
            Seconds = seconds,
            ForwardSeconds = forward,
            BackwardSeconds = backward,
            UpdateSeconds = update,
            LayerForwardSeconds = layerForward,
            LayerBackwardSeconds = layerBackward,
            EvaluationSeconds = clock.Elapsed.TotalSeconds,
            Parameters = diagnostics,
        };
        History.Add(result);
        CompletedEpochs = epoch;
        EpochCompleted?.Invoke(result);
        return result;
    }

    /// <summary>Mean cross-entropy and accuracy on (the first <paramref name="limit"/> of) <paramref name="images"/>.</summary>
    public (double Loss, double Accuracy) Evaluate(LabeledImages images, int limit = 0) =>
        Evaluate(Network, images, limit, Options.EvaluationBatchSize, Options.Threads);

    /// <summary>Mean cross-entropy and accuracy of <paramref name="network"/> in inference mode.</summary>
    public static (double Loss, double Accuracy) Evaluate(Network network, LabeledImages images, int limit, int batchSize, int threads)
    {
        int count = limit > 0 ? Math.Min(limit, images.Count) : images.Count;
        if (count == 0) return (double.NaN, double.NaN);
        int classes = network.OutputShape.Size;
        var context = new LayerContext { Training = false, Threads = threads, Workspace = new Workspace() };
        double loss = 0;
        long correct = 0;
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            var indices = Enumerable.Range(start, n).ToArray();
            context.Workspace.Recycle();
            (float[] inputs, byte[] labels) = Gather(images, indices, context.Workspace, context.Threads);
            float[] logits = network.Forward(Batch.FromReal(inputs, n, images.Shape), context).RequireReal("the loss");
            (double l, int right) = SoftmaxCrossEntropy.Compute(logits, labels, classes, Span<float>.Empty);
            loss += l;
            correct += right;
        }
        return (loss / count, (double)correct / count);
    }

    /// <summary>Writes the trainer's state (counters, history excluded) and every optimizer's state.</summary>
    public void SaveState(BinaryWriter writer)
    {
        writer.Write(CompletedEpochs);
        writer.Write(Step);
        writer.Write(Groups.Count);
        foreach (OptimizerGroup group in Groups)
        {
            writer.Write(group.Optimizer.Name);
            group.Optimizer.SaveState(writer, group.Parameters);
        }
    }

    /// <summary>
    /// Restores what <see cref="SaveState"/> wrote, with the history from the checkpoint header: the
    /// completed epochs must equal the history's length and the step count must be consistent.
    /// </summary>
    /// <exception cref="CheckpointFormatException">The state is inconsistent, does not match these optimizers or holds illegal values.</exception>
    /// <exception cref="EndOfStreamException">The stream ends early.</exception>
    public void LoadState(BinaryReader reader, IEnumerable<EpochResult> history, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        List<EpochResult> epochs = [.. history];
        int completed = reader.ReadInt32();
        long step = reader.ReadInt64();
        if (completed != epochs.Count)
            throw new CheckpointFormatException(source, $"completed epochs is {completed} but the header's history has {epochs.Count} epochs");
        if (step < completed)
            throw new CheckpointFormatException(source, $"step count is {step}, fewer than the {completed} completed epochs");
        int groups = reader.ReadInt32();
        if (groups != Groups.Count) throw new CheckpointFormatException(source, $"{groups} optimizers stored, {Groups.Count} expected");
        foreach (OptimizerGroup group in Groups)
        {
            string name = reader.ReadString();
            if (name != group.Optimizer.Name)
                throw new CheckpointFormatException(source, $"optimizer '{Shorten(name)}' stored where '{group.Optimizer.Name}' is used");
            try
            {
                group.Optimizer.LoadState(reader, group.Parameters);
            }
            catch (InvalidDataException e)
            {
                throw new CheckpointFormatException(source, $"optimizer '{name}' state: {e.Message}", e);
            }
        }
        CompletedEpochs = completed;
        Step = step;
        History.Clear();
        History.AddRange(epochs);
    }

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "...";

    /// <summary>
    /// Bytes held per Boolean weight during training: the bit itself (1/8), the optimizer's
    /// accumulator, and the float signal q of the last batch.
    /// </summary>
    public double BytesPerBooleanWeight()
    {
        foreach (OptimizerGroup group in Groups)
            foreach (Parameter parameter in group.Parameters)
                if (parameter is BooleanParameter)
                    return 1.0 / 8 + group.Optimizer.StateBytesPerValue(parameter) + sizeof(float);
        return 0;
    }

    /// <summary>Number of Boolean weights in the network.</summary>
    public long BooleanWeights => Network.Parameters.Where(p => p.Parameter is BooleanParameter).Sum(p => (long)p.Parameter.Count);

    private int TrainCount(Dataset data) => Options.TrainLimit > 0 ? Math.Min(Options.TrainLimit, data.Train.Count) : data.Train.Count;

    private static (float[] Inputs, byte[] Labels) Gather(LabeledImages images, ReadOnlySpan<int> indices, Workspace workspace, int threads,
        AugmentationKind augmentation = AugmentationKind.None, int seed = 0, int epoch = 0, int firstPosition = 0)
    {
        int size = images.Shape.Size;
        float[] inputs = workspace.Floats(indices.Length * size); // Augmentation.Apply writes every element
        var labels = new byte[indices.Length];
        int[] chosen = indices.ToArray();
        // Images over threads: each one's transform depends only on (seed, epoch, position).
        Threading.For(chosen.Length, threads, (start, end) =>
        {
            for (int k = start; k < end; k++)
            {
                ulong key = augmentation == AugmentationKind.None ? 0 : Augmentation.Key(seed, epoch, firstPosition + k);
                Augmentation.Apply(augmentation, images.Image(chosen[k]), inputs.AsSpan(k * size, size), images.Shape, key);
                labels[k] = images.Labels[chosen[k]];
            }
        }, work: (long)chosen.Length * size);
        return (inputs, labels);
    }

    /// <summary>
    /// The Boolean optimizer steps of one backward handed to the layers (<see cref="IFusedUpdates"/>):
    /// each Boolean parameter of a <see cref="BooleanOptimizer"/> group, begun when its layer asks.
    /// </summary>
    private sealed class FusedBooleanSteps : IFusedUpdates
    {
        private readonly Dictionary<BooleanParameter, BooleanOptimizer> _optimizers = new(ReferenceEqualityComparer.Instance);
        private readonly List<FlipWithResetRows> _begun = [];
        private StepInfo _step;

        public FusedBooleanSteps(IEnumerable<OptimizerGroup> groups)
        {
            foreach (OptimizerGroup group in groups)
                if (group.Optimizer is BooleanOptimizer optimizer)
                    foreach (BooleanParameter parameter in group.Parameters.OfType<BooleanParameter>()) _optimizers[parameter] = optimizer;
        }

        /// <summary>Time the steps begun since <see cref="Start"/> spent updating rows, summed over threads.</summary>
        public TimeSpan Elapsed
        {
            get
            {
                TimeSpan total = TimeSpan.Zero;
                foreach (FlipWithResetRows rows in _begun) total += rows.Elapsed;
                return total;
            }
        }

        /// <summary>A new step: the steps begun from now on are those of <paramref name="step"/>.</summary>
        public void Start(StepInfo step)
        {
            _step = step;
            _begun.Clear();
        }

        public FlipWithResetRows Begin(BooleanParameter parameter)
        {
            if (!_optimizers.TryGetValue(parameter, out BooleanOptimizer? optimizer) || optimizer.BeginFusedStep(parameter, _step) is not { } rows)
                return default;
            _begun.Add(rows);
            return rows;
        }
    }
}
