using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// Elementwise float operators: one correctly rounded operation per element, so the vector paths
/// (AVX2 and AVX-512 both run 8-float ymm vectors: these loops are bound by memory, not by width)
/// equal the scalar loops, which are the reference, bit for bit.
/// <code>
///   Scale:  y[i] = x[i] * s
///   Widen:  y[i] = (float)bytes[i]
/// </code>
/// </summary>
public static class Elementwise
{
    /// <summary>values[i] *= factor.</summary>
    public static void Scale(Span<float> values, float factor) => Scale(values, factor, values, IsaSelection.Current);

    /// <summary>destination[i] = source[i] * factor for i &lt; source.Length.</summary>
    public static void Scale(ReadOnlySpan<float> source, float factor, Span<float> destination) => Scale(source, factor, destination, IsaSelection.Current);

    /// <summary><see cref="Scale(ReadOnlySpan{float}, float, Span{float})"/> on an explicit ISA path.</summary>
    public static void Scale(ReadOnlySpan<float> source, float factor, Span<float> destination, Isa isa)
    {
        if (destination.Length < source.Length) throw new ArgumentException($"destination holds {destination.Length} values, needs {source.Length}");
        int i = 0;
        if (isa != Isa.Scalar && Vector256.IsHardwareAccelerated)
        {
            Vector256<float> scale = Vector256.Create(factor);
            for (; i + 8 <= source.Length; i += 8) (Vector256.Create(source.Slice(i, 8)) * scale).CopyTo(destination.Slice(i, 8));
        }
        for (; i < source.Length; i++) destination[i] = source[i] * factor;
    }

    /// <summary>destination[i] = source[i] * factor for i &lt; length, in 8-aligned chunks over threads.</summary>
    public static void Scale(float[] source, float factor, float[] destination, int length, int threads)
    {
        if (source.Length < length || destination.Length < length) throw new ArgumentException($"buffers shorter than {length}");
        Isa isa = IsaSelection.Current;
        Threading.For(length, threads, (start, end) => Scale(source.AsSpan(start, end - start), factor, destination.AsSpan(start, end - start), isa),
            alignment: 8, work: length);
    }

    /// <summary>destination[i] = (float)source[i]: bytes 0..255 to exact floats.</summary>
    public static void Widen(ReadOnlySpan<byte> source, Span<float> destination) => Widen(source, destination, IsaSelection.Current);

    /// <summary><see cref="Widen(ReadOnlySpan{byte}, Span{float})"/> on an explicit ISA path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Widen(ReadOnlySpan<byte> source, Span<float> destination, Isa isa)
    {
        if (destination.Length < source.Length) throw new ArgumentException($"destination holds {destination.Length} values, needs {source.Length}");
        int i = 0;
        if (isa != Isa.Scalar && Avx2.IsSupported)
        {
            // 8 bytes zero-extended to int32 lanes (vpmovzxbd) and converted (vcvtdq2ps): a per-element
            // loop cost a tenth of the float first layer's time on the one thread that gathers a batch.
            fixed (byte* from = source)
            fixed (float* to = destination)
                for (; i + 8 <= source.Length; i += 8)
                    Avx.Store(to + i, Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(from + i)));
        }
        for (; i < source.Length; i++) destination[i] = source[i];
    }
}
