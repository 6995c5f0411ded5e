using System.Text.Json.Serialization;
using BoolNet.Core.Operators;
using BoolNet.Core.Randomness;
using BoolNet.Layers;

namespace BoolNet.Training.Data;

/// <summary>Training-time image augmentation.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AugmentationKind>))]
public enum AugmentationKind
{
    /// <summary>Images as stored.</summary>
    None,

    /// <summary>Mirror left-right with probability 1/2.</summary>
    Flip,

    /// <summary>Mirror with probability 1/2, then shift by up to <see cref="Augmentation.MaxShift"/> pixels in x and y (zero fill).</summary>
    FlipShift,
}

/// <summary>
/// Label-preserving augmentation of training images, a pure function of (seed, epoch, position in
/// the epoch): no random state is carried, so a resumed run sees the same images as an
/// uninterrupted one and the result does not depend on the thread count. Fashion-MNIST's classes
/// are left-right symmetric (a mirrored sneaker is a sneaker), so mirroring is safe there; it is
/// not for digits, which is why it is a choice.
/// </summary>
public static class Augmentation
{
    /// <summary>Largest shift in pixels of <see cref="AugmentationKind.FlipShift"/>.</summary>
    public const int MaxShift = 2;

    /// <summary>
    /// Writes image <paramref name="source"/> (H x W x C bytes) into <paramref name="target"/> as floats,
    /// transformed as <paramref name="kind"/> says for the draw <paramref name="key"/>.
    /// </summary>
    public static void Apply(AugmentationKind kind, ReadOnlySpan<byte> source, Span<float> target, TensorShape shape, ulong key)
    {
        if (source.Length != shape.Size || target.Length != shape.Size)
            throw new ArgumentException($"an image of {shape} needs {shape.Size} values, got {source.Length} in and {target.Length} out");
        if (kind == AugmentationKind.None)
        {
            Elementwise.Widen(source, target);
            return;
        }
        ulong draw = DeterministicRandom.Hash(key, 0xA06UL);
        bool mirror = (draw & 1) != 0;
        int span = 2 * MaxShift + 1;
        int dx = kind == AugmentationKind.FlipShift ? (int)((draw >> 8) % (ulong)span) - MaxShift : 0;
        int dy = kind == AugmentationKind.FlipShift ? (int)((draw >> 24) % (ulong)span) - MaxShift : 0;
        int height = shape.Height, width = shape.Width, channels = shape.Channels;
        // target(y, x) = source(y - dy, x' - dx) with x' the mirrored column; zero outside the image.
        for (int y = 0; y < height; y++)
        {
            int sy = y - dy;
            for (int x = 0; x < width; x++)
            {
                int sx = (mirror ? width - 1 - x : x) - dx;
                Span<float> pixel = target.Slice((y * width + x) * channels, channels);
                if ((uint)sy >= (uint)height || (uint)sx >= (uint)width)
                {
                    pixel.Clear();
                    continue;
                }
                ReadOnlySpan<byte> from = source.Slice((sy * width + sx) * channels, channels);
                for (int c = 0; c < channels; c++) pixel[c] = from[c];
            }
        }
    }

    /// <summary>The draw of the sample at <paramref name="position"/> of epoch <paramref name="epoch"/>.</summary>
    public static ulong Key(int seed, int epoch, int position) =>
        DeterministicRandom.Hash(DeterministicRandom.Hash((ulong)seed, 0xA0C0UL ^ ((ulong)epoch << 24)), (ulong)position);
}
