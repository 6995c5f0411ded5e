using BoolNet.Layers;
using BoolNet.Core.Randomness;

namespace BoolNet.Training.Data;

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

    /// <summary>
    /// A copy holding the images at <paramref name="indices"/>, in that order (repeats allowed): e.g. an
    /// epoch in the trainer's order, <see cref="DeterministicRandom.Permutation(ulong, long, int)"/>, or a subset.
    /// </summary>
    public LabeledImages Subset(ReadOnlySpan<int> indices)
    {
        int size = Shape.Size;
        var pixels = new byte[(long)indices.Length * size];
        var labels = new byte[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            int index = indices[i];
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), index, $"image index out of range 0..{Count - 1}");
            Image(index).CopyTo(pixels.AsSpan(i * size, size));
            labels[i] = Labels[index];
        }
        return new LabeledImages(pixels, labels, Shape);
    }

    /// <summary>A copy of the first <paramref name="count"/> images (all if fewer), e.g. for quick runs.</summary>
    public LabeledImages Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        count = Math.Min(count, Count);
        return new LabeledImages(Pixels.AsSpan(0, count * Shape.Size).ToArray(), Labels.AsSpan(0, count).ToArray(), Shape);
    }
}

/// <summary>A dataset: a training split, a test split and the number of classes.</summary>
public sealed record Dataset(string Name, LabeledImages Train, LabeledImages Test, int ClassCount);
