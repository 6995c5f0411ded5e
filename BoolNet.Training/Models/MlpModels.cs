using BoolNet.Layers;
using BoolNet.Training.Optimizers;

namespace BoolNet.Training.Models;

/// <summary>The Boolean multilayer perceptrons (issue 3).</summary>
public static partial class ModelCatalog
{
    static partial void RegisterMlpModels(List<ModelEntry> models)
    {
        // Recipe found on Fashion-MNIST (see the recipe table in the issue 3 notes): eta 1000 on the
        // batch-mean signal, adaptive beta, cosine schedule, batch 100, BN + tanh surrogate, Adam 1e-3
        // for the float first layer, BN affine and head. The default MLP quantises its backward signal
        // to 6 planes (nearest): 89.0 / 89.2 % on two seeds against 87.6 / 87.9 % with 4 planes and
        // 88.9 % exact, for about 10 % more epoch time; 5 planes gave 88.3 %, and 6 planes for only one
        // of q or g gave 87.3-87.6 %.
        var defaults = new TrainingOptions { Boolean = new BooleanOptimizerOptions { LearningRate = 1000 } };
        models.Add(new ModelEntry(DefaultModel,
            "Boolean MLP 784-1024-1024-10: float first layer (Adam), Boolean XNOR 1024x1024 hidden layer (flip with reset), BN + threshold, float head",
            new ModelSettings { First = FirstLayerKind.Real, SignalPlanes = 6 }, defaults, BuildMlp));
        models.Add(new ModelEntry("bold-mlp-bitplane",
            "Boolean MLP 784-1024-1024-10 with Boolean first-layer weights on the 4 top bit-planes of the pixels (exact popcount sums), float head",
            new ModelSettings { First = FirstLayerKind.BitPlane }, defaults, BuildMlp));
        models.Add(new ModelEntry("bold-mlp-thermometer",
            "Boolean MLP on thermometer-coded pixels (3 bits each): Boolean first layer, float head",
            new ModelSettings { First = FirstLayerKind.Thermometer }, defaults, BuildMlp));
        models.Add(new ModelEntry("bold-mlp-boolean-head",
            "Boolean MLP whose head is Boolean too (scaled centred counts are the logits), float first layer",
            new ModelSettings { First = FirstLayerKind.Real, Head = HeadKind.Boolean }, defaults, BuildMlp));
        models.Add(new ModelEntry("bold-mlp-small",
            "Small Boolean MLP 784-256-256-10 (bit-plane first layer) for quick checks and tests",
            new ModelSettings { Hidden = [256, 256] }, defaults with { Epochs = 2 }, BuildMlp));
    }

    /// <summary>
    /// Builds an MLP from <see cref="ModelSettings"/>: first layer (bit-plane / float / thermometer +
    /// Boolean linear), then [Boolean linear -> BN -> threshold] per hidden width, then the head.
    /// The network input is raw intensities 0..255 as a real batch.
    /// </summary>
    public static Network BuildMlp(ModelRequest request)
    {
        ModelSettings s = request.Settings;
        if (s.Hidden.Length == 0) throw new ArgumentException("an MLP needs at least one hidden layer");
        var random = new Random(request.Seed);
        var layers = new List<ILayer>();
        int width = s.Hidden[0];
        switch (s.First)
        {
            case FirstLayerKind.BitPlane:
                var bitPlane = new BitPlaneLinear(request.Input, width, random, s.InputBits,
                    s.FirstLayerSignalPlanes > 0 ? new SignalSettings(s.FirstLayerSignalPlanes, s.Rounding) : SignalSettings.Exact);
                bitPlane.Weight.LearningRateScale = s.FirstLayerLearningRateScale;
                layers.Add(bitPlane);
                break;
            case FirstLayerKind.Real:
                layers.Add(new RealLinear(request.Input, width, random, bias: !s.BatchNorm, inputScale: 1f / 255f));
                break;
            case FirstLayerKind.Integer:
                layers.Add(new IntegerLinear(request.Input, width, random, s.IntegerInitialScale, bias: false, inputScale: 1f / 255f, range: IntegerRange.Int8));
                break;
            case FirstLayerKind.Thermometer:
                var encoder = new ThermometerEncoding(request.Input, s.ThermometerLevels);
                layers.Add(encoder);
                layers.Add(new BooleanLinear(encoder.OutputShape.Channels, width, random, s.Logic, s.BooleanBias, signal: s.HiddenSignal));
                break;
        }
        int fanIn = request.Input.Size;
        AddNormalisationAndThreshold(layers, s, width, fanIn);
        for (int i = 1; i < s.Hidden.Length; i++)
        {
            layers.Add(new BooleanLinear(width, s.Hidden[i], random, s.Logic, s.BooleanBias, signal: s.HiddenSignal));
            fanIn = width;
            width = s.Hidden[i];
            AddNormalisationAndThreshold(layers, s, width, fanIn);
        }
        if (s.Head == HeadKind.Real)
            layers.Add(new RealLinear(TensorShape.Vector(width), request.Classes, random));
        else if (s.Head == HeadKind.Integer)
        {
            // The integer scores' scale is arbitrary, so a parameter-free LayerNorm sets the logits' scale
            // (Wilson et al.'s models do the same); it is monotone per sample, so the argmax is the scores'.
            layers.Add(new IntegerLinear(TensorShape.Vector(width), request.Classes, random, s.IntegerInitialScale, bias: false, range: IntegerRange.Int8));
            layers.Add(new LayerNorm(layers[^1].OutputShape, gain: s.HeadScale > 0 ? s.HeadScale : 1f));
        }
        else
            layers.Add(new BooleanLinear(width, request.Classes, random, s.Logic, bias: false,
                outputScale: s.HeadScale > 0 ? s.HeadScale : 4f / MathF.Sqrt(width), signal: s.HiddenSignal));
        return new Network(layers);
    }

    private static void AddNormalisationAndThreshold(List<ILayer> layers, ModelSettings s, int width, int fanIn)
    {
        TensorShape shape = TensorShape.Vector(width);
        if (s.BatchNorm) layers.Add(new BatchNorm(shape));
        // After BN the pre-activation has unit scale (BOLD's alpha with m = 1); without BN it is a
        // count of std ~ sqrt(fan-in), so alpha uses the fan-in and the box radius scales with it.
        float? width0 = s.SurrogateWidth;
        float surrogateWidth = width0 ?? (s.Surrogate == Surrogate.Tanh
            ? ThresholdActivation.BoldAlpha(s.BatchNorm ? 1 : fanIn)
            : (s.BatchNorm ? 1f : MathF.Sqrt(fanIn)));
        layers.Add(new ThresholdActivation(shape, s.Surrogate, surrogateWidth));
    }
}
