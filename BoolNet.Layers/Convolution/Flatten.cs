using BoolNet.Core.Bits;
using BoolNet.Core.Convolution;

namespace BoolNet.Layers;

/// <summary>
/// Flattens a map into a feature vector in NHWC order (feature (y*W + x)*C + c), so a conv stack
/// feeds the linear layers:
/// <code>  bits: [N * H * W, C] -> [N, H*W*C] (re-packed)     real: [N*H*W*C] -> the same array </code>
/// The backward is the identity: a real NHWC gradient and its flat form are the same array.
/// </summary>
public sealed class Flatten : ILayer
{
    /// <summary>Creates the layer for maps of <paramref name="input"/>.</summary>
    public Flatten(TensorShape input, bool bits = true)
    {
        InputShape = input;
        OutputShape = TensorShape.Vector(input.Size);
        OutputIsBits = bits;
    }

    /// <inheritdoc />
    public string Kind => "flatten";

    /// <inheritdoc />
    public TensorShape InputShape { get; }

    /// <inheritdoc />
    public TensorShape OutputShape { get; }

    /// <inheritdoc />
    public bool OutputIsBits { get; }

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; } = [];

    /// <summary>Forward: re-packs bits [N*H*W, C] into [N, H*W*C], or passes real values through.</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        if (input.Shape != InputShape) throw new ArgumentException($"{Kind} expects samples of {InputShape}, got {input.Shape}");
        if (OutputIsBits)
        {
            BitMatrix x = input.RequireBits(Kind);
            return Batch.FromBits(InputShape.IsVector ? x : BitRepacking.Flatten(x, input.Count), input.Count, OutputShape);
        }
        return Batch.FromReal(input.RequireReal(Kind), input.Count, OutputShape);
    }

    /// <summary>Backward of a reshape: dL/dx = dL/dy, same NHWC order.</summary>
    public float[]? Backward(float[] outputGradient, LayerContext context) => context.NeedInputGradient ? outputGradient : null;
}
