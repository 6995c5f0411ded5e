using BoolNet.Core.Operators;

namespace BoolNet.Layers;

/// <summary>
/// One layer: a forward/backward pair. A layer is built for a fixed input shape; its forward
/// caches what its backward needs (only when <see cref="LayerContext.Training"/> is set).
/// </summary>
public interface ILayer
{
    /// <summary>Stable kind name used by the model file and summaries, e.g. "boolean-linear".</summary>
    string Kind { get; }

    /// <summary>Shape of one input sample.</summary>
    TensorShape InputShape { get; }

    /// <summary>Shape of one output sample.</summary>
    TensorShape OutputShape { get; }

    /// <summary>True when <see cref="Forward"/> returns bits, false when it returns real values.</summary>
    bool OutputIsBits { get; }

    /// <summary>Trainable parameters (may be empty).</summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Computes the output batch for <paramref name="input"/>.</summary>
    Batch Forward(Batch input, LayerContext context);

    /// <summary>
    /// Given dL/d(output) (float[Count * OutputShape.Size], NHWC; for a bit output, the derivative
    /// with respect to its +-1 value e(y)), writes each parameter's signal/gradient for this batch
    /// (overwriting, not accumulating) and returns dL/d(input), or null when
    /// <see cref="LayerContext.NeedInputGradient"/> is false.
    /// </summary>
    float[]? Backward(float[] outputGradient, LayerContext context);
}

/// <summary>Per-call settings passed down through a network.</summary>
public sealed class LayerContext
{
    /// <summary>True during training: layers cache for backward and batch norm uses batch statistics.</summary>
    public bool Training { get; set; }

    /// <summary>Threads the kernels may use (0: the process default). Results never depend on it.</summary>
    public int Threads { get; set; }

    /// <summary>False for the first layer, whose input gradient nobody needs.</summary>
    public bool NeedInputGradient { get; set; } = true;

    /// <summary>Seeded randomness for layers that need it during training (deterministic per seed).</summary>
    public Random Random { get; set; } = new(0);

    /// <summary>
    /// Index of the current optimisation step (batch) since training began. Counter-based
    /// randomness (stochastic rounding of signals) keys on it, so a resumed run repeats exactly.
    /// </summary>
    public long Step { get; set; }

    /// <summary>Run seed mixed into counter-based randomness.</summary>
    public ulong Seed { get; set; }

    /// <summary>
    /// Where layers take their output and gradient arrays from (null: fresh arrays). A trainer that
    /// sets it recycles it between steps, so a returned array lives until the next step begins.
    /// </summary>
    public Workspace? Workspace { get; set; }

    /// <summary>
    /// Optimizer steps fused into the backward (null: none). A Boolean layer asks it, through
    /// <see cref="FusedUpdate"/>, for its weight's step and hands that to the weight signal as its
    /// epilogue, which updates each weight row as soon as the row's signal is final.
    /// </summary>
    public IFusedUpdates? FusedUpdates { get; set; }

    /// <summary>
    /// The fused optimizer step of <paramref name="parameter"/> for this backward (<see cref="FusedUpdates"/>),
    /// or the empty epilogue that leaves the step to the optimizer. A layer asks once per backward, and
    /// only where it applies the result to every row of the parameter's signal after its last read of the weights.
    /// </summary>
    public FlipWithResetRows FusedUpdate(BooleanParameter parameter) => FusedUpdates?.Begin(parameter) ?? default;

    /// <summary>
    /// A float array of <paramref name="length"/> elements with undefined contents, for a result the
    /// caller writes in full: from <see cref="Workspace"/> when one is set, else newly allocated.
    /// </summary>
    public float[] Floats(int length) => Workspace?.Floats(length) ?? GC.AllocateUninitializedArray<float>(length);
}
