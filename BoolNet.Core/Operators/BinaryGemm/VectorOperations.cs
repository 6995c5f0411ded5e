using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BoolNet.Core.Operators;

/// <summary>
/// A bitwise operation on words and on 128/256/512-bit vectors (NEON, AVX2, AVX-512), chosen at JIT time through a struct type
/// argument so every kernel is compiled once per operation with no branch in its inner loop.
/// </summary>
internal interface IVectorOperation
{
    /// <summary>The operation on two 64-bit words.</summary>
    static abstract ulong Apply(ulong a, ulong b);

    /// <summary>The operation on two 128-bit vectors (the NEON kernels).</summary>
    static abstract Vector128<ulong> Apply(Vector128<ulong> a, Vector128<ulong> b);

    /// <summary>The operation on two 256-bit vectors.</summary>
    static abstract Vector256<ulong> Apply(Vector256<ulong> a, Vector256<ulong> b);

    /// <summary>The operation on two 512-bit vectors.</summary>
    static abstract Vector512<ulong> Apply(Vector512<ulong> a, Vector512<ulong> b);
}

/// <summary>a XOR b: popcount gives the mismatch count behind XNOR and XOR neurons.</summary>
internal readonly struct XorVectors : IVectorOperation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Apply(ulong a, ulong b) => a ^ b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> Apply(Vector128<ulong> a, Vector128<ulong> b) => a ^ b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Apply(Vector256<ulong> a, Vector256<ulong> b) => a ^ b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> Apply(Vector512<ulong> a, Vector512<ulong> b) => a ^ b;
}

/// <summary>a AND b: popcount gives the bit-plane product.</summary>
internal readonly struct AndVectors : IVectorOperation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Apply(ulong a, ulong b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> Apply(Vector128<ulong> a, Vector128<ulong> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Apply(Vector256<ulong> a, Vector256<ulong> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> Apply(Vector512<ulong> a, Vector512<ulong> b) => a & b;
}
