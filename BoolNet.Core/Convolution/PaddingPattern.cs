namespace BoolNet.Core.Convolution;

/// <summary>
/// Which kernel offsets fall into the padding at each output position of one sample (the same for
/// every sample), in compressed-row form: the padded offsets of output position p are
/// <c>Offsets[Start[p] .. Start[p + 1])</c>. Interior positions have none, so the correction work is
/// proportional to the border only.
/// </summary>
public sealed class PaddingPattern
{
    /// <summary>Builds the pattern of a geometry.</summary>
    public PaddingPattern(in ConvolutionGeometry geometry)
    {
        int positions = geometry.OutputPositions;
        Start = new int[positions + 1];
        var offsets = new List<int>();
        ValidOffsets = new int[positions];
        for (int p = 0; p < positions; p++)
        {
            int oy = p / geometry.OutputWidth, ox = p % geometry.OutputWidth;
            Start[p] = offsets.Count;
            for (int ky = 0; ky < geometry.KernelHeight; ky++)
                for (int kx = 0; kx < geometry.KernelWidth; kx++)
                    if (!geometry.TryInputPosition(oy, ox, ky, kx, out _, out _)) offsets.Add(ky * geometry.KernelWidth + kx);
            ValidOffsets[p] = geometry.Offsets - (offsets.Count - Start[p]);
        }
        Start[positions] = offsets.Count;
        Offsets = offsets.ToArray();
        HasPadding = Offsets.Length > 0;
    }

    /// <summary>[OutputPositions + 1] row starts into <see cref="Offsets"/>.</summary>
    public int[] Start { get; }

    /// <summary>Padded kernel offsets, grouped by output position.</summary>
    public int[] Offsets { get; }

    /// <summary>[OutputPositions] number of kernel offsets inside the image.</summary>
    public int[] ValidOffsets { get; }

    /// <summary>True when some window reaches into the padding.</summary>
    public bool HasPadding { get; }

    /// <summary>The padded offsets of output position <paramref name="position"/>.</summary>
    public ReadOnlySpan<int> PaddedOffsets(int position) => Offsets.AsSpan(Start[position], Start[position + 1] - Start[position]);
}
