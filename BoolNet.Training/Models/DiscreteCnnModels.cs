using BoolNet.Core.Operators;
using BoolNet.Training.Optimizers;

namespace BoolNet.Training.Models;

/// <summary>
/// The discrete CNN (issue 16): <see cref="BuildConvolutional"/> with an int8 first convolution on the
/// raw pixels and an int8 head (step with reset), Boolean hidden convolutions and linear layer
/// (flip with reset). Every weight is a bit or an int8; only batch norm's scale and shift are real,
/// and they fold into integer thresholds at export.
/// </summary>
public static partial class ModelCatalog
{
    /// <summary>Name of the discrete small CNN for 28x28 greyscale images.</summary>
    public const string DiscreteCnnModel = "bold-cnn-discrete";

    static partial void RegisterOtherModels(List<ModelEntry> models)
    {
        var settings = new ModelSettings
        {
            Hidden = [256], First = FirstLayerKind.Integer, Head = HeadKind.Integer, Rounding = SignalRounding.Stochastic,
        };
        var training = new TrainingOptions
        {
            Epochs = 15, BatchSize = 100,
            Boolean = new BooleanOptimizerOptions { LearningRate = 3000 },
            IntegerStep = new IntegerStepOptions { LearningRate = 1 },
        };
        models.Add(new ModelEntry(DiscreteCnnModel,
            "Discrete CNN for 28x28x1: int8 conv3x3 1->32, max-pool, BN, threshold; Boolean conv3x3 32->64, BN, threshold, OR-pool; " +
            "Boolean conv3x3 64->128, BN, threshold; flatten; Boolean linear 6272->256, BN, threshold; int8 head + LayerNorm",
            settings, training,
            request => BuildConvolutional(request, SmallCnnPlan)));
    }
}
