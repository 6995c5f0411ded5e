using System.Text.Json.Serialization;
using BoolNet.Layers;
using BoolNet.Training.Data;
using BoolNet.Training.Optimizers;

namespace BoolNet.Training;

/// <summary>
/// Everything a training run needs besides the network and the data. Serialised (JSON) into the
/// checkpoint, except the integer-optimizer factory, which the caller supplies again on resume.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Number of epochs.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Samples per batch (one optimizer step per batch).</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>Seed of the shuffling and of counter-based randomness.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Kernel threads (0: the process default). Results do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>Use only the first N training images (0: all).</summary>
    public int TrainLimit { get; init; }

    /// <summary>Use only the first N test images (0: all).</summary>
    public int TestLimit { get; init; }

    /// <summary>Augmentation of the training images (a pure function of seed, epoch and position).</summary>
    public AugmentationKind Augmentation { get; init; } = AugmentationKind.None;

    /// <summary>Batch size of evaluation passes.</summary>
    public int EvaluationBatchSize { get; init; } = 1000;

    /// <summary>
    /// Run the Boolean optimizer's step on each weight row as the backward finishes its signal, as the
    /// weight signal's epilogue (<see cref="BooleanOptimizer.BeginFusedStep"/>), rather than in a pass of
    /// its own afterwards. The weights are the same either way (tested); fused saves a round trip of the
    /// signal through memory (BoolNet.Bench <c>fusion</c>). Its time is reported as update time.
    /// </summary>
    public bool FuseBooleanStep { get; init; } = true;

    /// <summary>The Boolean optimizer (flip with reset).</summary>
    public BooleanOptimizerOptions Boolean { get; init; } = new();

    /// <summary>The float optimizer (Adam or SGD).</summary>
    public RealOptimizerOptions Real { get; init; } = new();

    /// <summary>
    /// The integer optimizer "step with reset" (<see cref="IntegerStepOptimizer"/>) for the integer
    /// parameters, used when <see cref="IntegerOptimizerFactory"/> is null; null: none.
    /// </summary>
    public IntegerStepOptions? IntegerStep { get; init; }

    /// <summary>
    /// Creates the optimizer of all integer parameters at once (supplied by the ZIM area); null
    /// when the network has none.
    /// </summary>
    [JsonIgnore]
    public Func<IReadOnlyList<Parameter>, IOptimizer>? IntegerOptimizerFactory { get; init; }
}

/// <summary>Diagnostics of one parameter over an epoch.</summary>
/// <param name="Parameter">"layer index.kind.name", e.g. "3.boolean-linear.weight"</param>
/// <param name="Optimizer">optimizer name</param>
/// <param name="FlipRatio">flips / (weights * steps) (Boolean)</param>
/// <param name="MaxAccumulator">max |m| over the epoch (Boolean)</param>
public sealed record ParameterDiagnostics(string Parameter, string Optimizer, double FlipRatio, double MaxAccumulator)
{
    /// <summary>
    /// A Boolean tensor whose flips over an epoch add up to less than this fraction of its weights
    /// has (almost) stopped learning: <see cref="Stalled"/>.
    /// </summary>
    public const double StallFraction = 1e-4;

    /// <summary>Mean |eta q| per weight and step (Boolean).</summary>
    public double MeanStep { get; init; }

    /// <summary>Optimizer steps in the epoch (0 in histories written before it was recorded).</summary>
    public long Steps { get; init; }

    /// <summary>Of <see cref="Steps"/>, those that flipped none of the tensor's weights (Boolean; [L] A.4 asks for none).</summary>
    public long StepsWithoutFlip { get; init; }

    /// <summary>Flips over the epoch as a fraction of the weights, <see cref="FlipRatio"/> x <see cref="Steps"/> (Boolean).</summary>
    [JsonIgnore]
    public double FlippedFraction => FlipRatio * Steps;

    /// <summary>
    /// A Boolean (flip-with-reset) tensor that flipped less than <see cref="StallFraction"/> of its
    /// weights over the epoch's steps: it trains (almost) as a fixed random tensor.
    /// </summary>
    [JsonIgnore]
    public bool Stalled => Optimizer == BooleanOptimizer.OptimizerName && Steps > 0 && FlippedFraction < StallFraction;
}

/// <summary>One epoch's results.</summary>
public sealed record EpochResult
{
    /// <summary>1-based epoch number.</summary>
    public int Epoch { get; init; }

    /// <summary>Mean training cross-entropy over the epoch's batches.</summary>
    public double TrainLoss { get; init; }

    /// <summary>Training accuracy during the epoch (training-mode forward).</summary>
    public double TrainAccuracy { get; init; }

    /// <summary>Test cross-entropy (inference mode).</summary>
    public double TestLoss { get; init; }

    /// <summary>Test accuracy (inference mode).</summary>
    public double TestAccuracy { get; init; }

    /// <summary>Wall-clock seconds of the training pass (forward, backward, update).</summary>
    public double Seconds { get; init; }

    /// <summary>Of <see cref="Seconds"/>: forward, backward and optimizer time.</summary>
    public double ForwardSeconds { get; init; }

    /// <summary>Backward pass seconds.</summary>
    public double BackwardSeconds { get; init; }

    /// <summary>Optimizer seconds.</summary>
    public double UpdateSeconds { get; init; }

    /// <summary>Training-pass seconds in each layer's forward, input first.</summary>
    public double[] LayerForwardSeconds { get; init; } = [];

    /// <summary>Training-pass seconds in each layer's backward, input first.</summary>
    public double[] LayerBackwardSeconds { get; init; } = [];

    /// <summary>Wall-clock seconds of the test evaluation.</summary>
    public double EvaluationSeconds { get; init; }

    /// <summary>Per-parameter diagnostics (Boolean flip ratios, max |m|).</summary>
    public IReadOnlyList<ParameterDiagnostics> Parameters { get; init; } = [];
}

/// <summary>Progress within an epoch.</summary>
/// <param name="Epoch">the epoch (from 1)</param>
/// <param name="Batch">batches done in this epoch (from 1)</param>
/// <param name="Batches">batches in the epoch</param>
/// <param name="RunningLoss">mean training loss of the epoch's images so far</param>
/// <param name="RunningAccuracy">fraction of the epoch's images so far classified right (NaN when not reported)</param>
/// <param name="Seconds">wall time since the epoch's first batch began</param>
public readonly record struct BatchProgress(int Epoch, int Batch, int Batches, double RunningLoss, double RunningAccuracy = double.NaN, double Seconds = 0);
