namespace BoolNet.Core.Operators;

/// <summary>
/// The right-hand operand B [k, n] of the float GEMM packed once for many products against
/// changing left-hand rows (a weight matrix applied to batch after batch). Layout: column groups of
/// <see cref="GroupColumns"/>, each stored [p][128] for p = 0..k-1, columns past n zero; so for one
/// depth p a group is 512 contiguous bytes (eight zmm or sixteen ymm vectors), and a group over all
/// depths is one sequential stream. <see cref="FloatGemm.Multiply(ReadOnlySpan{float}, FloatPanels, Span{float}, int)"/>
/// reads it; the values are copied, so later changes to the source do not reach the panels.
/// </summary>
public sealed class FloatPanels
{
    /// <summary>Columns per group: four 32-column register-tile panels.</summary>
    public const int GroupColumns = 128;

    private FloatPanels(float[] values, int depth, int columns)
    {
        Values = values;
        Depth = depth;
        Columns = columns;
        AllFinite = true;
        foreach (float value in values) AllFinite &= float.IsFinite(value);
    }

    /// <summary>k: the depth of a product (columns of A).</summary>
    public int Depth { get; }

    /// <summary>n: the columns of B and of the product.</summary>
    public int Columns { get; }

    /// <summary>Column groups, n rounded up to <see cref="GroupColumns"/>.</summary>
    public int Groups => (Columns + GroupColumns - 1) / GroupColumns;

    /// <summary>The packed values, [group][p][<see cref="GroupColumns"/>].</summary>
    internal float[] Values { get; }

    /// <summary>No infinity or NaN in B, so a zero in A contributes exactly +-0 to every product it meets.</summary>
    internal bool AllFinite { get; }

    /// <summary>
    /// Packs op(B) [k, n]: <paramref name="b"/> is stored [k, n] row-major, or [n, k] when
    /// <paramref name="transposeB"/> (a weight matrix W [outputs, inputs] for x W^T).
    /// </summary>
    public static FloatPanels Pack(ReadOnlySpan<float> b, bool transposeB, int k, int n)
    {
        if (k < 0 || n < 0) throw new ArgumentOutOfRangeException(nameof(k), $"negative shape {k}x{n}");
        if (b.Length < (long)k * n) throw new ArgumentException($"B holds {b.Length} values, needs {k}x{n}", nameof(b));
        long groups = (n + GroupColumns - 1) / GroupColumns;
        long size = groups * k * GroupColumns;
        if (size > Array.MaxLength) throw new ArgumentException($"a {k}x{n} matrix is too large to pack", nameof(b));
        var values = new float[size];
        for (int j = 0; j < n; j++)
        {
            long group = j / GroupColumns * (long)k * GroupColumns;
            int column = j % GroupColumns;
            for (int p = 0; p < k; p++)
                values[group + (long)p * GroupColumns + column] = transposeB ? b[(int)((long)j * k + p)] : b[(int)((long)p * n + j)];
        }
        return new FloatPanels(values, k, n);
    }
}
