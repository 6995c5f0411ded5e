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
