using BoolNet.Layers;
using BoolNet.Training.Optimizers.Zim;

namespace BoolNet.Training.Compare;

/// <summary>
/// Settings of <c>boolnet compare</c>: one architecture trained by several optimizers over several
/// seeds, evaluated on the test split every <see cref="EvaluateEvery"/> batches.
/// </summary>
public sealed record ComparisonOptions
{
    /// <summary>Architecture family: "mlp" (784-128-10) or "cnn" (the paper's small CNN).</summary>
    public string Model { get; init; } = "cnn";

    /// <summary>Optimizers to compare: sgd (float weights), zim (integer weights), bold (Boolean weights, flip-with-reset).</summary>
    public IReadOnlyList<string> Optimizers { get; init; } = ["sgd", "zim", "bold"];

    /// <summary>Seeds; each (optimizer, seed) pair is one run.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [1, 2, 3];

    /// <summary>Epochs per run.</summary>
    public int Epochs { get; init; } = 2;

    /// <summary>Batch size (the paper: 64).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Evaluate every this many batches (0: once per epoch); always at step 0 and at the end.</summary>
    public int EvaluateEvery { get; init; }

    /// <summary>Use only the first N training images (0: all).</summary>
    public int TrainLimit { get; init; }

    /// <summary>Use only the first N test images (0: all).</summary>
    public int TestLimit { get; init; }

    /// <summary>SGD learning rate (the paper: 0.01, no momentum).</summary>
    public double SgdLearningRate { get; init; } = 0.01;

    /// <summary>The ZIM update's settings (eta, c, trials, schedule); its seed is replaced per run.</summary>
    public ZimOptions Zim { get; init; } = new();

    /// <summary>
    /// eta of flip-with-reset in the bold runs (null: <see cref="Models.ModelCatalog.BooleanComparisonOptimizer"/>'s;
    /// cosine schedule, adaptive beta).
    /// </summary>
    public double? BooleanLearningRate { get; init; }

    /// <summary>Amplitude A of the integer initialisation round(A U(-1, 1)).</summary>
    public double IntegerInitialScale { get; init; } = Models.ModelCatalog.DefaultIntegerInitialScale;

    /// <summary>Kernel threads (0: all). Results do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>Throws a clear error for invalid settings.</summary>
    public void Validate()
    {
        if (Model is not ("mlp" or "cnn")) throw new ArgumentException($"unknown comparison model '{Model}': expected mlp or cnn");
        if (Optimizers.Count == 0) throw new ArgumentException("no optimizer to compare");
        foreach (string name in Optimizers)
            if (name is not ("sgd" or "zim" or "bold")) throw new ArgumentException($"unknown optimizer '{name}': expected sgd, zim or bold");
        if (Seeds.Count == 0) throw new ArgumentException("no seed given");
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(EvaluateEvery);
        if (BooleanLearningRate is { } eta && !(eta > 0 && double.IsFinite(eta)))
            throw new ArgumentOutOfRangeException(nameof(BooleanLearningRate), $"flip-with-reset eta {eta} must be a finite number > 0");
        if (!(SgdLearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(SgdLearningRate), $"SGD learning rate {SgdLearningRate} must be > 0");
        Zim.Validate();
    }
}

/// <summary>One evaluation point of one run.</summary>
/// <param name="Optimizer">sgd, zim or bold</param>
/// <param name="Seed">the run's seed</param>
/// <param name="Epoch">epoch in progress (0 before training)</param>
/// <param name="Step">batches done</param>
/// <param name="TestAccuracy">test accuracy in [0, 1]</param>
/// <param name="TestLoss">mean test cross-entropy</param>
/// <param name="TrainLoss">mean training cross-entropy over the epoch so far (NaN at step 0)</param>
/// <param name="Parameters">the run's parameters by kind</param>
public sealed record ComparisonPoint(string Optimizer, int Seed, int Epoch, long Step, double TestAccuracy, double TestLoss, double TrainLoss,
    ParameterCounts Parameters);

/// <summary>A network's trainable values by kind (batch-norm scales and shifts count as float).</summary>
/// <param name="Boolean">Boolean weights (bits, flip-with-reset)</param>
/// <param name="Integer">integer weights (int32, ZIM)</param>
/// <param name="Float">float32 values (SGD or Adam)</param>
public sealed record ParameterCounts(long Boolean, long Integer, long Float)
{
    /// <summary>The counts of <paramref name="network"/>'s parameters.</summary>
    public static ParameterCounts Of(Network network)
    {
        long boolean = 0, integer = 0, real = 0;
        foreach ((_, Parameter parameter) in network.Parameters)
        {
            switch (parameter)
            {
                case BooleanParameter: boolean += parameter.Count; break;
                case IntegerParameter: integer += parameter.Count; break;
                case RealParameter: real += parameter.Count; break;
                default: throw new ArgumentException($"parameter '{parameter.Name}' is of an unknown kind ({parameter.GetType().Name})");
            }
        }
        return new ParameterCounts(boolean, integer, real);
    }
}

/// <summary>Where one run's training time went (evaluation excluded).</summary>
/// <param name="Optimizer">sgd, zim or bold</param>
/// <param name="Seed">the run's seed</param>
/// <param name="Epochs">epochs trained</param>
/// <param name="Forward">seconds in forward passes and the loss</param>
/// <param name="Backward">seconds in backward passes</param>
/// <param name="Update">seconds in optimizer steps</param>
/// <param name="Sampling">of <paramref name="Update"/>: seconds computing p and drawing the multinomial (ZIM)</param>
public sealed record RunTiming(string Optimizer, int Seed, int Epochs, double Forward, double Backward, double Update, double Sampling)
{
    /// <summary>Training seconds per epoch (forward + backward + update).</summary>
    public double SecondsPerEpoch => (Forward + Backward + Update) / Math.Max(1, Epochs);
}
