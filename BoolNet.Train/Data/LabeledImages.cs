using BoolNet.Layers;

namespace BoolNet.Train.Data;

/// <summary>
/// Labelled images held as bytes: <see cref="Pixels"/> is [Count * H * W * C] in NHWC order
/// (0..255), <see cref="Labels"/> is [Count] class indices.
/// </summary>
public sealed class LabeledImages
{
    /// <summary>Wraps pixels and labels, checking that their sizes agree.</summary>
    public LabeledImages(byte[] pixels, byte[] labels, TensorShape shape)
    {
        if (pixels.LongLength != (long)labels.Length * shape.Size)
            throw new ArgumentException($"{pixels.LongLength} pixels do not hold {labels.Length} images of {shape}");
        Pixels = pixels;
        Labels = labels;
        Shape = shape;
    }

    /// <summary>Pixels [Count * H * W * C], NHWC.</summary>
    public byte[] Pixels { get; }

    /// <summary>Labels [Count].</summary>
    public byte[] Labels { get; }

    /// <summary>Shape of one image.</summary>
    public TensorShape Shape { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * Shape.Size, Shape.Size);
}

/// <summary>A dataset: a training split, a test split and the number of classes.</summary>
public sealed record Dataset(string Name, LabeledImages Train, LabeledImages Test, int ClassCount);
