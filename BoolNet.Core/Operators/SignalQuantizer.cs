using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BoolNet.Core.Execution;
using BoolNet.Core.Randomness;

namespace BoolNet.Core.Operators;

/// <summary>How a real signal is rounded to the integer grid of its bit-planes.</summary>
public enum SignalRounding
{
    /// <summary>Round to nearest (ties away from zero).</summary>
    Nearest,

    /// <summary>
    /// Unbiased stochastic rounding, floor(x + u) with u from a counter-based hash of
    /// (seed, step, element): reproducible, independent of thread count and resumable.
    /// </summary>
    Stochastic,
}

/// <summary>
/// A backward signal z [Rows, Columns] quantised to integers, z ~ Scale * Levels with
/// |Levels| &lt;= 2^(Planes-1) - 1 (<see cref="SignalQuantizer"/>). Rows are samples (or output
/// positions of a convolution), columns output channels.
/// </summary>
/// <param name="Levels">Z [Rows * Columns] row-major</param>
/// <param name="Scale">z ~ Scale * Z (0 for an all-zero signal)</param>
/// <param name="Rows">rows of z</param>
/// <param name="Columns">columns of z</param>
/// <param name="Planes">P: the levels fit P-bit two's complement</param>
public sealed record SignalLevels(sbyte[] Levels, float Scale, int Rows, int Columns, int Planes)
{
    /// <summary>The largest |level|, 2^(P-1) - 1.</summary>
    public int MaxLevel => (1 << (Planes - 1)) - 1;

    /// <summary>
    /// Quantises z [rows, columns] (<see cref="SignalQuantizer.Quantize(float[], int, int, SignalRounding, ulong, sbyte[], int)"/>;
    /// the levels do not depend on <paramref name="threads"/>).
    /// </summary>
    public static SignalLevels Quantize(float[] z, int rows, int columns, int planes, SignalRounding rounding, ulong seed, int threads = 0)
    {
        var levels = new sbyte[rows * columns];
        float scale = SignalQuantizer.Quantize(z, rows * columns, planes, rounding, seed, levels, threads);
        return new SignalLevels(levels, scale, rows, columns, planes);
    }
}

/// <summary>
/// The one signal quantiser (docs/ALGORITHMS.md section 3): a real signal z becomes P-bit
/// two's-complement integers Z with one per-tensor scale, z ~ scale * Z, |Z| &lt;= 2^(P-1) - 1,
/// rounded to nearest or stochastically (a counter-based hash of seed and element index, so the
/// levels are reproducible, independent of the thread count and resumable). Every Boolean layer's
/// backward quantises with it and contracts the levels with <see cref="SignalProducts"/>.
/// </summary>
public static class SignalQuantizer
{
    /// <summary>Largest number of planes (Z fits a signed byte).</summary>
    public const int MaxPlanes = 8;

    /// <summary>
    /// Writes Z = round(z / scale) into <paramref name="result"/> and returns scale
    /// = max|z| / (2^(P-1) - 1) (0 when z is all zero, then Z = 0).
    /// </summary>
    public static float Quantize(ReadOnlySpan<float> z, int planes, SignalRounding rounding, ulong seed, Span<sbyte> result)
    {
        CheckPlanes(planes);
        if (result.Length < z.Length) throw new ArgumentException("result shorter than the signal");
        float max = MaxAbs(z), scale = Scale(max, planes);
        if (scale == 0f) result.Slice(0, z.Length).Clear();
        else Round(z, planes, max, rounding, seed, 0, result);
        return scale;
    }

    /// <summary>
    /// <see cref="Quantize(ReadOnlySpan{float}, int, SignalRounding, ulong, Span{sbyte})"/> on the first
    /// <paramref name="length"/> values of z, the maximum and the rounding both split over threads.
    /// Each element's level depends only on its value, the scale and (stochastic) its index, and the
    /// maximum is exact in any order, so the levels are the same for every thread count.
    /// </summary>
    public static float Quantize(float[] z, int length, int planes, SignalRounding rounding, ulong seed, sbyte[] result, int threads)
    {
        CheckPlanes(planes);
        if (z.Length < length || result.Length < length) throw new ArgumentException($"signal or result shorter than {length}");
        const int chunk = 8192;
        int chunks = (length + chunk - 1) / chunk;
        var maxima = new float[chunks];
        Threading.For(chunks, threads, (start, end) =>
        {
            for (int c = start; c < end; c++) maxima[c] = MaxAbs(z.AsSpan(c * chunk, Math.Min(chunk, length - c * chunk)));
        }, work: length);
        float max = 0f;
        foreach (float value in maxima) max = float.IsNaN(value) || float.IsNaN(max) ? float.NaN : MathF.Max(max, value);
        float scale = Scale(max, planes);
        if (scale == 0f) result.AsSpan(0, length).Clear();
        else
            Threading.For(length, threads, (start, end) =>
                Round(z.AsSpan(start, end - start), planes, max, rounding, seed, start, result.AsSpan(start, end - start)),
                alignment: 32, work: 4L * length);
        return scale;
    }

    /// <summary>max|z| / (2^(P-1) - 1), or 0 for an all-zero signal or P = 1; throws on NaN or infinity.</summary>
    private static float Scale(float max, int planes)
    {
        if (!float.IsFinite(max)) throw new ArithmeticException("signal contains NaN or infinity");
        int top = (1 << (planes - 1)) - 1;
        return max == 0f || top == 0 ? 0f : max / top;
    }

    /// <summary>
    /// Levels of z[0..n) = round(z * top / max), given the whole signal's max|z| &gt; 0; <paramref name="offset"/>
    /// is the index of z[0] in the whole signal (the stochastic hash counter).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Round(ReadOnlySpan<float> z, int planes, float max, SignalRounding rounding, ulong seed, int offset, Span<sbyte> result)
    {
        int top = (1 << (planes - 1)) - 1;
        float inverse = top / max;
        if (rounding == SignalRounding.Nearest)
        {
            int i = 0;
            // round-half-away(v) = t + sign(v) [|v - t| >= 1/2] with t = trunc(v): v - t is exact in
            // float, so this equals MathF.Round(v, AwayFromZero) bit for bit (adding 0.5 would not:
            // 0.49999997 + 0.5 rounds up to 1 in float).
            var scaleVector = Vector256.Create(inverse);
            var half = Vector256.Create(0.5f);
            var limit = Vector256.Create((float)top);
            // 32 values per step: four rounded int32 vectors narrow (in element order) to 32 sbytes,
            // one store instead of 32 lane extractions; the clamp to +-top <= 127 makes the
            // truncating narrow exact.
            for (; i + 32 <= z.Length; i += 32)
            {
                Vector256<int> r0 = RoundNearest(Vector256.Create(z.Slice(i, 8)) * scaleVector, half, limit);
                Vector256<int> r1 = RoundNearest(Vector256.Create(z.Slice(i + 8, 8)) * scaleVector, half, limit);
                Vector256<int> r2 = RoundNearest(Vector256.Create(z.Slice(i + 16, 8)) * scaleVector, half, limit);
                Vector256<int> r3 = RoundNearest(Vector256.Create(z.Slice(i + 24, 8)) * scaleVector, half, limit);
                Vector256.Narrow(Vector256.Narrow(r0, r1), Vector256.Narrow(r2, r3)).CopyTo(result.Slice(i, 32));
            }
            for (; i < z.Length; i++)
                result[i] = (sbyte)Math.Clamp((int)MathF.Round(z[i] * inverse, MidpointRounding.AwayFromZero), -top, top);
        }
        else
        {
            for (int i = 0; i < z.Length; i++)
            {
                float u = (DeterministicRandom.Hash(seed, (ulong)(offset + i)) >> 40) * (1f / (1 << 24)); // 24 random bits: uniform on [0, 1)
                result[i] = (sbyte)Math.Clamp((int)MathF.Floor(z[i] * inverse + u), -top, top);
            }
        }
    }

    /// <summary>round-half-away(v) clamped to +-limit, as int32 (see <see cref="Quantize(ReadOnlySpan{float}, int, SignalRounding, ulong, Span{sbyte})"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> RoundNearest(Vector256<float> v, Vector256<float> half, Vector256<float> limit)
    {
        Vector256<float> t = Vector256.Truncate(v);
        Vector256<float> up = Vector256.GreaterThanOrEqual(Vector256.Abs(v - t), half);
        Vector256<float> step = Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero), Vector256.Create(-1f), Vector256.Create(1f));
        return Vector256.ConvertToInt32(Vector256.Min(Vector256.Max(t + (step & up), -limit), limit));
    }

    /// <summary>max_i |z_i| (NaN if any element is NaN), eight lanes at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float MaxAbs(ReadOnlySpan<float> z)
    {
        var lanes = Vector256<float>.Zero;
        var nan = Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= z.Length; i += 8)
        {
            Vector256<float> v = Vector256.Create(z.Slice(i, 8));
            nan |= ~Vector256.Equals(v, v);
            lanes = Vector256.Max(lanes, Vector256.Abs(v));
        }
        float max = 0f;
        for (int lane = 0; lane < 8; lane++) max = MathF.Max(max, lanes.GetElement(lane));
        for (; i < z.Length; i++) max = MathF.Max(max, MathF.Abs(z[i]));
        return nan == Vector256<float>.Zero ? max : float.NaN;
    }


    internal static void CheckPlanes(int planes)
    {
        if (planes < 2 || planes > MaxPlanes)
            throw new ArgumentOutOfRangeException(nameof(planes), planes, $"signal planes must be 2..{MaxPlanes} (two's complement needs a sign plane)");
    }
}
