using BoolNet.Layers;
using BoolNet.Training.Optimizers;
using BoolNet.Training.Optimizers.Zim;

namespace BoolNet.Training.Models;

/// <summary>How a discrete CNN reads its raw 0..255 pixels.</summary>
public enum DiscreteFirstLayer
{
    /// <summary>An int8 convolution (<see cref="IntegerConvolution"/>, range -127..127) on the pixels times 1/255.</summary>
    Integer,

    /// <summary>Thermometer bits (T per pixel, <see cref="ModelSettings.ThermometerLevels"/>), then a Boolean convolution.</summary>
    Thermometer,
}

/// <summary>The classifier head of a discrete CNN.</summary>
public enum DiscreteHead
{
    /// <summary>A Boolean linear layer whose centred counts times a scale are the logits.</summary>
    Boolean,

    /// <summary>An int8 linear layer (<see cref="IntegerLinear"/>) on the +-1 features, then batch norm over the logits.</summary>
    Integer,
}

/// <summary>
/// The shape of a discrete CNN beyond <see cref="ModelSettings"/>: first layer, head, convolution plan
/// and the per-layer factors on the Boolean eta.
/// </summary>
public sealed record DiscreteCnnDesign
{
    /// <summary>First convolution.</summary>
    public DiscreteFirstLayer First { get; init; } = DiscreteFirstLayer.Integer;

    /// <summary>Classifier head.</summary>
    public DiscreteHead Head { get; init; } = DiscreteHead.Boolean;

    /// <summary>The 3x3 convolutions and their pools.</summary>
    public IReadOnlyList<ModelCatalog.ConvolutionStage> Plan { get; init; } = ModelCatalog.SmallCnnPlan;

    /// <summary>Factor on the Boolean eta of a Boolean first convolution (thermometer input).</summary>
    public float FirstRateScale { get; init; } = 1f;

    /// <summary>Factor on the Boolean eta of a Boolean head.</summary>
    public float HeadRateScale { get; init; } = 1f;

    /// <summary>Integer head: initial scale (gamma) of the batch norm over the logits.</summary>
    public float HeadNormalizationScale { get; init; } = 1f;

    /// <summary>Integer layers start as round(A * U(-1, 1)) clamped to -127..127; A.</summary>
    public double IntegerInitialScale { get; init; } = 32;
}

/// <summary>
/// Boolean CNNs in which every weight is a bit or an int8 and every update is discrete (issue 16):
/// an int8 (or thermometer + Boolean) first convolution, Boolean hidden convolutions and linear layers
/// (flip-with-reset), and a Boolean or int8 head. Only batch norm keeps real parameters (it folds into
/// integer thresholds at export).
/// </summary>
public static partial class ModelCatalog
{
    /// <summary>Name of the discrete small CNN for 28x28 greyscale images.</summary>
    public const string DiscreteCnnModel = "bold-cnn-discrete";

    static partial void RegisterOtherModels(List<ModelEntry> models)
    {
        var settings = new ModelSettings
        {
            Hidden = [256], First = FirstLayerKind.Real, Head = HeadKind.Boolean,
            Rounding = Core.Operators.SignalRounding.Stochastic,
        };
        var training = new TrainingOptions
        {
            Epochs = 15, BatchSize = 100, Boolean = new BooleanOptimizerOptions { LearningRate = 3000 },
            IntegerOptimizerFactory = ZimOptimizer.Factory(new ZimOptions { Eta = 1, Smoothing = 1e-6, TrialFactor = 1 }),
        };
        var design = new DiscreteCnnDesign();
        models.Add(new ModelEntry(DiscreteCnnModel,
            "Discrete CNN for 28x28x1: int8 conv3x3 1->32, BN, threshold, OR-pool; Boolean conv3x3 32->64, BN, threshold, OR-pool; " +
            "Boolean conv3x3 64->128, BN, threshold; flatten; Boolean linear 6272->256, BN, threshold; Boolean head",
            settings, training,
            request => BuildDiscreteConvolutional(request, design)));
    }

    /// <summary>
    /// Builds a discrete CNN: <see cref="BuildConvolutional"/>'s stages with the first convolution and
    /// the head chosen by <paramref name="design"/>. Every parameter is Boolean or int8, except batch norm's.
    /// </summary>
    public static Network BuildDiscreteConvolutional(ModelRequest request, DiscreteCnnDesign design)
    {
        ModelSettings s = request.Settings;
        IReadOnlyList<ConvolutionStage> plan = design.Plan;
        if (plan.Count == 0) throw new ArgumentException("a convolutional plan needs at least one convolution");
        if (!s.BatchNorm) throw new ArgumentException("the discrete CNN needs batch norm (its integer first layer has no scale of its own)");
        var random = new Random(request.Seed);
        var layers = new List<ILayer>();
        TensorShape shape = request.Input;
        for (int i = 0; i < plan.Count; i++)
        {
            ConvolutionStage stage = plan[i];
            float signalScale = BatchNormSignalScale * (stage.Pool ? 2f : 1f);
            if (i == 0 && design.First == DiscreteFirstLayer.Integer)
            {
                layers.Add(new IntegerConvolution(shape, stage.Channels, 3, random, design.IntegerInitialScale, padding: 1,
                    bias: false, inputScale: 1f / 255f, range: IntegerRange.Int8));
                if (stage.Pool)
                {
                    // Real map: pool before BN and threshold, as in BuildConvolutional.
                    layers.Add(new RealMaxPool(layers[^1].OutputShape));
                    shape = layers[^1].OutputShape;
                    AddNormalisationAndThreshold(layers, s, shape, 9 * request.Input.Channels);
                    continue;
                }
            }
            else if (i == 0)
            {
                var encoder = new ThermometerEncoding(shape, s.ThermometerLevels, flatten: false);
                layers.Add(encoder);
                var first = new BooleanConvolution2D(encoder.OutputShape, stage.Channels, 3, random, padding: 1,
                    logic: s.Logic, followedByPool: stage.Pool, signal: s.HiddenSignal, inputSignalScale: signalScale);
                first.Weight.LearningRateScale = design.FirstRateScale;
                layers.Add(first);
            }
            else
            {
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
            layers.Add(new BooleanLinear(width, hidden, random, s.Logic, s.BooleanBias, signal: s.HiddenSignal, inputSignalScale: BatchNormSignalScale));
            AddNormalisationAndThreshold(layers, s, TensorShape.Vector(hidden), width);
            width = hidden;
        }
        if (design.Head == DiscreteHead.Boolean)
        {
            var head = new BooleanLinear(width, request.Classes, random, s.Logic, bias: false,
                outputScale: s.HeadScale > 0 ? s.HeadScale : 4f / MathF.Sqrt(width), signal: s.HiddenSignal);
            head.Weight.LearningRateScale = design.HeadRateScale;
            layers.Add(head);
        }
        else
        {
            layers.Add(new IntegerLinear(TensorShape.Vector(width), request.Classes, random, design.IntegerInitialScale,
                bias: false, range: IntegerRange.Int8));
            var logits = new BatchNorm(TensorShape.Vector(request.Classes));
            Array.Fill(logits.Scale!.Value, design.HeadNormalizationScale);
            layers.Add(logits);
        }
        return new Network(layers);
    }
}
