using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// The elementwise Adam step (Kingma and Ba, "Adam: a method for stochastic optimization", arXiv:1412.6980,
/// Algorithm 1), with the bias corrections c1 = 1 - b1^t and c2 = 1 - b2^t precomputed:
/// <code>
///   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g g;   w -= lr (m / c1) / (sqrt(v / c2) + eps)
/// </code>
/// The vector paths (16 values per zmm on AVX-512, 8 per ymm on AVX2) keep the scalar loop's exact
/// operation order; division and square root are correctly rounded in every lane and no product is
/// fused, so every path equals the scalar loop, the reference, bit for bit.
/// </summary>
public static class AdamUpdate
{
    /// <summary>One Adam step over a range of values on the process ISA.</summary>
    public static void Apply(Span<float> value, ReadOnlySpan<float> gradient, Span<float> m, Span<float> v,
        float b1, float b2, float eps, float c1, float c2, float lr) =>
        Apply(value, gradient, m, v, b1, b2, eps, c1, c2, lr, IsaSelection.Current);

    /// <summary>One Adam step over a range of values on an explicit ISA path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(Span<float> value, ReadOnlySpan<float> gradient, Span<float> m, Span<float> v,
        float b1, float b2, float eps, float c1, float c2, float lr, Isa isa)
    {
        int length = value.Length;
        if (gradient.Length < length || m.Length < length || v.Length < length) throw new ArgumentException($"Adam operands shorter than {length}");
        int i = 0;
        if (isa == Isa.Avx512 && Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= length; i += 16)
            {
                Vector512<float> g = Vector512.Create(gradient.Slice(i, 16));
                Vector512<float> mi = Vector512.Create(b1) * Vector512.Create((ReadOnlySpan<float>)m.Slice(i, 16)) + Vector512.Create(1 - b1) * g;
                Vector512<float> vi = Vector512.Create(b2) * Vector512.Create((ReadOnlySpan<float>)v.Slice(i, 16)) + Vector512.Create(1 - b2) * g * g;
                mi.CopyTo(m.Slice(i, 16));
                vi.CopyTo(v.Slice(i, 16));
                Vector512<float> delta = Vector512.Create(lr) * (mi / Vector512.Create(c1)) / (Vector512.Sqrt(vi / Vector512.Create(c2)) + Vector512.Create(eps));
                (Vector512.Create((ReadOnlySpan<float>)value.Slice(i, 16)) - delta).CopyTo(value.Slice(i, 16));
            }
        }
        if (isa != Isa.Scalar)
        {
            for (; i + 8 <= length; i += 8)
            {
                Vector256<float> g = Vector256.Create(gradient.Slice(i, 8));
                Vector256<float> mi = Vector256.Create(b1) * Vector256.Create((ReadOnlySpan<float>)m.Slice(i, 8)) + Vector256.Create(1 - b1) * g;
                Vector256<float> vi = Vector256.Create(b2) * Vector256.Create((ReadOnlySpan<float>)v.Slice(i, 8)) + Vector256.Create(1 - b2) * g * g;
                mi.CopyTo(m.Slice(i, 8));
                vi.CopyTo(v.Slice(i, 8));
                Vector256<float> delta = Vector256.Create(lr) * (mi / Vector256.Create(c1)) / (Vector256.Sqrt(vi / Vector256.Create(c2)) + Vector256.Create(eps));
                (Vector256.Create((ReadOnlySpan<float>)value.Slice(i, 8)) - delta).CopyTo(value.Slice(i, 8));
            }
        }
        for (; i < length; i++)
        {
            float g = gradient[i];
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            value[i] -= lr * (m[i] / c1) / (MathF.Sqrt(v[i] / c2) + eps);
        }
    }
}
