using BoolNet.Core.Operators;
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

    /// <summary>Boolean weights (trained by flip-with-reset): the same shapes with Boolean neurons.</summary>
    Boolean,
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
/// The Boolean form (<see cref="WeightKind.Boolean"/>, <c>compare --optimizers bold</c>) keeps the widths and
/// the topology, and every weight tensor is Boolean, trained by flip-with-reset; a neuron's ReLU and LN become
/// batch norm and a threshold (its output is a bit), and the head gives its scaled centred counts as logits
/// (see <see cref="BuildBooleanComparisonMlp"/>, <see cref="BuildBooleanComparisonCnn"/> and docs/zim.md).
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
        var bold = sgd with { Boolean = BooleanComparisonOptimizer, Real = new RealOptimizerOptions() };
        models.Add(new ModelEntry("bold-compare-mlp",
            "Boolean MLP 784-128-10 of the comparison: Boolean 784->128 on the 8 bit-planes of the pixels, BN, threshold, Boolean head (flip with reset)",
            settings, bold, r => BuildComparisonMlp(r, WeightKind.Boolean)));
        models.Add(new ModelEntry("bold-compare-cnn",
            "Boolean CNN of the comparison: thermometer (3 bits), Boolean conv 32 and 64 with OR-pools, Boolean fc 128, Boolean head (flip with reset)",
            settings, bold, r => BuildComparisonCnn(r, WeightKind.Boolean)));
    }

    /// <summary>
    /// The flip-with-reset settings of the Boolean comparison models: eta 0.1 on the signal divided by
    /// its RMS over each tensor (so one eta serves the bit-plane first layer, whose signal is about 17x
    /// smaller, and the others), cosine schedule, adaptive beta. Measured on the MLP, seed 1, 2 epochs
    /// (5,000 test images): eta 0.05 / 0.1 / 0.2 gave 81.4 / 81.2 / 81.3 % with the head at full rate, and
    /// the first layer flipped 0.5 / 1.3 / 3.4 times per weight; the raw eta 1000 of the catalogue MLPs
    /// flipped each head weight 131 times an epoch (on 20,000 images).
    /// </summary>
    public static BooleanOptimizerOptions BooleanComparisonOptimizer { get; } = new() { LearningRate = 0.1, NormalizeSignal = true };

    /// <summary>
    /// Factor on eta for the Boolean heads: one flip moves a logit by 2 x 4 / sqrt(128) = 0.7, and at the
    /// full rate each head weight flipped 3.6 times over 2 epochs (81.2 %); at 0.2, 0.3 times (82.1 %).
    /// </summary>
    public const float HeadLearningRateScale = 0.2f;

    /// <summary>The 784-128-10 MLP with LayerNorm after each layer.</summary>
    public static Network BuildComparisonMlp(ModelRequest request, WeightKind kind, double integerScale = DefaultIntegerInitialScale)
    {
        if (kind == WeightKind.Boolean) return BuildBooleanComparisonMlp(request);
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
        if (kind == WeightKind.Boolean) return BuildBooleanComparisonCnn(request);
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

    /// <summary>
    /// The Boolean 784-128-10 MLP. The hidden layer's 128x784 weights are Boolean and read the pixels
    /// exactly, all 8 bit-planes (<see cref="BitPlaneLinear"/>: a_j = sum_i e(w_ji) x_i / 255 by AND
    /// popcounts), then batch norm and a threshold give 128 bits, and a Boolean 10x128 head gives its
    /// centred XNOR counts times 4 / sqrt(128) as the logits. Every weight is a bit; only the 2 x 128
    /// batch-norm scales and shifts are float (Adam).
    /// </summary>
    public static Network BuildBooleanComparisonMlp(ModelRequest request)
    {
        var random = new Random(request.Seed);
        var first = new BitPlaneLinear(request.Input, ComparisonHidden, random, inputBits: 8, signal: SignalSettings.Exact);
        var layers = new List<ILayer> { first };
        AddBatchNormThreshold(layers, first.OutputShape);
        layers.Add(BooleanHead(ComparisonHidden, request.Classes, random, SignalSettings.Exact));
        return new Network(layers);
    }

    /// <summary>
    /// The Boolean form of the small CNN: the pixels as thermometer bits (<see cref="ComparisonThermometerLevels"/>
    /// per pixel), Boolean conv3x3 -> 32 and 32 -> 64 (pad 1), each with batch norm, a threshold and a 2x2
    /// OR-pool, then a Boolean fc 3136 -> 128 with batch norm and a threshold, and a Boolean head.
    /// </summary>
    public static Network BuildBooleanComparisonCnn(ModelRequest request)
    {
        var random = new Random(request.Seed);
        var signal = new SignalSettings(4, SignalRounding.Stochastic);
        var encoder = new ThermometerEncoding(request.Input, ComparisonThermometerLevels, flatten: false);
        var layers = new List<ILayer> { encoder };
        TensorShape shape = encoder.OutputShape;
        foreach (int channels in (int[])[32, 64])
        {
            layers.Add(new BooleanConvolution2D(shape, channels, 3, random, padding: 1, followedByPool: true,
                signal: signal, inputSignalScale: 2 * BatchNormSignalScale));
            AddBatchNormThreshold(layers, layers[^1].OutputShape);
            layers.Add(new BooleanMaxPool(layers[^1].OutputShape));
            shape = layers[^1].OutputShape;
        }
        layers.Add(new Flatten(shape));
        layers.Add(new BooleanLinear(shape.Size, ComparisonHidden, random, signal: signal, inputSignalScale: BatchNormSignalScale));
        AddBatchNormThreshold(layers, TensorShape.Vector(ComparisonHidden));
        layers.Add(BooleanHead(ComparisonHidden, request.Classes, random, signal));
        return new Network(layers);
    }

    /// <summary>Width of the comparison models' last hidden layer.</summary>
    private const int ComparisonHidden = 128;

    /// <summary>Thermometer bits per pixel of the Boolean comparison CNN's input.</summary>
    public const int ComparisonThermometerLevels = 3;

    private static void AddBatchNormThreshold(List<ILayer> layers, TensorShape shape)
    {
        layers.Add(new BatchNorm(shape));
        layers.Add(new ThresholdActivation(shape, Surrogate.Tanh, ThresholdActivation.BoldAlpha(1)));
    }

    private static BooleanLinear BooleanHead(int inputs, int classes, Random random, SignalSettings signal)
    {
        var head = new BooleanLinear(inputs, classes, random, bias: false, outputScale: 4f / MathF.Sqrt(inputs), signal: signal);
        head.Weight.LearningRateScale = HeadLearningRateScale;
        return head;
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
