using System.Text.Json.Serialization;
using BoolNet.Core.Operators;
using BoolNet.Layers;

namespace BoolNet.Training.Models;

/// <summary>How an MLP reads its real (8-bit) input.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FirstLayerKind>))]
public enum FirstLayerKind
{
    /// <summary>Boolean weights on the 8-bit input, exact by bit-planes (<see cref="BitPlaneLinear"/>).</summary>
    BitPlane,

    /// <summary>A float linear layer (<see cref="RealLinear"/>, Adam).</summary>
    Real,

    /// <summary>Thermometer code into T bits per pixel, then a Boolean linear layer.</summary>
    Thermometer,

    /// <summary>Int8-range integer weights on the raw 0..255 pixels (<see cref="IntegerLinear"/>, a discrete integer update).</summary>
    Integer,
}

/// <summary>Classifier head.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HeadKind>))]
public enum HeadKind
{
    /// <summary>Float linear layer on the +-1 features (Adam).</summary>
    Real,

    /// <summary>Boolean linear layer whose centred counts times a scale are the logits.</summary>
    Boolean,

    /// <summary>Int8-range integer linear layer on the +-1 features, then a parameter-free LayerNorm (the logits).</summary>
    Integer,
}

/// <summary>
/// Architecture knobs of the catalogue's models. Each model entry carries its defaults; the CLI
/// overrides single fields (--hidden, --first, --head, --planes, ...). Serialised into checkpoints
/// so a resumed run rebuilds the same network.
/// </summary>
public sealed record ModelSettings
{
    /// <summary>Hidden layer widths.</summary>
    public int[] Hidden { get; init; } = [1024, 1024];

    /// <summary>First-layer variant.</summary>
    public FirstLayerKind First { get; init; } = FirstLayerKind.BitPlane;

    /// <summary>Bit-plane first layer: input planes kept (most significant).</summary>
    public int InputBits { get; init; } = 4;

    /// <summary>
    /// Bit-plane first layer: factor on the Boolean eta for its weights. Its signal
    /// q = sum_n z x / (2^B - 1) has pixel levels in [0, 1], half of them background zeros, so under
    /// the hidden layers' eta its accumulators never reach the flip threshold (measured: 0 flips in
    /// 10 epochs, |eta q| ~17x below the hidden layer's).
    /// </summary>
    public float FirstLayerLearningRateScale { get; init; } = 1f;

    /// <summary>Thermometer first layer: bits per pixel.</summary>
    public int ThermometerLevels { get; init; } = 3;

    /// <summary>Classifier head.</summary>
    public HeadKind Head { get; init; } = HeadKind.Real;

    /// <summary>Boolean head: logit scale (0: 4 / sqrt(fan-in)); integer head: the LayerNorm's gain on the logits (0: 1).</summary>
    public float HeadScale { get; init; }

    /// <summary>Batch norm after each Boolean linear layer.</summary>
    public bool BatchNorm { get; init; } = true;

    /// <summary>Surrogate derivative of the threshold.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<Surrogate>))]
    public Surrogate Surrogate { get; init; } = Surrogate.Tanh;

    /// <summary>Surrogate width (tanh alpha / box r); null: BOLD's alpha (box: r = 1), on BN outputs m = 1.</summary>
    public float? SurrogateWidth { get; init; }

    /// <summary>Signal bit-planes P in the Boolean backward (0: exact float path).</summary>
    public int SignalPlanes { get; init; } = 4;

    /// <summary>Rounding of the signal onto its planes.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<SignalRounding>))]
    public SignalRounding Rounding { get; init; } = SignalRounding.Nearest;

    /// <summary>Planes for the weight signal of the bit-plane first layer (0: exact floats).</summary>
    public int FirstLayerSignalPlanes { get; init; } = 4;

    /// <summary>Neuron logic.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<BinaryLogic>))]
    public BinaryLogic Logic { get; init; } = BinaryLogic.Xnor;

    /// <summary>Boolean bias in the Boolean linear layers.</summary>
    public bool BooleanBias { get; init; }

    /// <summary>Signal planes of the input signal g in the hidden layers' backward (0: as <see cref="SignalPlanes"/>).</summary>
    public int InputSignalPlanes { get; init; }

    /// <summary>Integer layers: weights start as round(A * U(-1, 1)), A this value (clamped to the layer's range).</summary>
    public double IntegerInitialScale { get; init; } = 32;

    /// <summary>The signal settings of the hidden Boolean layers.</summary>
    public SignalSettings HiddenSignal => new(SignalPlanes, Rounding) { InputPlanes = InputSignalPlanes > 0 ? InputSignalPlanes : null };

    /// <summary>One-line description for reports.</summary>
    public string Describe() =>
        $"hidden {string.Join('-', Hidden)}, first {First}{(First == FirstLayerKind.BitPlane ? $"({InputBits} bits)" : First == FirstLayerKind.Thermometer ? $"(T={ThermometerLevels})" : "")}, " +
        $"head {Head}, BN {(BatchNorm ? "on" : "off")}, surrogate {Surrogate}, signal {HiddenSignal}, logic {Logic}";
}
