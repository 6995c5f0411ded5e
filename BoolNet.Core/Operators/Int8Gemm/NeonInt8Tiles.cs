using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace BoolNet.Core.Operators;

// The ARM64 AdvSimd paths of Int8Gemm, on the same prepared panels as the x86 ones (16 neurons, k in quads,
// Panels[(p * Quads + q) * 64 + 4 r + t] = W[16 p + r, 4 q + t]): 16 bytes of a panel row hold four
// neurons' quads, one int32 lane each. NEON has no u8 x s8 product, so a sample byte x is recentred to the
// signed x - 128 (x XOR 0x80) and C = sum (x - 128) w + 128 sum w, the second term the prepared per-neuron
// correction (as the vpmaddubsw trick does on x86). With the dot-product extension (Dp, ARMv8.2+) one
// SDOT by element adds a quad of 4 products per lane, the sample's 16 bytes loaded once for 4 quads;
// without it, SMULL/SMULL2 to int16, ADDP (a pair of products |p| <= 128 * 127 stays in int16) and SADALP
// into int32. Every product and sum is an exact integer, so both equal the scalar reference.

/// <summary>One quad of products per int32 lane: SDOT, or the widening multiplies without Dp.</summary>
internal interface INeonQuads
{
    /// <summary>sum[r] += sum_t weights[4 r + t] * samples[4 index + t] for the four lanes r.</summary>
    static abstract Vector128<int> Add(Vector128<int> sum, Vector128<sbyte> weights, Vector128<sbyte> samples,
        [ConstantExpected(Max = (byte)3)] byte index);
}

/// <summary>SDOT by element (ARMv8.2 dot product).</summary>
internal readonly struct NeonDotQuads : INeonQuads
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Add(Vector128<int> sum, Vector128<sbyte> weights, Vector128<sbyte> samples,
        [ConstantExpected(Max = (byte)3)] byte index) =>
        Dp.DotProductBySelectedQuadruplet(sum, weights, samples, index);
}

/// <summary>DUP of the quad, SMULL/SMULL2, ADDP, SADALP (baseline ARMv8 AdvSimd).</summary>
internal readonly struct NeonMultiplyQuads : INeonQuads
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Add(Vector128<int> sum, Vector128<sbyte> weights, Vector128<sbyte> samples,
        [ConstantExpected(Max = (byte)3)] byte index)
    {
        Vector128<sbyte> quad = AdvSimd.DuplicateSelectedScalarToVector128(samples.AsInt32(), index).AsSByte();
        Vector128<short> low = AdvSimd.MultiplyWideningLower(weights.GetLower(), quad.GetLower());
        Vector128<short> high = AdvSimd.MultiplyWideningUpper(weights, quad);
        return AdvSimd.AddPairwiseWideningAndAdd(sum, AdvSimd.Arm64.AddPairwise(low, high));
    }
}

/// <summary>The NEON tiles of <see cref="Int8Gemm"/> (see the note at the top of this file).</summary>
internal static unsafe class NeonInt8Tiles
{
    private const int RowBytes = 64;
    private const int Width = Int8Gemm.PanelWidth;

    /// <summary>C [count, n]: samples four at a time against each panel, then the rest one at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T>(Int8Gemm.PreparedWeights weights, byte* x, int count, int* c) where T : struct, INeonQuads
    {
        if (!AdvSimd.Arm64.IsSupported) throw new PlatformNotSupportedException("the NEON int8 path needs ARM64 AdvSimd");
        int n = weights.Outputs, k = weights.Depth, quads = weights.Quads, panels = weights.PanelCount;
        long panelBytes = (long)quads * RowBytes;
        int* part = stackalloc int[4 * Width];       // sums of a partial panel, 4 samples x 16
        byte* tails = stackalloc byte[4 * 16];       // each sample's last k % 16 bytes, zero padded
        int full = k / 16, rest = k % 16;
        int s = 0;
        fixed (sbyte* layout = weights.Panels)
        fixed (int* corrections = weights.Corrections)
        {
            for (; s + 4 <= count; s += 4)
            {
                for (int r = 0; r < 4; r++) Tail(x + (long)(s + r) * k + 16 * full, rest, tails + 16 * r);
                for (int p = 0; p < panels; p++)
                {
                    int j = p * Width, valid = Math.Min(Width, n - j);
                    int* row = c + (long)s * n + j;
                    int* target = valid == Width ? row : part;
                    int stride = valid == Width ? n : Width;
                    FourSamples<T>(layout + p * panelBytes, quads, full, x + (long)s * k, k, tails, target, stride, corrections + j);
                    if (valid < Width)
                        for (int r = 0; r < 4; r++) new Span<int>(part + r * Width, valid).CopyTo(new Span<int>(row + (long)r * n, valid));
                }
            }
            for (; s < count; s++)
            {
                byte* sample = x + (long)s * k;
                Tail(sample + 16 * full, rest, tails);
                for (int p = 0; p < panels; p++)
                {
                    int j = p * Width, valid = Math.Min(Width, n - j);
                    int* row = c + (long)s * n + j;
                    OneSample<T>(layout + p * panelBytes, quads, full, sample, tails, valid == Width ? row : part, corrections + j);
                    if (valid < Width) new Span<int>(part, valid).CopyTo(new Span<int>(row, valid));
                }
            }
        }
    }

    /// <summary>Copies the last <paramref name="rest"/> (&lt; 16) bytes of a sample into a zeroed 16-byte block.</summary>
    private static void Tail(byte* source, int rest, byte* block)
    {
        for (int i = 0; i < 16; i++) block[i] = i < rest ? source[i] : (byte)0;
    }

    /// <summary>16 sample bytes recentred to x - 128.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<sbyte> Recentred(byte* bytes) => (Vector128.Load(bytes) ^ Vector128.Create((byte)0x80)).AsSByte();

    /// <summary>Four quads (a sample's 16 bytes) of one sample against the panel rows from <paramref name="w"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Group<T>(sbyte* w, Vector128<sbyte> v, int quads,
        ref Vector128<int> s0, ref Vector128<int> s1, ref Vector128<int> s2, ref Vector128<int> s3) where T : struct, INeonQuads
    {
        Quad<T>(w, v, 0, ref s0, ref s1, ref s2, ref s3);
        if (quads > 1) Quad<T>(w + RowBytes, v, 1, ref s0, ref s1, ref s2, ref s3);
        if (quads > 2) Quad<T>(w + 2 * RowBytes, v, 2, ref s0, ref s1, ref s2, ref s3);
        if (quads > 3) Quad<T>(w + 3 * RowBytes, v, 3, ref s0, ref s1, ref s2, ref s3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quad<T>(sbyte* w, Vector128<sbyte> v, [ConstantExpected(Max = (byte)3)] byte index,
        ref Vector128<int> s0, ref Vector128<int> s1, ref Vector128<int> s2, ref Vector128<int> s3) where T : struct, INeonQuads
    {
        s0 = T.Add(s0, Vector128.Load(w), v, index);
        s1 = T.Add(s1, Vector128.Load(w + 16), v, index);
        s2 = T.Add(s2, Vector128.Load(w + 32), v, index);
        s3 = T.Add(s3, Vector128.Load(w + 48), v, index);
    }

    /// <summary>Stores a panel's 16 sums plus their corrections at c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(int* c, int* corrections, Vector128<int> s0, Vector128<int> s1, Vector128<int> s2, Vector128<int> s3)
    {
        (s0 + Vector128.Load(corrections)).Store(c);
        (s1 + Vector128.Load(corrections + 4)).Store(c + 4);
        (s2 + Vector128.Load(corrections + 8)).Store(c + 8);
        (s3 + Vector128.Load(corrections + 12)).Store(c + 12);
    }

    /// <summary>One sample against one panel: 4 int32x4 sums (16 neurons).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneSample<T>(sbyte* panel, int quads, int full, byte* sample, byte* tail, int* c, int* corrections)
        where T : struct, INeonQuads
    {
        Vector128<int> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int g = 0; g < full; g++)
            Group<T>(panel + (long)g * 4 * RowBytes, Recentred(sample + 16 * g), 4, ref s0, ref s1, ref s2, ref s3);
        int left = quads - 4 * full;
        if (left > 0) Group<T>(panel + (long)full * 4 * RowBytes, Recentred(tail), left, ref s0, ref s1, ref s2, ref s3);
        Store(c, corrections, s0, s1, s2, s3);
    }

    /// <summary>Four samples (rows k apart) against one panel: 16 sums, each weight row loaded once for four samples.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourSamples<T>(sbyte* panel, int quads, int full, byte* x, int k, byte* tails, int* c, int stride, int* corrections)
        where T : struct, INeonQuads
    {
        Vector128<int> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        Vector128<int> d0 = default, d1 = default, d2 = default, d3 = default, e0 = default, e1 = default, e2 = default, e3 = default;
        for (int g = 0; g < full; g++)
        {
            sbyte* w = panel + (long)g * 4 * RowBytes;
            long offset = 16L * g;
            Vector128<sbyte> va = Recentred(x + offset), vb = Recentred(x + k + offset);
            Vector128<sbyte> vd = Recentred(x + 2L * k + offset), ve = Recentred(x + 3L * k + offset);
            Four<T>(w, va, vb, vd, ve, 0,
                ref a0, ref a1, ref a2, ref a3, ref b0, ref b1, ref b2, ref b3, ref d0, ref d1, ref d2, ref d3, ref e0, ref e1, ref e2, ref e3);
            Four<T>(w + 1 * RowBytes, va, vb, vd, ve, 1,
                ref a0, ref a1, ref a2, ref a3, ref b0, ref b1, ref b2, ref b3, ref d0, ref d1, ref d2, ref d3, ref e0, ref e1, ref e2, ref e3);
            Four<T>(w + 2 * RowBytes, va, vb, vd, ve, 2,
                ref a0, ref a1, ref a2, ref a3, ref b0, ref b1, ref b2, ref b3, ref d0, ref d1, ref d2, ref d3, ref e0, ref e1, ref e2, ref e3);
            Four<T>(w + 3 * RowBytes, va, vb, vd, ve, 3,
                ref a0, ref a1, ref a2, ref a3, ref b0, ref b1, ref b2, ref b3, ref d0, ref d1, ref d2, ref d3, ref e0, ref e1, ref e2, ref e3);
        }
        int left = quads - 4 * full;
        if (left > 0)
        {
            sbyte* w = panel + (long)full * 4 * RowBytes;
            Group<T>(w, Recentred(tails), left, ref a0, ref a1, ref a2, ref a3);
            Group<T>(w, Recentred(tails + 16), left, ref b0, ref b1, ref b2, ref b3);
            Group<T>(w, Recentred(tails + 32), left, ref d0, ref d1, ref d2, ref d3);
            Group<T>(w, Recentred(tails + 48), left, ref e0, ref e1, ref e2, ref e3);
        }
        Store(c, corrections, a0, a1, a2, a3);
        Store(c + stride, corrections, b0, b1, b2, b3);
        Store(c + 2L * stride, corrections, d0, d1, d2, d3);
        Store(c + 3L * stride, corrections, e0, e1, e2, e3);
    }

    /// <summary>One quad of the panel (its 64-byte row at w) against four samples.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Four<T>(sbyte* w, Vector128<sbyte> va, Vector128<sbyte> vb, Vector128<sbyte> vd, Vector128<sbyte> ve, [ConstantExpected(Max = (byte)3)] byte index,
        ref Vector128<int> a0, ref Vector128<int> a1, ref Vector128<int> a2, ref Vector128<int> a3,
        ref Vector128<int> b0, ref Vector128<int> b1, ref Vector128<int> b2, ref Vector128<int> b3,
        ref Vector128<int> d0, ref Vector128<int> d1, ref Vector128<int> d2, ref Vector128<int> d3,
        ref Vector128<int> e0, ref Vector128<int> e1, ref Vector128<int> e2, ref Vector128<int> e3) where T : struct, INeonQuads
    {
        Vector128<sbyte> w0 = Vector128.Load(w), w1 = Vector128.Load(w + 16), w2 = Vector128.Load(w + 32), w3 = Vector128.Load(w + 48);
        a0 = T.Add(a0, w0, va, index); a1 = T.Add(a1, w1, va, index); a2 = T.Add(a2, w2, va, index); a3 = T.Add(a3, w3, va, index);
        b0 = T.Add(b0, w0, vb, index); b1 = T.Add(b1, w1, vb, index); b2 = T.Add(b2, w2, vb, index); b3 = T.Add(b3, w3, vb, index);
        d0 = T.Add(d0, w0, vd, index); d1 = T.Add(d1, w1, vd, index); d2 = T.Add(d2, w2, vd, index); d3 = T.Add(d3, w3, vd, index);
        e0 = T.Add(e0, w0, ve, index); e1 = T.Add(e1, w1, ve, index); e2 = T.Add(e2, w2, ve, index); e3 = T.Add(e3, w3, ve, index);
    }
}
