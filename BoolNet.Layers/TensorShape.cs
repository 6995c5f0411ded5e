namespace BoolNet.Layers;

/// <summary>
/// Shape of one sample: height x width x channels (NHWC within a batch). A flat feature vector of
/// length n is 1 x 1 x n.
/// </summary>
public readonly record struct TensorShape(int Height, int Width, int Channels)
{
    /// <summary>Values per sample: H * W * C.</summary>
    public int Size => Height * Width * Channels;

    /// <summary>Spatial positions per sample: H * W.</summary>
    public int Positions => Height * Width;

    /// <summary>True for a flat vector (1 x 1 x C).</summary>
    public bool IsVector => Height == 1 && Width == 1;

    /// <summary>A flat vector of <paramref name="length"/> features.</summary>
    public static TensorShape Vector(int length) => new(1, 1, length);

    /// <inheritdoc />
    public override string ToString() => IsVector ? $"{Channels}" : $"{Height}x{Width}x{Channels}";
}
