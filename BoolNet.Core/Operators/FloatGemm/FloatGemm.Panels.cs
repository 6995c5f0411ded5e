using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// Products against a pre-packed right-hand side (<see cref="FloatPanels"/>): C[m, n] = A[m, k] B[k, n]
/// in the <see cref="FloatSumOrder.Chain"/> order, A row-major and read in place. Nothing is packed or
/// allocated per call. Per 128-column group of B the rows go in register tiles (8 x 32 on AVX-512,
/// 6 x 16 on AVX2) while enough rows remain, then 4-row and 1-row passes that share each B load
/// across the rows they hold; every pass keeps one fma chain per element over p in order, so every
/// path equals <see cref="MultiplyReference"/> bit for bit. The kernels are in <c>FloatGemm.PanelKernels.cs</c>.
/// </summary>
public static partial class FloatGemm
{
    /// <summary>
    /// C[m, n] = A[m, k] B[k, n] (<see cref="FloatSumOrder.Chain"/>, C overwritten) with B packed in
    /// <paramref name="b"/>, on the process ISA (<see cref="IsaSelection.Current"/>), on the calling thread:
    /// callers share work by splitting the rows of A (the inference model runs chunks of samples on threads).
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> a, FloatPanels b, Span<float> c, int m) =>
        Multiply(a, b, c, m, IsaSelection.Current);

    /// <summary>
    /// <see cref="Multiply(ReadOnlySpan{float}, FloatPanels, Span{float}, int)"/> on an explicit ISA path
    /// (tests and benchmarks); a path the machine lacks falls back to the widest it has.
    /// </summary>
    public static unsafe void Multiply(ReadOnlySpan<float> a, FloatPanels b, Span<float> c, int m, Isa isa)
    {
        ArgumentNullException.ThrowIfNull(b);
        int k = b.Depth, n = b.Columns;
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), $"negative row count {m}");
        if (a.Length < (long)m * k) throw new ArgumentException($"A holds {a.Length} values, needs {m}x{k}", nameof(a));
        if (c.Length < (long)m * n) throw new ArgumentException($"C holds {c.Length} values, needs {m}x{n}", nameof(c));
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            c[..(m * n)].Clear();
            return;
        }
        Path path = Resolve(isa);
        fixed (float* aPointer = a, panelPointer = b.Values, cPointer = c)
        {
            for (int group = 0; group < b.Groups; group++)
            {
                int column = group * FloatPanels.GroupColumns;
                float* panels = panelPointer + (long)group * k * FloatPanels.GroupColumns;
                switch (path)
                {
                    case Path.Vector512: Group512(aPointer, panels, cPointer + column, m, n, k, Math.Min(FloatPanels.GroupColumns, n - column)); break;
                    case Path.Vector256: Group256(aPointer, panels, cPointer + column, m, n, k, Math.Min(FloatPanels.GroupColumns, n - column)); break;
                    default: GroupScalar(aPointer, panels, cPointer + column, m, n, k, Math.Min(FloatPanels.GroupColumns, n - column)); break;
                }
            }
        }
    }

    /// <summary>
    /// One group of columns [0, width) (width &lt;= 128) of C on AVX-512: 8 x 32 tiles, 4 x 64 passes, then
    /// single rows x 128. C points at the group's first column, rows n apart.
    /// </summary>
    private static unsafe void Group512(float* a, float* panels, float* c, int m, int n, int k, int width)
    {
        int row = 0;
        for (; row + 8 <= m; row += 8)
            for (int column = 0; column < width; column += 32)
                Tile(a + (long)row * k, panels + column, c + (long)row * n + column, n, k, 8, 32, Math.Min(32, width - column), &Tile8x32);
        for (; row + 4 <= m; row += 4)
            for (int column = 0; column < width; column += 64)
                Tile(a + (long)row * k, panels + column, c + (long)row * n + column, n, k, 4, 64, Math.Min(64, width - column), &Rows4x64);
        for (; row < m; row++)
            Tile(a + (long)row * k, panels, c + (long)row * n, n, k, 1, FloatPanels.GroupColumns, width, &Row1x128);
    }

    /// <summary>One group on AVX2: 6 x 16 tiles, 4 x 32 passes, then single rows x 128 (16 ymm accumulators).</summary>
    private static unsafe void Group256(float* a, float* panels, float* c, int m, int n, int k, int width)
    {
        int row = 0;
        for (; row + Rows256 <= m; row += Rows256)
            for (int column = 0; column < width; column += 16)
                Tile(a + (long)row * k, panels + column, c + (long)row * n + column, n, k, Rows256, 16, Math.Min(16, width - column), &Tile6x16);
        for (; row + 4 <= m; row += 4)
            for (int column = 0; column < width; column += 32)
                Tile(a + (long)row * k, panels + column, c + (long)row * n + column, n, k, 4, 32, Math.Min(32, width - column), &Rows4x32);
        for (; row < m; row++)
            Tile(a + (long)row * k, panels, c + (long)row * n, n, k, 1, FloatPanels.GroupColumns, width, &Row1x128Vector256);
    }

    /// <summary>
    /// Runs a kernel that produces <paramref name="rows"/> x <paramref name="fullWidth"/> of C (A rows k apart,
    /// panel rows 128 apart, C rows ldc apart); when only <paramref name="columns"/> of them exist (the last
    /// group's edge), it writes a scratch tile whose valid part is copied out (the padded columns of the
    /// panels are zero, so the arithmetic of the valid ones is the same).
    /// </summary>
    private static unsafe void Tile(float* a, float* panels, float* c, int n, int k, int rows, int fullWidth, int columns,
        delegate*<float*, long, float*, float*, long, int, void> kernel)
    {
        if (columns == fullWidth)
        {
            kernel(a, k, panels, c, n, k);
            return;
        }
        float* edge = stackalloc float[8 * FloatPanels.GroupColumns];
        kernel(a, k, panels, edge, fullWidth, k);
        for (int r = 0; r < rows; r++)
            new ReadOnlySpan<float>(edge + r * fullWidth, columns).CopyTo(new Span<float>(c + (long)r * n, columns));
    }

    /// <summary>The scalar path: one fma chain per element, reading the group's packed columns.</summary>
    private static unsafe void GroupScalar(float* a, float* panels, float* c, int m, int n, int k, int width)
    {
        for (int row = 0; row < m; row++)
        {
            float* aRow = a + (long)row * k;
            for (int j = 0; j < width; j++)
            {
                float sum = 0f;
                for (int p = 0; p < k; p++) sum = MathF.FusedMultiplyAdd(aRow[p], panels[(long)p * FloatPanels.GroupColumns + j], sum);
                c[(long)row * n + j] = sum;
            }
        }
    }
}
