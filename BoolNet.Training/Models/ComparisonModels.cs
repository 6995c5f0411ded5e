using BoolNet.Layers;
using BoolNet.Training.Optimizers;
using BoolNet.Training.Optimizers.Zim;

namespace BoolNet.Training.Models;

/// <summary>Which weights a comparison model uses.</summary>
public enum WeightKind
{
    /// <summary>float32 weights (trained by SGD).</summary>
    Real,

    /// <summary>int32 weights used as numbers (trained by ZIM).</summary>
    Integer,
}

/// <summary>
/// The small models of Wilson, Zanasi, Constantinides (2025) and their reference code, each in a float
/// form (for SGD) and an integer-weight form (for ZIM) with identical layer shapes; inputs are raw
/// intensities 0..255, scaled by 1/255 in the first layer; every LayerNorm is parameter-free.
/// <list type="bullet">
/// <item>MLP 784-128-10: fc 784->128, ReLU, LN, fc 128->10, LN (LN after each layer; the reference
/// "hidden" model has it on the logits only).</item>
/// <item>CNN: conv3x3 1->32 (pad 1), pool 2x2, ReLU, LN, conv3x3 32->64 (pad 1), pool, ReLU, LN,
/// fc 3136->128, ReLU, LN, fc 128->10, LN (the reference's pool(relu(conv)): ReLU and max commute,
/// pooling first is cheaper).</item>
/// </list>
/// </summary>
public static partial class ModelCatalog
{
    /// <summary>Default amplitude of the integer weight initialisation round(A * U(-1, 1)).</summary>
    public const double DefaultIntegerInitialScale = 16;

    static partial void RegisterComparisonModels(List<ModelEntry> models)
    {
        var settings = new ModelSettings();
        var sgd = new TrainingOptions
        {
            Epochs = 5,
            BatchSize = 64,
            Real = new RealOptimizerOptions { Kind = RealOptimizerKind.Sgd, LearningRate = 0.01, Momentum = 0, Schedule = LearningRateSchedule.Constant },
        };
        var zim = sgd with { IntegerOptimizerFactory = ZimOptimizer.Factory(new ZimOptions()) };
        models.Add(new ModelEntry("sgd-mlp", "Float MLP 784-128-10 with parameter-free LayerNorm after each layer (SGD lr 0.01, batch 64)",
            settings, sgd, r => BuildComparisonMlp(r, WeightKind.Real)));
        models.Add(new ModelEntry("zim-mlp", "Integer-weight MLP 784-128-10 with LayerNorm after each layer, trained by ZIM",
            settings, zim, r => BuildComparisonMlp(r, WeightKind.Integer)));
        models.Add(new ModelEntry("sgd-cnn", "Float CNN of Wilson et al.: conv32-pool-LN-conv64-pool-LN-fc128-LN-fc10-LN (SGD lr 0.01, batch 64)",
            settings, sgd, r => BuildComparisonCnn(r, WeightKind.Real)));
        models.Add(new ModelEntry("zim-cnn", "Integer-weight CNN of Wilson et al. (same shapes), trained by ZIM",
            settings, zim, r => BuildComparisonCnn(r, WeightKind.Integer)));
    }

    /// <summary>The 784-128-10 MLP with LayerNorm after each layer.</summary>
    public static Network BuildComparisonMlp(ModelRequest request, WeightKind kind, double integerScale = DefaultIntegerInitialScale)
    {
        var random = new Random(request.Seed);
        var layers = new List<ILayer>();
        layers.Add(Dense(kind, request.Input, 128, random, integerScale, 1f / 255f));
        AddReluNorm(layers);
        layers.Add(Dense(kind, layers[^1].OutputShape, request.Classes, random, integerScale, 1f));
        layers.Add(new LayerNorm(layers[^1].OutputShape));
        return new Network(layers);
    }

    /// <summary>The small CNN of the paper's experiments.</summary>
    public static Network BuildComparisonCnn(ModelRequest request, WeightKind kind, double integerScale = DefaultIntegerInitialScale)
    {
        var random = new Random(request.Seed);
        var layers = new List<ILayer>();
        layers.Add(Convolution(kind, request.Input, 32, random, integerScale, 1f / 255f));
        layers.Add(Pool(layers[^1].OutputShape));
        AddReluNorm(layers);
        layers.Add(Convolution(kind, layers[^1].OutputShape, 64, random, integerScale, 1f));
        layers.Add(Pool(layers[^1].OutputShape));
        AddReluNorm(layers);
        layers.Add(Dense(kind, layers[^1].OutputShape, 128, random, integerScale, 1f));
        AddReluNorm(layers);
        layers.Add(Dense(kind, layers[^1].OutputShape, request.Classes, random, integerScale, 1f));
        layers.Add(new LayerNorm(layers[^1].OutputShape));
        return new Network(layers);
    }

    private static void AddReluNorm(List<ILayer> layers)
    {
        layers.Add(new Relu(layers[^1].OutputShape));
        layers.Add(new LayerNorm(layers[^1].OutputShape));
    }

    private static ILayer Dense(WeightKind kind, TensorShape input, int outputs, Random random, double integerScale, float inputScale) =>
        kind == WeightKind.Real
            ? new RealLinear(input, outputs, random, inputScale: inputScale)
            : new IntegerLinear(input, outputs, random, integerScale, inputScale: inputScale);

    private static ILayer Convolution(WeightKind kind, TensorShape input, int outputs, Random random, double integerScale, float inputScale) =>
        kind == WeightKind.Real
            ? new RealConvolution2D(input, outputs, 3, random, padding: 1, bias: BiasInit.Uniform, inputScale: inputScale, kind: RealConvolution2D.ComparisonKindName)
            : new IntegerConvolution(input, outputs, 3, random, integerScale, padding: 1, inputScale: inputScale);

    // 2x2 max-pool, stride 2. The comparison models record their float layers under the comparison kind
    // names, the names their checkpoints and weight hashes have always carried.
    private static RealMaxPool Pool(TensorShape input) => new(input, 2, kind: RealMaxPool.ComparisonKindName);
}
