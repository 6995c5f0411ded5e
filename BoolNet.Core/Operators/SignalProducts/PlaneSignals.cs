using System.Runtime.InteropServices;
using BoolNet.Core.Bits;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// The weight signals on the AND-popcount kernel (<see cref="PlaneProducts"/>): the levels Z become P
/// two's-complement bit-planes packed along the batch, the bits are transposed to be packed along it
/// too, and one counting GEMM per task does all planes. Costs P popcount GEMMs, but its operands stay
/// packed bits: the path for long contractions (a convolution's weight signal sums over batch x
/// positions, where byte operands would take 8x the memory) and the only one that takes excluded entries.
/// </summary>
internal static class PlaneSignals
{
    /// <summary>q [out, m] = scale * Z^T e(X): planes of Z^T [out*P, N] against X^T [m, N]; excluded entries as in <see cref="PlaneProducts"/>.</summary>
    public static void WeightSignal<TRows>(SignalLevels z, BitMatrix inputs, int[]? excludedSums, float scale, float[] q, int threads, Isa isa,
        TRows rowsDone)
        where TRows : struct, IRowEpilogue
    {
        BitMatrix planes = PlaneProducts.PackTransposed(MemoryMarshal.AsBytes(z.Levels.AsSpan()), z.Rows, z.Columns, z.Planes); // [out*P, N]
        PlaneProducts.Run(planes, PlaneProducts.SignedWeights(z.Planes), BitPacking.Transpose(inputs, threads), [1], centred: true,
            excludedSums, scale, q, threads, isa, rowsDone);
    }

    /// <summary>q [out, m] = scale * Z^T u: planes of Z^T [out*P, N] against the B planes of u^T [m*B, N] (uncentred).</summary>
    public static void WeightSignal<TRows>(SignalLevels z, byte[] values, int valueBits, int columns, float scale, float[] q, int threads,
        Isa isa, TRows rowsDone)
        where TRows : struct, IRowEpilogue
    {
        BitMatrix planes = PlaneProducts.PackTransposed(MemoryMarshal.AsBytes(z.Levels.AsSpan()), z.Rows, z.Columns, z.Planes); // [out*P, N]
        BitMatrix valuePlanes = PlaneProducts.PackTransposed(values, z.Rows, columns, valueBits);                              // [m*B, N]
        PlaneProducts.Run(planes, PlaneProducts.SignedWeights(z.Planes), valuePlanes, PlaneProducts.UnsignedWeights(valueBits),
            centred: false, excludedSums: null, scale, q, threads, isa, rowsDone);
    }
}
