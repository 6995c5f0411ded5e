using BoolNet.Core.Convolution;
using BoolNet.Core.Operators;
using BoolNet.Layers;
using BoolNet.Training.Optimizers;

namespace BoolNet.Training.Models;

/// <summary>Boolean convolutional networks (issue 4).</summary>
public static partial class ModelCatalog
{
    /// <summary>Name of the small Boolean CNN for 28x28 greyscale images (Fashion-MNIST, MNIST).</summary>
    public const string SmallCnnModel = "bold-cnn";

    /// <summary>Name of the VGG-Small-style Boolean CNN for 32x32 RGB images (CIFAR-10).</summary>
    public const string VggSmallModel = "bold-vgg-small";

    static partial void RegisterConvolutionalModels(List<ModelEntry> models)
    {
        // Stochastic rounding keeps the many small conv signals alive in expectation (4 planes, nearest
        // rounding zeroes every |z| below max|z| / 14). eta tuned on 5000-image runs (1000: 66.8 %,
        // 4000: 80.1 %, 12000: 76.9 % test accuracy after one pass).
        var cnnSettings = new ModelSettings { Hidden = [256], First = FirstLayerKind.Real, Head = HeadKind.Real, Rounding = SignalRounding.Stochastic };
        var cnnTraining = new TrainingOptions { Epochs = 6, BatchSize = 100, Boolean = new BooleanOptimizerOptions { LearningRate = 3000 } };
        var vggSettings = new ModelSettings { Hidden = [], First = FirstLayerKind.Real, Head = HeadKind.Real, Rounding = SignalRounding.Stochastic };
        models.Add(new ModelEntry(SmallCnnModel,
            "Boolean CNN for 28x28x1: float conv3x3 1->32, BN, threshold, OR-pool; Boolean conv3x3 32->64, BN, threshold, OR-pool; " +
            "Boolean conv3x3 64->128, BN, threshold; flatten; Boolean linear 6272->256, BN, threshold; float head",
            cnnSettings, cnnTraining,
            request => BuildConvolutional(request, SmallCnnPlan)));
        models.Add(new ModelEntry(SmallCnnModel + "-thermometer",
            "The small Boolean CNN on thermometer-coded pixels (3 bits each) with a Boolean first conv",
            cnnSettings with { First = FirstLayerKind.Thermometer }, cnnTraining,
            request => BuildConvolutional(request, SmallCnnPlan)));
        models.Add(new ModelEntry(VggSmallModel,
            "VGG-Small-style Boolean CNN for 32x32x3: float conv3x3 3->128, then Boolean conv3x3 128-128(pool)-256-256(pool)-512-512(pool), " +
            "each with BN and threshold, OR max-pools; flatten 8192; float head (BOLD's CIFAR-10 shape)",
            vggSettings, cnnTraining with { Epochs = 50 },
            request => BuildConvolutional(request, VggSmallPlan)) { InputShape = new TensorShape(32, 32, 3), Dataset = "cifar10" });
        models.Add(new ModelEntry(VggSmallModel + "-half",
            "VGG-Small at half width (64-64-128-128-256-256) for quicker CIFAR-10 runs",
            vggSettings, cnnTraining with { Epochs = 30 },
            request => BuildConvolutional(request, VggSmallHalfPlan)) { InputShape = new TensorShape(32, 32, 3), Dataset = "cifar10" });
    }

    /// <summary>
    /// Input-signal scale of the Boolean layers when batch norm follows each of them (x2 before a pool).
    /// docs/ALGORITHMS.md's sqrt(2 stride / (c_out kh kw)) keeps unnormalised counts stable; with BN, its
    /// backward already divides by the count's std (~sqrt(fan-in), 17-24 here), so that scaling made the
    /// accumulators shrink ~7x per layer towards the input (measured max |m| 0.12 / 0.80 / 2.33 for
    /// conv2 / conv3 / fc on a Fashion-MNIST subset) and the convolutions never flipped. A flat 0.3 gave
    /// flip ratios of the same order in every layer (6.8e-5 / 2.1e-4 / 1.3e-4 at eta 1000).
    /// </summary>
    public const float BatchNormSignalScale = 0.3f;

    /// <summary>One convolution of a plan: output channels and whether a 2x2 OR max-pool follows it.</summary>
    public readonly record struct ConvolutionStage(int Channels, bool Pool);

    /// <summary>The small CNN: 32 (pool) - 64 (pool) - 128 at 28x28 -> 7x7x128.</summary>
    public static IReadOnlyList<ConvolutionStage> SmallCnnPlan { get; } = [new(32, true), new(64, true), new(128, false)];

    /// <summary>VGG-Small: 128 - 128 (pool) - 256 - 256 (pool) - 512 - 512 (pool).</summary>
    public static IReadOnlyList<ConvolutionStage> VggSmallPlan { get; } =
        [new(128, false), new(128, true), new(256, false), new(256, true), new(512, false), new(512, true)];

    /// <summary>VGG-Small at half width.</summary>
    public static IReadOnlyList<ConvolutionStage> VggSmallHalfPlan { get; } =
        [new(64, false), new(64, true), new(128, false), new(128, true), new(256, false), new(256, true)];

    /// <summary>
    /// Builds a Boolean CNN from a plan of 3x3 convolutions (padding 1, <see cref="PaddingMode.Exclude"/>),
    /// each followed by BN over channels and a threshold, then a 2x2 OR max-pool where the plan says.
    /// The first convolution reads the raw 0..255 input: float weights (<see cref="FirstLayerKind.Real"/>),
    /// int8 weights (<see cref="FirstLayerKind.Integer"/>, no bias) or thermometer bits and a Boolean
    /// convolution (<see cref="FirstLayerKind.Thermometer"/>). Then flatten, the Boolean linear layers of
    /// <see cref="ModelSettings.Hidden"/> (BN + threshold each) and the head (<see cref="HeadKind"/>).
    /// Every hidden convolution and linear layer has Boolean weights.
    /// </summary>
    public static Network BuildConvolutional(ModelRequest request, IReadOnlyList<ConvolutionStage> plan)
    {
        ModelSettings s = request.Settings;
        if (plan.Count == 0) throw new ArgumentException("a convolutional plan needs at least one convolution");
        var random = new Random(request.Seed);
        var layers = new List<ILayer>();
        TensorShape shape = request.Input;
        for (int i = 0; i < plan.Count; i++)
        {
            ConvolutionStage stage = plan[i];
            if (i == 0)
            {
                switch (s.First)
                {
                    case FirstLayerKind.Real or FirstLayerKind.Integer:
                        // Float or int8 (step with reset) weights on the raw pixels, scaled by 1/255; with BN, no bias.
                        layers.Add(s.First == FirstLayerKind.Real
                            ? new RealConvolution2D(shape, stage.Channels, 3, random, padding: 1, bias: s.BatchNorm ? BiasInit.None : BiasInit.Zero, inputScale: 1f / 255f)
                            : new IntegerConvolution(shape, stage.Channels, 3, random, s.IntegerInitialScale, padding: 1,
                                bias: false, inputScale: 1f / 255f, range: IntegerRange.Int8));
                        if (stage.Pool)
                        {
                            // Real-valued map: pool before BN and threshold (max commutes with the monotone
                            // BN + threshold when gamma > 0) so they process a quarter of the positions.
                            layers.Add(new RealMaxPool(layers[^1].OutputShape));
                            shape = layers[^1].OutputShape;
                            AddNormalisationAndThreshold(layers, s, shape, 9 * request.Input.Channels);
                            continue;
                        }
                        break;
                    case FirstLayerKind.Thermometer:
                        var encoder = new ThermometerEncoding(shape, s.ThermometerLevels, flatten: false);
                        layers.Add(encoder);
                        layers.Add(new BooleanConvolution2D(encoder.OutputShape, stage.Channels, 3, random, padding: 1,
                            logic: s.Logic, followedByPool: stage.Pool, signal: s.HiddenSignal,
                            inputSignalScale: s.BatchNorm ? BatchNormSignalScale * (stage.Pool ? 2f : 1f) : null));
                        break;
                    default:
                        throw new ArgumentException($"first layer '{s.First}' is not available for convolutional models (use Real, Integer or Thermometer)");
                }
            }
            else
            {
                float? signalScale = s.BatchNorm ? BatchNormSignalScale * (stage.Pool ? 2f : 1f) : null;
                layers.Add(new BooleanConvolution2D(shape, stage.Channels, 3, random, padding: 1, logic: s.Logic,
                    followedByPool: stage.Pool, signal: s.HiddenSignal, inputSignalScale: signalScale));
            }
            shape = layers[^1].OutputShape;
            AddNormalisationAndThreshold(layers, s, shape, 9 * (i == 0 ? request.Input.Channels : plan[i - 1].Channels));
            if (stage.Pool)
            {
                layers.Add(new BooleanMaxPool(shape));
                shape = layers[^1].OutputShape;
            }
        }
        layers.Add(new Flatten(shape));
        int width = shape.Size;
        foreach (int hidden in s.Hidden)
        {
            float? linearScale = s.BatchNorm ? BatchNormSignalScale : null;
            layers.Add(new BooleanLinear(width, hidden, random, s.Logic, s.BooleanBias, signal: s.HiddenSignal, inputSignalScale: linearScale));
            AddNormalisationAndThreshold(layers, s, TensorShape.Vector(hidden), width);
            width = hidden;
        }
        if (s.Head == HeadKind.Real)
            layers.Add(new RealLinear(TensorShape.Vector(width), request.Classes, random));
        else if (s.Head == HeadKind.Integer)
        {
            // Int8 scores on the +-1 features; a parameter-free LayerNorm sets their scale (as in BuildMlp).
            layers.Add(new IntegerLinear(TensorShape.Vector(width), request.Classes, random, s.IntegerInitialScale, bias: false, range: IntegerRange.Int8));
            layers.Add(new LayerNorm(layers[^1].OutputShape, gain: s.HeadScale > 0 ? s.HeadScale : 1f));
        }
        else
            layers.Add(new BooleanLinear(width, request.Classes, random, s.Logic, bias: false,
                outputScale: s.HeadScale > 0 ? s.HeadScale : 4f / MathF.Sqrt(width), signal: s.HiddenSignal));
        return new Network(layers);
    }

    private static void AddNormalisationAndThreshold(List<ILayer> layers, ModelSettings s, TensorShape shape, int fanIn)
    {
        if (s.BatchNorm) layers.Add(new BatchNorm(shape));
        float surrogateWidth = s.SurrogateWidth ?? (s.Surrogate == Surrogate.Tanh
            ? ThresholdActivation.BoldAlpha(s.BatchNorm ? 1 : fanIn)
            : (s.BatchNorm ? 1f : MathF.Sqrt(fanIn)));
        layers.Add(new ThresholdActivation(shape, s.Surrogate, surrogateWidth));
    }
}
