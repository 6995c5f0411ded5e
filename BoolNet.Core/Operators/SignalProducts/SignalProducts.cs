using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BoolNet.Core.Bits;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>The paths of <see cref="SignalProducts"/> (for tests and benchmarks; the operator picks one itself).</summary>
public enum SignalAlgorithm
{
    /// <summary>The scalar reference: int64 sums over the non-zero levels (<see cref="Isa.Scalar"/>'s path).</summary>
    Reference,

    /// <summary>Every level pair against the operand as bytes, vpmaddubsw in a 4 x 32 (AVX2) or 4 x 64 (AVX-512) register tile.</summary>
    DenseBytes,

    /// <summary>Only the non-zero level pairs of each output row, vpmaddubsw on 256- or 512-bit rows.</summary>
    SparseBytes,

    /// <summary>The levels as P bit-planes, one AND-popcount GEMM over all planes (<see cref="PlaneProducts"/>; weight signals only).</summary>
    Planes,
}

/// <summary>
/// The backward contractions of a Boolean layer (docs/ALGORITHMS.md section 3; Leconte, "Boolean
/// Logic as an Error feedback mechanism", Eq. 3 and 4; BOLD, Nguyen et al., arXiv:2405.16339) on quantised signal levels Z [N, out] (<see cref="SignalQuantizer"/>,
/// z ~ scale_z Z) and bit operands read as e(b) = +-1 (or small unsigned values):
/// <code>
///   input signal   g[k, i] = scale * sum_j Z[k, j] e(W[j, i])     W [out, m]   (Eq. 3, over the outputs j)
///   weight signal  q[j, i] = scale * sum_k Z[k, j] e(X[k, i])     X [N, m]     (Eq. 4, over the batch k)
///                  q[j, i] = scale * sum_k Z[k, j] u[k, i]        u [N, m] unsigned bytes (the bit-plane first layer)
/// </code>
/// With e(b) = 2b - 1 both are <c>scale * (2 Z.B - sums of Z)</c>, exact integer arithmetic until one
/// final <c>scale * (float)sum</c>, so every path gives the same floats bit for bit, on every ISA and
/// thread count. This file holds the entry points and the one decision of which path runs
/// (<see cref="Choose"/>); the paths are <see cref="SignalProductsReference"/>, <see cref="DenseByteProducts"/>,
/// <see cref="SparseByteProducts"/> and <see cref="PlaneSignals"/>. The weight signal hands every
/// finished row range of q to a typed epilogue (<see cref="IRowEpilogue"/>): the fused optimizer step.
/// </summary>
public static class SignalProducts
{
    /// <summary>Weight-signal contractions longer than this (batch x positions) keep their operands packed (<see cref="SignalAlgorithm.Planes"/>).</summary>
    public const int ShortBatchLimit = 1024;

    /// <summary>g [N, m] = scale * Z [N, out] e(W [out, m]) (Eq. 3), on the path <see cref="Choose"/> picks for <see cref="IsaSelection.Current"/>.</summary>
    /// <param name="z">the levels Z [N, out]</param>
    /// <param name="weights">W [out, m]</param>
    /// <param name="scale">the factor on the integer sums (the signal's scale times the layer's factors)</param>
    /// <param name="g">[N, m] output, overwritten</param>
    /// <param name="threads">0 for the default</param>
    /// <param name="weightPairs">keeps W's byte pairs between calls (the byte path), or null</param>
    public static void InputSignal(SignalLevels z, BitMatrix weights, float scale, float[] g, int threads = 0, PairedBitsCache? weightPairs = null) =>
        InputSignal(z, weights, scale, g, threads, weightPairs, IsaSelection.Current, algorithm: null);

    /// <summary>
    /// <see cref="InputSignal(SignalLevels, BitMatrix, float, float[], int, PairedBitsCache?)"/> on a given ISA, and on a given
    /// path when <paramref name="algorithm"/> is not null (tests and benchmarks).
    /// </summary>
    public static void InputSignal(SignalLevels z, BitMatrix weights, float scale, float[] g, int threads, PairedBitsCache? weightPairs,
        Isa isa, SignalAlgorithm? algorithm)
    {
        if (weights.Rows != z.Columns) throw new ArgumentException($"{weights.Rows} weight rows for a signal of {z.Columns} outputs");
        CheckOutput(g, z.Rows, weights.Columns);
        CheckRange(z, contraction: z.Columns, valueMax: 1);
        if (z.Rows == 0 || weights.Columns == 0) return;
        switch (algorithm ?? Choose(Product.InputSignal, isa, z, contraction: z.Columns))
        {
            case SignalAlgorithm.Reference: SignalProductsReference.InputSignal(z, weights, scale, g, threads); break;
            case SignalAlgorithm.DenseBytes: DenseByteProducts.InputSignal(z, weights, scale, g, threads, isa, weightPairs); break;
            case var other: throw new NotSupportedException($"no {other} path for the input signal");
        }
    }

    /// <summary>
    /// q [out, m] = scale * Z^T e(X) (Eq. 4), X [N, m] bits; every finished row range of q goes to
    /// <paramref name="rowsDone"/>. <paramref name="excludedSums"/> [out, G] (optional) marks entries
    /// that read 0 rather than -1 (a convolution's excluded padding, whose bits are 0): for column
    /// group g (columns g*m/G .. (g+1)*m/G - 1), the sum of Z[k, j] over the rows k where the group is
    /// excluded, so q[j, i] = scale * (sum_k Z[k, j] e(X[k, i]) + excludedSums[j, g]).
    /// </summary>
    public static void WeightSignal<TRows>(SignalLevels z, BitMatrix inputs, float scale, float[] q, int threads, TRows rowsDone,
        int[]? excludedSums = null)
        where TRows : struct, IRowEpilogue =>
        WeightSignal(z, inputs, excludedSums, scale, q, threads, rowsDone, IsaSelection.Current, algorithm: null);

    /// <summary>The weight signal on bits, on a given ISA and (when not null) a given path.</summary>
    public static void WeightSignal<TRows>(SignalLevels z, BitMatrix inputs, int[]? excludedSums, float scale, float[] q, int threads,
        TRows rowsDone, Isa isa, SignalAlgorithm? algorithm)
        where TRows : struct, IRowEpilogue
    {
        if (inputs.Rows != z.Rows) throw new ArgumentException($"{inputs.Rows} input rows for a signal of {z.Rows}");
        CheckOutput(q, z.Columns, inputs.Columns);
        CheckRange(z, contraction: z.Rows, valueMax: 1);
        if (excludedSums is not null && (z.Columns == 0 || excludedSums.Length % z.Columns != 0 || excludedSums.Length / z.Columns == 0
            || inputs.Columns % (excludedSums.Length / z.Columns) != 0))
            throw new ArgumentException($"excluded sums [{z.Columns}, G] must divide {inputs.Columns} columns into G equal groups");
        if (z.Columns == 0 || inputs.Columns == 0) return;
        switch (algorithm ?? Choose(excludedSums is null ? Product.WeightSignal : Product.WeightSignalExcluding, isa, z, contraction: z.Rows))
        {
            case SignalAlgorithm.Reference: SignalProductsReference.WeightSignal(z, inputs, excludedSums, scale, q, threads, rowsDone); break;
            case SignalAlgorithm.DenseBytes when excludedSums is null: DenseByteProducts.WeightSignal(z, inputs, scale, q, threads, isa, rowsDone); break;
            case SignalAlgorithm.SparseBytes when excludedSums is null: SparseByteProducts.WeightSignal(z, inputs, scale, q, threads, isa, rowsDone); break;
            case SignalAlgorithm.Planes: PlaneSignals.WeightSignal(z, inputs, excludedSums, scale, q, threads, isa, rowsDone); break;
            case var other: throw new NotSupportedException($"no {other} path for this weight signal");
        }
    }

    /// <summary>
    /// q [out, m] = scale * Z^T u (Eq. 4 for a layer whose input is u [N, m], unsigned values below
    /// 2^<paramref name="valueBits"/>: the bit-plane first layer's pixel levels); every finished row
    /// range of q goes to <paramref name="rowsDone"/>.
    /// </summary>
    public static void WeightSignal<TRows>(SignalLevels z, byte[] values, int valueBits, int columns, float scale, float[] q, int threads,
        TRows rowsDone)
        where TRows : struct, IRowEpilogue =>
        WeightSignal(z, values, valueBits, columns, scale, q, threads, rowsDone, IsaSelection.Current, algorithm: null);

    /// <summary>The weight signal on unsigned values, on a given ISA and (when not null) a given path.</summary>
    public static void WeightSignal<TRows>(SignalLevels z, byte[] values, int valueBits, int columns, float scale, float[] q, int threads,
        TRows rowsDone, Isa isa, SignalAlgorithm? algorithm)
        where TRows : struct, IRowEpilogue
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(valueBits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(valueBits, 8);
        if (values.Length < (long)z.Rows * columns) throw new ArgumentException($"values hold {values.Length}, need {(long)z.Rows * columns}");
        CheckOutput(q, z.Columns, columns);
        CheckRange(z, contraction: z.Rows, valueMax: (1 << valueBits) - 1);
        if (z.Columns == 0 || columns == 0) return;
        Product product = SparseByteProducts.Fits(z.Planes, valueBits) ? Product.WeightSignalOfBytes : Product.WeightSignalOfWideBytes;
        switch (algorithm ?? Choose(product, isa, z, contraction: z.Rows))
        {
            case SignalAlgorithm.Reference: SignalProductsReference.WeightSignal(z, values, columns, scale, q, threads, rowsDone); break;
            case SignalAlgorithm.SparseBytes: SparseByteProducts.WeightSignal(z, values, columns, scale, q, threads, isa, rowsDone); break;
            case SignalAlgorithm.Planes: PlaneSignals.WeightSignal(z, values, valueBits, columns, scale, q, threads, isa, rowsDone); break;
            case var other: throw new NotSupportedException($"no {other} path for the weight signal of byte values");
        }
    }

    /// <summary>The contraction a path is chosen for.</summary>
    internal enum Product
    {
        InputSignal,
        WeightSignal,
        WeightSignalExcluding,
        WeightSignalOfBytes,
        WeightSignalOfWideBytes,
    }

    /// <summary>
    /// THE decision of which path computes a signal product, from the ISA and the shape. Measured with
    /// <c>BoolNet.Bench signals</c> on every catalogue shape (batch 100, both ISAs; figures in
    /// BoolNet.Bench/README.md):
    /// <list type="bullet">
    /// <item>scalar: the reference (there is no vpmaddubsw and no vector popcount);</item>
    /// <item>g: the dense byte tile, on AVX-512 too: 1.25x (1024 x 1024, 4 planes) to 35x (the 10-output
    /// head) faster than the planes, which pay P popcount GEMMs and a transpose of W;</item>
    /// <item>q over a short batch: the dense tile at 5 or more planes, where about 30 % of the levels are
    /// non-zero (1.4x faster than the sparse rows at 6 planes), and for fewer than 64 outputs, too few rows
    /// to pay for the sparse index (2x on the 10-output head); else, at 4 planes with about 10 % non-zero
    /// levels, the sparse rows (1.2x-2.3x faster than the dense tile); the planes lose by 10x-100x;</item>
    /// <item>long contractions (a convolution's batch x positions: L's bytes would be 8x its bits, 118 MB
    /// for VGG-Small), the excluded padding only the planes take, and 8-plane levels on 8-bit values
    /// (a vpmaddubsw pair would saturate): the planes.</item>
    /// </list>
    /// </summary>
    internal static SignalAlgorithm Choose(Product product, Isa isa, SignalLevels z, int contraction)
    {
        if (isa == Isa.Scalar) return SignalAlgorithm.Reference;
        // ARM64 has no byte-product tile (the dense and sparse paths are AVX2/AVX-512 code): the reference,
        // or for long contractions the planes, whose popcount GEMMs run on NEON.
        if (isa == Isa.Neon)
            return product == Product.InputSignal || contraction <= ShortBatchLimit ? SignalAlgorithm.Reference : SignalAlgorithm.Planes;
        return product switch
        {
            Product.InputSignal => SignalAlgorithm.DenseBytes,
            Product.WeightSignal when contraction <= ShortBatchLimit =>
                z.Planes >= 5 || z.Columns < 64 ? SignalAlgorithm.DenseBytes : SignalAlgorithm.SparseBytes,
            Product.WeightSignalOfBytes when contraction <= ShortBatchLimit => SignalAlgorithm.SparseBytes,
            _ => SignalAlgorithm.Planes,
        };
    }

    private static void CheckOutput(float[] output, int rows, int columns)
    {
        if (output.Length < (long)rows * columns) throw new ArgumentException($"output holds {output.Length}, needs {(long)rows * columns}");
    }

    /// <summary>Every path sums in int32: |sum| &lt;= 2 max|Z| max(b) K must fit.</summary>
    private static void CheckRange(SignalLevels z, int contraction, int valueMax)
    {
        if (z.Levels.Length < (long)z.Rows * z.Columns) throw new ArgumentException($"levels hold {z.Levels.Length}, need {(long)z.Rows * z.Columns}");
        SignalQuantizer.CheckPlanes(z.Planes);
        if (2L * z.MaxLevel * valueMax * contraction > int.MaxValue)
            throw new ArgumentException($"a contraction over {contraction} values of up to {z.MaxLevel} x {valueMax} may pass the int32 sums");
    }

    /// <summary>sum_j Z[k, j] for each row k (the centring of the input signal).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int[] RowSums(SignalLevels z)
    {
        int rows = z.Rows, columns = z.Columns;
        var sums = new int[rows];
        for (int k = 0; k < rows; k++)
        {
            ReadOnlySpan<sbyte> row = z.Levels.AsSpan(k * columns, columns);
            int j = 0, sum = 0;
            if (Avx2.IsSupported)
            {
                // 32 levels per step: vpmaddubsw against ones adds neighbours into int16, vpmaddwd
                // against ones adds those into int32 (no shuffles, two multiply-adds per 32 levels).
                var total = Vector256<int>.Zero;
                var ones = Vector256.Create((byte)1);
                var onePairs = Vector256.Create((short)1);
                for (; j + 32 <= columns; j += 32)
                    total += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(ones, Vector256.Create(row.Slice(j, 32))), onePairs);
                sum = Vector256.Sum(total);
            }
            for (; j < columns; j++) sum += row[j];
            sums[k] = sum;
        }
        return sums;
    }

    /// <summary>
    /// sum_k Z[k, j] for each column j (the centring of the weight signal): 16 columns per step,
    /// sign-extended and summed in int16 over up to 256 rows at a time (|sum| &lt;= 256 * 128).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int[] ColumnSums(SignalLevels z)
    {
        sbyte[] levels = z.Levels;
        int rows = z.Rows, columns = z.Columns;
        var sums = new int[columns];
        int j = 0;
        for (; j + 16 <= columns; j += 16)
        {
            var total0 = Vector256<int>.Zero;
            var total1 = Vector256<int>.Zero;
            for (int k0 = 0; k0 < rows; k0 += 256)
            {
                var partial = Vector256<short>.Zero;
                for (int k = k0; k < Math.Min(rows, k0 + 256); k++)
                    partial += Vector256.WidenLower(Vector256.Create(Vector128.Create<sbyte>(levels.AsSpan(k * columns + j, 16)), Vector128<sbyte>.Zero));
                (Vector256<int> low, Vector256<int> high) = Vector256.Widen(partial);
                total0 += low;
                total1 += high;
            }
            total0.CopyTo(sums.AsSpan(j, 8));
            total1.CopyTo(sums.AsSpan(j + 8, 8));
        }
        for (; j < columns; j++)
            for (int k = 0; k < rows; k++) sums[j] += levels[k * columns + j];
        return sums;
    }
}
