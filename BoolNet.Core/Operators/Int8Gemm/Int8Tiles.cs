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

    /// <summary>The operands of one quad (<paramref name="quad"/>: four bytes, little-endian), computed once for all neurons.</summary>
    static abstract void Load(int quad, out Vector256<byte> magnitudes, out Vector256<sbyte> signs);

    /// <summary>sum + the four products of each lane.</summary>
    static abstract Vector256<int> Add(Vector256<int> sum, Vector256<byte> magnitudes, Vector256<sbyte> signs, Vector256<sbyte> weights);
}

/// <summary>AVX-VNNI: vpdpbusd multiplies u8 x s8 and adds the four products to the int32 lane without saturating. Exact.</summary>
internal readonly struct VnniQuads : IQuadProduct
{
    public static bool Corrected => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(int quad, out Vector256<byte> magnitudes, out Vector256<sbyte> signs)
    {
        magnitudes = Vector256.Create(quad).AsByte();
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
    public static void Load(int quad, out Vector256<byte> magnitudes, out Vector256<sbyte> signs)
    {
        signs = (Vector256.Create(quad).AsByte() ^ Vector256.Create((byte)0x80)).AsSByte(); // x' = x - 128
        magnitudes = Avx2.Abs(signs);                                                        // |x'|
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
/// </summary>
internal static class Int8Tiles
{
    private const int RowBytes = 64;

    /// <summary>C [count, n] for the ymm paths (<typeparamref name="T"/>: VNNI or the vpmaddubsw trick).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run<T>(Int8Gemm.PreparedWeights weights, byte* x, int count, int* c) where T : struct, IQuadProduct
    {
        int n = weights.Outputs, k = weights.Depth, quads = weights.Quads, panels = weights.PanelCount, groups = count / 4;
        long panelBytes = (long)quads * RowBytes;
        fixed (sbyte* layout = weights.Panels)
        fixed (int* corrections = weights.Corrections)
        {
            for (int p = 0; p < panels; p++)
                for (int g = 0; g < groups; g++)
                    FourSamples<T>(layout + p * panelBytes, quads, x + (long)g * 4 * k, k, c + (long)g * 4 * n, n, p, corrections);
            for (int s = groups * 4; s < count; s++)
            {
                int p = 0;
                for (; p + 4 <= panels; p += 4) FourPanels<T>(layout + p * panelBytes, panelBytes, quads, x + (long)s * k, k, c + (long)s * n, n, p, corrections);
                for (; p < panels; p++) OnePanel<T>(layout + p * panelBytes, quads, x + (long)s * k, k, c + (long)s * n, n, p, corrections);
            }
        }
    }

    /// <summary>Samples x0..x0+3 (rows k apart) against one panel: 8 ymm sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FourSamples<T>(sbyte* panel, int quads, byte* x, int k, int* c, int n, int p, int* corrections)
        where T : struct, IQuadProduct
    {
        Vector256<int> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        byte* x1 = x + k, x2 = x1 + k, x3 = x2 + k;
        int full = k / 4, tail0 = Tail(x, k), tail1 = Tail(x1, k), tail2 = Tail(x2, k), tail3 = Tail(x3, k);
        for (int q = 0; q < quads; q++)
        {
            Vector256<sbyte> low = Vector256.Load(panel + q * RowBytes), high = Vector256.Load(panel + q * RowBytes + 32);
            bool whole = q < full;
            T.Load(whole ? Unsafe.ReadUnaligned<int>(x + 4 * q) : tail0, out var m, out var s);
            a0 = T.Add(a0, m, s, low);
            b0 = T.Add(b0, m, s, high);
            T.Load(whole ? Unsafe.ReadUnaligned<int>(x1 + 4 * q) : tail1, out m, out s);
            a1 = T.Add(a1, m, s, low);
            b1 = T.Add(b1, m, s, high);
            T.Load(whole ? Unsafe.ReadUnaligned<int>(x2 + 4 * q) : tail2, out m, out s);
            a2 = T.Add(a2, m, s, low);
            b2 = T.Add(b2, m, s, high);
            T.Load(whole ? Unsafe.ReadUnaligned<int>(x3 + 4 * q) : tail3, out m, out s);
            a3 = T.Add(a3, m, s, low);
            b3 = T.Add(b3, m, s, high);
        }
        Store<T>(a0, b0, c, n, p, corrections);
        Store<T>(a1, b1, c + n, n, p, corrections);
        Store<T>(a2, b2, c + 2 * n, n, p, corrections);
        Store<T>(a3, b3, c + 3 * n, n, p, corrections);
    }

    /// <summary>One sample against panels p..p+3 (each <paramref name="panelBytes"/> apart): 8 ymm sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FourPanels<T>(sbyte* panel, long panelBytes, int quads, byte* x, int k, int* c, int n, int p, int* corrections)
        where T : struct, IQuadProduct
    {
        Vector256<int> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        sbyte* w1 = panel + panelBytes, w2 = w1 + panelBytes, w3 = w2 + panelBytes;
        int full = k / 4, tail = Tail(x, k);
        for (int q = 0; q < quads; q++)
        {
            T.Load(q < full ? Unsafe.ReadUnaligned<int>(x + 4 * q) : tail, out var m, out var s);
            int offset = q * RowBytes;
            a0 = T.Add(a0, m, s, Vector256.Load(panel + offset));
            b0 = T.Add(b0, m, s, Vector256.Load(panel + offset + 32));
            a1 = T.Add(a1, m, s, Vector256.Load(w1 + offset));
            b1 = T.Add(b1, m, s, Vector256.Load(w1 + offset + 32));
            a2 = T.Add(a2, m, s, Vector256.Load(w2 + offset));
            b2 = T.Add(b2, m, s, Vector256.Load(w2 + offset + 32));
            a3 = T.Add(a3, m, s, Vector256.Load(w3 + offset));
            b3 = T.Add(b3, m, s, Vector256.Load(w3 + offset + 32));
        }
        Store<T>(a0, b0, c, n, p, corrections);
        Store<T>(a1, b1, c, n, p + 1, corrections);
        Store<T>(a2, b2, c, n, p + 2, corrections);
        Store<T>(a3, b3, c, n, p + 3, corrections);
    }

    /// <summary>One sample against one panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void OnePanel<T>(sbyte* panel, int quads, byte* x, int k, int* c, int n, int p, int* corrections)
        where T : struct, IQuadProduct
    {
        Vector256<int> a = default, b = default;
        int full = k / 4, tail = Tail(x, k);
        for (int q = 0; q < quads; q++)
        {
            T.Load(q < full ? Unsafe.ReadUnaligned<int>(x + 4 * q) : tail, out var m, out var s);
            a = T.Add(a, m, s, Vector256.Load(panel + q * RowBytes));
            b = T.Add(b, m, s, Vector256.Load(panel + q * RowBytes + 32));
        }
        Store<T>(a, b, c, n, p, corrections);
    }

    /// <summary>Neurons 16p..16p+15 of one sample's row of C (those below n), corrected when the product needs it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store<T>(Vector256<int> low, Vector256<int> high, int* row, int n, int p, int* corrections) where T : struct, IQuadProduct
    {
        int j = p * Int8Gemm.PanelWidth;
        if (T.Corrected)
        {
            low += Vector256.Load(corrections + j);
            high += Vector256.Load(corrections + j + 8);
        }
        if (j + Int8Gemm.PanelWidth <= n)
        {
            low.Store(row + j);
            high.Store(row + j + 8);
        }
        else StorePart(low, high, row + j, n - j);
    }

    /// <summary>The first <paramref name="valid"/> lanes of a panel (the last, partial panel).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void StorePart(Vector256<int> low, Vector256<int> high, int* row, int valid)
    {
        int* lanes = stackalloc int[Int8Gemm.PanelWidth];
        low.Store(lanes);
        high.Store(lanes + 8);
        for (int j = 0; j < valid; j++) row[j] = lanes[j];
    }

    /// <summary>
    /// The last, partial quad of a row of k bytes, zero filled (0 when k is a multiple of 4); reading it as
    /// an int would run past the row (past the input, for the last sample). Zero weights face the padding.
    /// Taken before a tile's loop: a call inside it would make the JIT spill the sums around it.
    /// </summary>
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
        fixed (sbyte* layout = weights.Panels)
        fixed (int* corrections = weights.Corrections)
        {
            for (int p = 0; p < panels; p++)
            {
                for (int g = 0; g < groups; g++)
                    WideSamples(layout + p * panelBytes, quads, x + (long)g * 4 * k, k, 4, c + (long)g * 4 * n, n, p, corrections);
                for (int s = groups * 4; s < count; s++)
                    WideSamples(layout + p * panelBytes, quads, x + (long)s * k, k, 1, c + (long)s * n, n, p, corrections);
            }
        }
    }

    /// <summary>Up to 4 samples (rows k apart) against one panel, one zmm sum each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WideSamples(sbyte* panel, int quads, byte* x, int k, int samples, int* c, int n, int p, int* corrections)
    {
        Vector512<int> t0 = default, t1 = default, t2 = default, t3 = default;
        int full = k / 4, tail0 = Tail(x, k);
        int tail1 = samples == 1 ? 0 : Tail(x + k, k), tail2 = samples == 1 ? 0 : Tail(x + 2 * k, k), tail3 = samples == 1 ? 0 : Tail(x + 3 * k, k);
        for (int q = 0; q < quads; q++)
        {
            Vector512<sbyte> w = Vector512.Load(panel + q * RowBytes), negated = -w;
            bool whole = q < full;
            t0 = WideAdd(t0, whole ? Unsafe.ReadUnaligned<int>(x + 4 * q) : tail0, w, negated);
            if (samples == 1) continue;
            t1 = WideAdd(t1, whole ? Unsafe.ReadUnaligned<int>(x + k + 4 * q) : tail1, w, negated);
            t2 = WideAdd(t2, whole ? Unsafe.ReadUnaligned<int>(x + 2 * k + 4 * q) : tail2, w, negated);
            t3 = WideAdd(t3, whole ? Unsafe.ReadUnaligned<int>(x + 3 * k + 4 * q) : tail3, w, negated);
        }
        Vector512<int> correction = Vector512.Load(corrections + p * Int8Gemm.PanelWidth);
        WideStore(t0 + correction, c, n, p);
        if (samples == 1) return;
        WideStore(t1 + correction, c + n, n, p);
        WideStore(t2 + correction, c + 2 * n, n, p);
        WideStore(t3 + correction, c + 3 * n, n, p);
    }

    /// <summary>sum + |x'| * (sign(x') w) per pair, widened at once (see <see cref="MaddQuads"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> WideAdd(Vector512<int> sum, int quad, Vector512<sbyte> w, Vector512<sbyte> negated)
    {
        Vector512<sbyte> centred = (Vector512.Create(quad).AsByte() ^ Vector512.Create((byte)0x80)).AsSByte();
        Vector512<sbyte> signed = Vector512.ConditionalSelect(Vector512.LessThan(centred, Vector512<sbyte>.Zero), negated, w);
        return sum + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Avx512BW.Abs(centred), signed), Vector512<short>.One);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void WideStore(Vector512<int> sums, int* row, int n, int p)
    {
        int j = p * Int8Gemm.PanelWidth;
        if (j + Int8Gemm.PanelWidth <= n) sums.Store(row + j);
        else StorePart(sums.GetLower(), sums.GetUpper(), row + j, n - j);
    }
}
