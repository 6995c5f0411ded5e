using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// Products against a pre-packed right-hand side (<see cref="FloatPanels"/>): C[m, n] = A[m, k] B[k, n]
/// in the <see cref="FloatSumOrder.Chain"/> order, A row-major and read in place. Nothing is packed or
/// allocated per call. Per 128-column group of B the rows go in register tiles (8 x 32 on AVX-512,
/// 6 x 16 on AVX2) while enough rows remain, then a 4-row pass that shares each B load across its rows;
/// a single row left over (a batch of one) streams each group once and skips its zero inputs. Every pass
/// keeps one fma chain per element over p in order, so every path equals <see cref="MultiplyReference"/>
/// bit for bit. The kernels are in <c>FloatGemm.PanelKernels.cs</c>.
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
        // Rows in register tiles and 4-row passes, group by group; then the single rows, each on its own.
        int tileRows = path == Path.Vector512 ? 8 : Rows256;
        int shared = path == Path.Scalar ? m : m / tileRows * tileRows + (m % tileRows >= 4 ? 4 : 0);
        fixed (float* aPointer = a, panelPointer = b.Values, cPointer = c)
        {
            for (int group = 0; group < b.Groups && shared > 0; group++)
            {
                int column = group * FloatPanels.GroupColumns;
                float* panels = panelPointer + (long)group * k * FloatPanels.GroupColumns;
                int width = Math.Min(FloatPanels.GroupColumns, n - column);
                switch (path)
                {
                    case Path.Vector512: Group512(aPointer, panels, cPointer + column, shared, n, k, width); break;
                    case Path.Vector256: Group256(aPointer, panels, cPointer + column, shared, n, k, width); break;
                    default: GroupScalar(aPointer, panels, cPointer + column, shared, n, k, width); break;
                }
            }
            for (int row = shared; row < m; row++)
                SingleRow(aPointer + (long)row * k, b, panelPointer, cPointer + (long)row * n, path);
        }
    }

    /// <summary>
    /// Rows [0, m) of one group of columns [0, width) (width &lt;= 128) of C on AVX-512, m a multiple of 8
    /// plus 0 or 4: 8 x 32 tiles, then a 4 x 64 pass. C points at the group's first column, rows n apart.
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
    }

    /// <summary>One group on AVX2: 6 x 16 tiles, then a 4 x 32 pass (m a multiple of 6 plus 0 or 4).</summary>
    private static unsafe void Group256(float* a, float* panels, float* c, int m, int n, int k, int width)
    {
        int row = 0;
        for (; row + Rows256 <= m; row += Rows256)
            for (int column = 0; column < width; column += 16)
                Tile(a + (long)row * k, panels + column, c + (long)row * n + column, n, k, Rows256, 16, Math.Min(16, width - column), &Tile6x16);
        for (; row + 4 <= m; row += 4)
            for (int column = 0; column < width; column += 32)
                Tile(a + (long)row * k, panels + column, c + (long)row * n + column, n, k, 4, 32, Math.Min(32, width - column), &Rows4x32);
    }

    /// <summary>Depths gathered per pass of <see cref="RowChains"/> (a stack buffer of this many indices).</summary>
    private const int IndexBlock = 1024;

    /// <summary>
    /// One row of C (a batch-1 product): each group is one sequential stream of 512-byte depth rows. The
    /// depths p with A[p] = 0 are skipped when B is finite (half of a Fashion-MNIST image is zero pixels).
    /// Exactness: fma(+-0, w, s) with w finite is s unless s is a zero, so step by step the skipped chain
    /// equals the full one or both are zeros; they can differ only in the sign of a zero result. A row of
    /// zeros gives +0 both ways (a chain from +0 never meets -0 + -0); otherwise a group with a zero result
    /// is recomputed over every depth, so the bits are the full chain's and the worst case costs one dense pass more.
    /// </summary>
    private static unsafe void SingleRow(float* a, FloatPanels b, float* panelPointer, float* c, Path path)
    {
        (bool skipped, bool anyNonzero) = RowChains(a, b, panelPointer, c, path, b.AllFinite, 0, b.Groups);
        if (!skipped || !anyNonzero) return;
        for (int group = 0; group < b.Groups; group++)
        {
            int column = group * FloatPanels.GroupColumns, width = Math.Min(FloatPanels.GroupColumns, b.Columns - column);
            for (int j = column; j < column + width; j++)
                if (c[j] == 0f)
                {
                    RowChains(a, b, panelPointer, c, path, skipZeros: false, group, group + 1);
                    break;
                }
        }
    }

    /// <summary>
    /// Groups [firstGroup, endGroup) of one row, the depths gathered in blocks of <see cref="IndexBlock"/>
    /// (each block continues the chains), zero depths left out when <paramref name="skipZeros"/>. Returns
    /// whether any depth was left out and whether any was kept.
    /// </summary>
    private static unsafe (bool Skipped, bool AnyKept) RowChains(float* a, FloatPanels b, float* panelPointer, float* c, Path path,
        bool skipZeros, int firstGroup, int endGroup)
    {
        int k = b.Depth, n = b.Columns;
        int* indices = stackalloc int[IndexBlock];
        float* edge = stackalloc float[FloatPanels.GroupColumns]; // the chains of a last group narrower than 128
        bool skipped = false, kept = false;
        for (int start = 0; start < k; start += IndexBlock)
        {
            int stop = Math.Min(k, start + IndexBlock), count = 0;
            for (int p = start; p < stop; p++)
                if (!skipZeros || a[p] != 0f) indices[count++] = p;
            skipped |= count < stop - start;
            kept |= count > 0;
            for (int group = firstGroup; group < endGroup; group++)
            {
                int column = group * FloatPanels.GroupColumns;
                float* panels = panelPointer + (long)group * k * FloatPanels.GroupColumns;
                float* target = n - column >= FloatPanels.GroupColumns ? c + column : edge;
                if (path == Path.Vector512) Row1x128(a, indices, count, panels, target, start > 0);
                else Row1x128Vector256(a, indices, count, panels, target, start > 0);
            }
        }
        int last = (endGroup - 1) * FloatPanels.GroupColumns;
        if (n - last < FloatPanels.GroupColumns) new ReadOnlySpan<float>(edge, n - last).CopyTo(new Span<float>(c + last, n - last));
        return (skipped, kept);
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
