using BoolNet.Core.Bits;

namespace BoolNet.Layers;

/// <summary>
/// A batch of samples flowing between layers: either packed bits or real numbers.
/// Bits: a <see cref="BitMatrix"/> of [Count * H * W, C], one row per spatial position, channels
/// packed in words (a flat vector has H = W = 1, so one row per sample). Real: float[Count * H * W * C]
/// in NHWC order.
/// </summary>
public sealed class Batch
{
    private Batch(int count, TensorShape shape, BitMatrix? bits, float[]? real)
    {
        Count = count;
        Shape = shape;
        Bits = bits;
        Real = real;
    }

    /// <summary>Number of samples.</summary>
    public int Count { get; }

    /// <summary>Shape of one sample.</summary>
    public TensorShape Shape { get; }

    /// <summary>Packed bits [Count * H * W, C], or null for a real batch.</summary>
    public BitMatrix? Bits { get; }

    /// <summary>Real values [Count * H * W * C] NHWC, or null for a bit batch.</summary>
    public float[]? Real { get; }

    /// <summary>True when the batch holds bits.</summary>
    public bool IsBits => Bits is not null;

    /// <summary>The bits, or a clear error naming what the layer expected.</summary>
    public BitMatrix RequireBits(string layer) =>
        Bits ?? throw new InvalidOperationException($"{layer} needs a Boolean input but received real values of shape {Shape}");

    /// <summary>The real values, or a clear error naming what the layer expected.</summary>
    public float[] RequireReal(string layer) =>
        Real ?? throw new InvalidOperationException($"{layer} needs a real input but received bits of shape {Shape}");

    /// <summary>Wraps packed bits [count * H * W, C].</summary>
    public static Batch FromBits(BitMatrix bits, int count, TensorShape shape)
    {
        if (bits.Rows != count * shape.Positions || bits.Columns != shape.Channels)
            throw new ArgumentException($"bits {bits.Rows}x{bits.Columns} do not hold {count} samples of {shape}");
        return new Batch(count, shape, bits, null);
    }

    /// <summary>Wraps real values [count * H * W * C].</summary>
    public static Batch FromReal(float[] real, int count, TensorShape shape)
    {
        if (real.Length < (long)count * shape.Size)
            throw new ArgumentException($"{real.Length} values do not hold {count} samples of {shape}");
        return new Batch(count, shape, null, real);
    }
}
