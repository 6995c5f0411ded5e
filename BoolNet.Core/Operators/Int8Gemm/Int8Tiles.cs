using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BoolNet.Core.Operators;

/// <summary>
/// How one broadcast quad of a sample's bytes (x_4q .. x_4q+3 in every int32 lane) is multiplied with a
/// ymm of weights (8 neurons x the same four k) and added to 8 int32 sums.
/// </summary>
internal interface IQuadProduct
{
    /// <summary>True when the product needs <see cref="Int8Gemm.PreparedWeights.Corrections"/> added at the end.</summary>
    static abstract bool Corrected { get; }

    /// <summary>The operands of the quad at <paramref name="quad"/> (four bytes), computed once for all neurons.</summary>
    static abstract unsafe void Load(byte* quad, out Vector256<byte> magnitudes, out Vector256<sbyte> signs);

    /// <summary>sum + the four products of each lane.</summary>
    static abstract Vector256<int> Add(Vector256<int> sum, Vector256<byte> magnitudes, Vector256<sbyte> signs, Vector256<sbyte> weights);
}

/// <summary>AVX-VNNI: vpdpbusd multiplies u8 x s8 and adds the four products to the int32 lane without saturating. Exact.</summary>
internal readonly struct VnniQuads : IQuadProduct
{
    public static bool Corrected => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Load(byte* quad, out Vector256<byte> magnitudes, out Vector256<sbyte> signs)
    {
        magnitudes = Avx2.BroadcastScalarToVector256((int*)quad).AsByte(); // vpbroadcastd ymm, m32
        signs = default;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Add(Vector256<int> sum, Vector256<byte> magnitudes, Vector256<sbyte> signs, Vector256<sbyte> weights) =>
        AvxVnni.MultiplyWideningAndAdd(sum, magnitudes, weights);
}

/// <summary>
/// AVX2 vpmaddubsw made exact. vpmaddubsw adds two u8 x s8 products into an int16 with saturation, and
/// 2 * 255 * 127 = 64770 does not fit. So each byte is recentred, x' = x - 128 in -128..127 (x XOR 0x80 read
/// as signed), and the product is taken as |x'| * (sign(x') w): vpabsb gives u = |x'| in 0..128 (128 as the
/// unsigned byte 0x80), vpsignb gives s = sign(x') w in -127..127 (0 where x' = 0, where u is 0 too). Then
/// |u s| &lt;= 128 * 127 = 16256 and a pair sums to at most 32512 &lt; 32767: never saturates. vpmaddwd by ones
/// widens each pair sum to int32 at once (two of them could reach 65024), and
/// <code>  sum_i x_i w_i = sum_i x'_i w_i + 128 sum_i w_i  </code>
/// with the per-neuron 128 sum_i w_i precomputed (<see cref="Int8Gemm.PreparedWeights.Corrections"/>). The
/// weights' range -127..127 matters: vpsignb of -128 stays -128 and 128 * 128 * 2 would saturate.
/// </summary>
internal readonly struct MaddQuads : IQuadProduct
{
    public static bool Corrected => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Load(byte* quad, out Vector256<byte> magnitudes, out Vector256<sbyte> signs)
    {
        Vector256<byte> x = Avx2.BroadcastScalarToVector256((int*)quad).AsByte();
        signs = (x ^ Vector256.Create((byte)0x80)).AsSByte(); // x' = x - 128
        magnitudes = Avx2.Abs(signs);                         // |x'|
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Add(Vector256<int> sum, Vector256<byte> magnitudes, Vector256<sbyte> signs, Vector256<sbyte> weights) =>
        sum + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(magnitudes, Avx2.Sign(weights, signs)), Vector256<short>.One);
}

/// <summary>
/// The vector paths of <see cref="Int8Gemm"/> over the panel layout (16 neurons x 4 k per 64-byte row):
/// a broadcast quad of one sample's bytes times a panel row gives 16 neurons' partial sums in int32 lanes,
/// so no horizontal sum is needed. Panels go outermost: a panel (k = 784: 12.5 KiB) stays in L1 while every
/// group of 4 samples passes (4 samples x 16 neurons: 8 ymm sums); leftover samples run 4 panels at a time
/// (1 sample x 64 neurons: 8 ymm sums), which is the whole batch-1 path.
/// The tiles make no call while their sums are live (every vector register is caller-saved on x64 Unix,
/// so a call, even one not taken, makes the JIT keep the sums on the stack): the partial last quad of a
/// row (k not a multiple of 4) is read before the loop, and the partial last panel (n not a multiple of
/// 16) is stored whole into a side buffer by the driver, which copies its valid lanes.
/// </summary>
internal static class Int8Tiles
{
    private const int RowBytes = 64;
    private const int Width = Int8Gemm.PanelWidth;

    /// <summary>C [count, n] for the ymm paths (<typeparamref name="T"/>: VNNI or the vpmaddubsw trick).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run<T>(Int8Gemm.PreparedWeights weights, byte* x, int count, int* c) where T : struct, IQuadProduct
    {
        int n = weights.Outputs, k = weights.Depth, quads = weights.Quads, panels = weights.PanelCount, groups = count / 4;
        long panelBytes = (long)quads * RowBytes;
        int* part = stackalloc int[4 * Width]; // sums of a partial panel: 4 samples x 16, or 1 sample x 4 panels
        fixed (sbyte* layout = weights.Panels)
        fixed (int* corrections = weights.Corrections)
        {
            for (int p = 0; p < panels; p++)
            {
                int j = p * Width, valid = Math.Min(Width, n - j);
                for (int g = 0; g < groups; g++)
                {
                    int* row = c + (long)g * 4 * n + j;
                    if (valid == Width) FourSamples<T>(layout + p * panelBytes, quads, x + (long)g * 4 * k, k, row, n, corrections + j);
                    else
                    {
                        FourSamples<T>(layout + p * panelBytes, quads, x + (long)g * 4 * k, k, part, Width, corrections + j);
                        for (int s = 0; s < 4; s++) Copy(part + s * Width, row + (long)s * n, valid);
                    }
                }
            }
            for (int s = groups * 4; s < count; s++)
            {
                byte* sample = x + (long)s * k;
                int* row = c + (long)s * n;
                for (int p = 0; p < panels;)
                {
                    bool four = p + 4 <= panels;
                    int j = p * Width, span = (four ? 4 : 1) * Width, valid = Math.Min(span, n - j);
                    int* destination = valid == span ? row + j : part;
                    if (four) FourPanels<T>(layout + p * panelBytes, panelBytes, quads, sample, k, destination, corrections + j);
                    else OnePanel<T>(layout + p * panelBytes, quads, sample, k, destination, corrections + j);
                    if (valid < span) Copy(part, row + j, valid);
                    p += four ? 4 : 1;
                }
            }
        }
    }

    private static unsafe void Copy(int* source, int* destination, int count)
    {
        for (int i = 0; i < count; i++) destination[i] = source[i];
    }

    /// <summary>Samples x..x+3 (rows k apart) against one panel: 8 ymm sums, stored at c + s * stride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FourSamples<T>(sbyte* panel, int quads, byte* x, int k, int* c, int stride, int* corrections)
        where T : struct, IQuadProduct
    {
        byte* x1 = x + k, x2 = x1 + k, x3 = x2 + k;
        int full = k / 4;
        int tail0 = Tail(x, k), tail1 = Tail(x1, k), tail2 = Tail(x2, k), tail3 = Tail(x3, k);
        Vector256<int> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        sbyte* w = panel;
        for (int q = 0, at = 0; q < quads; q++, at += 4, w += RowBytes)
        {
            if (q == full)
            {
                // The partial last quad (only reached when k % 4 != 0): point each row so that x + at reads its tail.
                x = (byte*)&tail0 - at;
                x1 = (byte*)&tail1 - at;
                x2 = (byte*)&tail2 - at;
                x3 = (byte*)&tail3 - at;
            }
            Vector256<sbyte> low = Vector256.Load(w), high = Vector256.Load(w + 32);
            T.Load(x + at, out var m, out var s);
            a0 = T.Add(a0, m, s, low);
            b0 = T.Add(b0, m, s, high);
            T.Load(x1 + at, out m, out s);
            a1 = T.Add(a1, m, s, low);
            b1 = T.Add(b1, m, s, high);
            T.Load(x2 + at, out m, out s);
            a2 = T.Add(a2, m, s, low);
            b2 = T.Add(b2, m, s, high);
            T.Load(x3 + at, out m, out s);
            a3 = T.Add(a3, m, s, low);
            b3 = T.Add(b3, m, s, high);
        }
        if (T.Corrected)
        {
            Vector256<int> low = Vector256.Load(corrections), high = Vector256.Load(corrections + 8);
            a0 += low; a1 += low; a2 += low; a3 += low;
            b0 += high; b1 += high; b2 += high; b3 += high;
        }
        a0.Store(c);
        b0.Store(c + 8);
        a1.Store(c + stride);
        b1.Store(c + stride + 8);
        a2.Store(c + 2 * stride);
        b2.Store(c + 2 * stride + 8);
        a3.Store(c + 3 * stride);
        b3.Store(c + 3 * stride + 8);
    }

    /// <summary>One sample against panels p..p+3 (each <paramref name="panelBytes"/> apart): 8 ymm sums, 64 neurons stored at c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FourPanels<T>(sbyte* panel, long panelBytes, int quads, byte* x, int k, int* c, int* corrections)
        where T : struct, IQuadProduct
    {
        sbyte* w1 = panel + panelBytes, w2 = w1 + panelBytes, w3 = w2 + panelBytes;
        int full = k / 4, tail = Tail(x, k);
        Vector256<int> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        sbyte* w0 = panel;
        for (int q = 0, at = 0; q < quads; q++, at += 4, w0 += RowBytes, w1 += RowBytes, w2 += RowBytes, w3 += RowBytes)
        {
            if (q == full) x = (byte*)&tail - at; // the partial last quad (only reached when k % 4 != 0)
            T.Load(x + at, out var m, out var s);
            a0 = T.Add(a0, m, s, Vector256.Load(w0));
            b0 = T.Add(b0, m, s, Vector256.Load(w0 + 32));
            a1 = T.Add(a1, m, s, Vector256.Load(w1));
            b1 = T.Add(b1, m, s, Vector256.Load(w1 + 32));
            a2 = T.Add(a2, m, s, Vector256.Load(w2));
            b2 = T.Add(b2, m, s, Vector256.Load(w2 + 32));
            a3 = T.Add(a3, m, s, Vector256.Load(w3));
            b3 = T.Add(b3, m, s, Vector256.Load(w3 + 32));
        }
        if (T.Corrected)
        {
            a0 += Vector256.Load(corrections); b0 += Vector256.Load(corrections + 8);
            a1 += Vector256.Load(corrections + 16); b1 += Vector256.Load(corrections + 24);
            a2 += Vector256.Load(corrections + 32); b2 += Vector256.Load(corrections + 40);
            a3 += Vector256.Load(corrections + 48); b3 += Vector256.Load(corrections + 56);
        }
        a0.Store(c); b0.Store(c + 8); a1.Store(c + 16); b1.Store(c + 24);
        a2.Store(c + 32); b2.Store(c + 40); a3.Store(c + 48); b3.Store(c + 56);
    }

    /// <summary>One sample against one panel: 16 neurons stored at c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void OnePanel<T>(sbyte* panel, int quads, byte* x, int k, int* c, int* corrections)
        where T : struct, IQuadProduct
    {
        int full = k / 4, tail = Tail(x, k);
        Vector256<int> a = default, b = default;
        sbyte* w = panel;
        for (int q = 0, at = 0; q < quads; q++, at += 4, w += RowBytes)
        {
            if (q == full) x = (byte*)&tail - at;
            T.Load(x + at, out var m, out var s);
            a = T.Add(a, m, s, Vector256.Load(w));
            b = T.Add(b, m, s, Vector256.Load(w + 32));
        }
        if (T.Corrected)
        {
            a += Vector256.Load(corrections);
            b += Vector256.Load(corrections + 8);
        }
        a.Store(c);
        b.Store(c + 8);
    }

    /// <summary>
    /// The last, partial quad of a row of k bytes, zero filled (0 when k is a multiple of 4); reading it as
    /// an int would run past the row (past the input, for the last sample). Zero weights face the padding.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int Tail(byte* row, int k)
    {
        int quad = 0;
        for (int i = k & ~3; i < k; i++) quad |= row[i] << (8 * (i & 3));
        return quad;
    }

    /// <summary>
    /// C [count, n] on zmm with the vpmaddubsw trick of <see cref="MaddQuads"/> (AVX-512 BW has no vpsignb:
    /// s = x' &lt; 0 ? -w : w is a masked blend, -w computed once per panel row for all samples). One zmm
    /// holds a whole panel row; 4 samples x 1 panel per tile, then leftover samples one at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void RunWide(Int8Gemm.PreparedWeights weights, byte* x, int count, int* c)
    {
        int n = weights.Outputs, k = weights.Depth, quads = weights.Quads, panels = weights.PanelCount, groups = count / 4;
        long panelBytes = (long)quads * RowBytes;
        int* part = stackalloc int[4 * Width];
        fixed (sbyte* layout = weights.Panels)
        fixed (int* corrections = weights.Corrections)
        {
            for (int p = 0; p < panels; p++)
            {
                int j = p * Width, valid = Math.Min(Width, n - j);
                sbyte* panel = layout + p * panelBytes;
                for (int g = 0; g < groups; g++)
                {
                    int* row = c + (long)g * 4 * n + j;
                    WideFour(panel, quads, x + (long)g * 4 * k, k, valid == Width ? row : part, valid == Width ? n : Width, corrections + j);
                    if (valid < Width)
                        for (int s = 0; s < 4; s++) Copy(part + s * Width, row + (long)s * n, valid);
                }
                for (int s = groups * 4; s < count; s++)
                {
                    int* row = c + (long)s * n + j;
                    WideOne(panel, quads, x + (long)s * k, k, valid == Width ? row : part, corrections + j);
                    if (valid < Width) Copy(part, row, valid);
                }
            }
        }
    }

    /// <summary>Samples x..x+3 (rows k apart) against one panel, one zmm sum each, stored at c + s * stride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WideFour(sbyte* panel, int quads, byte* x, int k, int* c, int stride, int* corrections)
    {
        byte* x1 = x + k, x2 = x1 + k, x3 = x2 + k;
        int full = k / 4, tail0 = Tail(x, k), tail1 = Tail(x1, k), tail2 = Tail(x2, k), tail3 = Tail(x3, k);
        Vector512<int> t0 = default, t1 = default, t2 = default, t3 = default;
        sbyte* row = panel;
        for (int q = 0, at = 0; q < quads; q++, at += 4, row += RowBytes)
        {
            if (q == full)
            {
                // The partial last quad (only reached when k % 4 != 0): point each row so that x + at reads its tail.
                x = (byte*)&tail0 - at;
                x1 = (byte*)&tail1 - at;
                x2 = (byte*)&tail2 - at;
                x3 = (byte*)&tail3 - at;
            }
            Vector512<sbyte> w = Vector512.Load(row), negated = -w;
            t0 = WideAdd(t0, x + at, w, negated);
            t1 = WideAdd(t1, x1 + at, w, negated);
            t2 = WideAdd(t2, x2 + at, w, negated);
            t3 = WideAdd(t3, x3 + at, w, negated);
        }
        Vector512<int> correction = Vector512.Load(corrections);
        (t0 + correction).Store(c);
        (t1 + correction).Store(c + stride);
        (t2 + correction).Store(c + 2 * stride);
        (t3 + correction).Store(c + 3 * stride);
    }

    /// <summary>One sample against one panel: 16 neurons stored at c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WideOne(sbyte* panel, int quads, byte* x, int k, int* c, int* corrections)
    {
        int full = k / 4, tail = Tail(x, k);
        Vector512<int> t = default;
        sbyte* row = panel;
        for (int q = 0, at = 0; q < quads; q++, at += 4, row += RowBytes)
        {
            if (q == full) x = (byte*)&tail - at;
            Vector512<sbyte> w = Vector512.Load(row);
            t = WideAdd(t, x + at, w, -w);
        }
        (t + Vector512.Load(corrections)).Store(c);
    }

    /// <summary>sum + |x'| * (sign(x') w) per pair, widened at once (see <see cref="MaddQuads"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<int> WideAdd(Vector512<int> sum, byte* quad, Vector512<sbyte> w, Vector512<sbyte> negated)
    {
        Vector512<sbyte> centred = (Vector512.Create(*(int*)quad).AsByte() ^ Vector512.Create((byte)0x80)).AsSByte();
        Vector512<sbyte> signed = Vector512.ConditionalSelect(Vector512.LessThan(centred, Vector512<sbyte>.Zero), negated, w);
        return sum + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Avx512BW.Abs(centred), signed), Vector512<short>.One);
    }
}
