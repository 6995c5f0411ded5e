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
        // Recipe (Fashion-MNIST, seed 1, 2 threads). bold-cnn's Boolean side (stochastic rounding, 4 planes,
        // cosine) with eta 6000: on 10k-image, 3-epoch runs eta 1500 / 3000 / 6000 / 12000 gave 81.7 / 84.2 /
        // 85.5 / 84.1 %; full data, 15 epochs: 91.19 % at 3000, 91.59 % at 6000. Integer eta 0.1 / 0.3 / 1 / 3
        // and 6 signal planes, a hidden width of 512, a head LayerNorm gain of 3 (or a batch norm on the logits)
        // made no difference beyond noise on the subset; a thermometer first conv (8 levels, 81.9 %) and a
        // Boolean head (79.0 % at an eta factor of 1/1000: its signal is ~1000x the BN layers') did worse.
        var training = new TrainingOptions
        {
            Epochs = 15, BatchSize = 100,
            Boolean = new BooleanOptimizerOptions { LearningRate = 6000 },
            IntegerStep = new IntegerStepOptions { LearningRate = 1 },
        };
        models.Add(new ModelEntry(DiscreteCnnModel,
            "Discrete CNN for 28x28x1: int8 conv3x3 1->32, max-pool, BN, threshold; Boolean conv3x3 32->64, BN, threshold, OR-pool; " +
            "Boolean conv3x3 64->128, BN, threshold; flatten; Boolean linear 6272->256, BN, threshold; int8 head + LayerNorm",
            settings, training,
            request => BuildConvolutional(request, SmallCnnPlan)));
    }
}
