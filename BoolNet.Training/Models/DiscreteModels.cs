using BoolNet.Training.Optimizers;

namespace BoolNet.Training.Models;

/// <summary>
/// Fully discrete models (issue 16): every weight is a bit or an int8-range integer, every update discrete
/// (flip-with-reset for bits, step-with-reset for integers); only batch norm's scale and shift are real, and
/// they fold into integer thresholds at export.
/// </summary>
public static partial class ModelCatalog
{
    /// <summary>The fully discrete MLP.</summary>
    public const string DiscreteMlpModel = "bold-mlp-int8";

    static partial void RegisterDiscreteModels(List<ModelEntry> models)
    {
        // Recipe (Fashion-MNIST, 10 epochs, seed 1, full data): the Boolean side is bold-mlp's (eta 1000,
        // 6 signal planes, cosine). Integer eta 0.1 / 0.3 / 1 / 1.5 / 2 on 10k-image and full runs: 1.5 was
        // best (88.98 % at 1, 89.06 % at 1.5, 88.53 % at 2); integer init A = 16 / 32 / 64 made little
        // difference (32 kept); per-weight (Adam-like) normalisation did worse than per-tensor RMS on the
        // subset (84.3 vs 85.8 %); a LayerNorm gain of 2 or 3 on the logits lowered the test loss but also
        // the accuracy (88.50 / 88.39 %), and mirror augmentation cost 0.7 %.
        var training = new TrainingOptions
        {
            Boolean = new BooleanOptimizerOptions { LearningRate = 1000 },
            IntegerStep = new IntegerStepOptions(),
        };
        models.Add(new ModelEntry(DiscreteMlpModel,
            "Discrete MLP 784-1024-1024-10: int8 first layer on the raw pixels (step with reset), BN + threshold, " +
            "Boolean XNOR 1024x1024 (flip with reset), BN + threshold, int8 head + LayerNorm; integer-only inference",
            new ModelSettings { First = FirstLayerKind.Integer, Head = HeadKind.Integer, SignalPlanes = 6 }, training, BuildMlp));
    }
}
