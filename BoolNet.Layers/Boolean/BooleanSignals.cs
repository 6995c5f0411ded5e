using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BoolNet.Core.Bits;
using BoolNet.Core.Kernels;
using BoolNet.Layers.Numerics;

namespace BoolNet.Layers;

/// <summary>A signal z [Rows, Columns] quantised to integers: z ~ Scale * Levels.</summary>
public sealed record QuantizedSignal(sbyte[] Levels, float Scale, int Rows, int Columns, int Planes)
{
    /// <summary>Quantises z [rows, columns] (ALGORITHMS.md section 3, <see cref="SignalQuantizer"/>).</summary>
    public static QuantizedSignal Create(float[] z, int rows, int columns, SignalSettings settings, ulong seed, int threads = 1)
    {
        var levels = new sbyte[rows * columns];
        float scale = SignalQuantizer.Quantize(z, rows * columns, settings.Planes, settings.Rounding, seed, levels, threads);
        return new QuantizedSignal(levels, scale, rows, columns, settings.Planes);
    }
}

/// <summary>
/// The two backward contractions of a Boolean (XNOR) linear map a[N, out] = e(X)[N, m] e(W)[out, m]^T,
/// ALGORITHMS.md Eq. 3/4, each by the exact float path or by signal bit-planes on the popcount kernel:
/// <code>
///   input signal        g[k, i] = sum_j z[k, j] e(W[j, i])     (Eq. 3, over outputs j)
///   optimisation signal q[j, i] = sum_k z[k, j] e(X[k, i])     (Eq. 4, over the batch k)
/// </code>
/// Shared by the dense layer and (through patch matrices) by convolutions.
/// </summary>
public static class BooleanSignals
{
    /// <summary>Exact: g[N, m] = factor * z[N, out] e(W)[out, m].</summary>
    public static void InputSignalExact(float[] z, int count, BitMatrix weights, float factor, float[] g, int threads)
    {
        int outputs = weights.Rows, inputs = weights.Columns;
        float[] signs = BitPacking.UnpackSigns(weights); // e(W) [out, m]
        Core.Operators.FloatGemm.Multiply(z, false, signs, false, g, count, inputs, outputs, threads: threads);
        if (factor != 1f) for (int i = 0; i < count * inputs; i++) g[i] *= factor;
    }

    /// <summary>
    /// Integer signal: g[N, m] = factor * scale * Z[N, out] e(W)[out, m] = factor * scale * (2 Z W - sum_j Z[:, j]).
    /// On AVX2 a dense byte product (<see cref="DenseByteProducts"/>), otherwise signal bit-planes on
    /// the popcount kernel (<see cref="InputSignalPlanes"/>); both exact on the integers Z, so they agree exactly.
    /// <paramref name="weightPairs"/>, when given, keeps the paired bytes of W between calls (the dense path).
    /// </summary>
    public static void InputSignal(QuantizedSignal z, BitMatrix weights, float factor, float[] g, int threads, PairedBitsCache? weightPairs = null)
    {
        if (IsaSelection.Current == Isa.Avx2) InputSignalDense(z, weights, factor, g, threads, weightPairs);
        else InputSignalPlanes(z, BitPacking.Transpose(weights, threads), factor, g, threads);
    }

    /// <summary>g by <see cref="DenseByteProducts"/>: a = Z [N, out] paired along out, b = W [out, m] bits.</summary>
    public static void InputSignalDense(QuantizedSignal z, BitMatrix weights, float factor, float[] g, int threads, PairedBitsCache? weightPairs = null)
    {
        if (weights.Rows != z.Columns) throw new ArgumentException($"{weights.Rows} weight rows for a signal of {z.Columns} outputs");
        RunDense(pairedA => DenseByteProducts.PairedA(z.Levels, z.Rows, z.Columns, pairedA), z.Rows, weights,
            RowSums(z.Levels, z.Rows, z.Columns), z.Scale * factor, g, threads, weightPairs);
    }

    /// <summary>
    /// output [rows, b.Columns] = scale * (2 A2 B2 - offsets) on <see cref="DenseByteProducts"/>, with pooled
    /// pair buffers: <paramref name="pairA"/> fills A2 [rows, pairs], B2 comes from the bits b [2 pairs, columns]
    /// (kept up to date by <paramref name="pairsOfB"/> when given, else paired afresh).
    /// </summary>
    private static void RunDense(Action<int[]> pairA, int rows, BitMatrix b, int[] offsets, float scale, float[] output, int threads,
        PairedBitsCache? pairsOfB = null, Action<int, int>? rowsReady = null)
    {
        int pairs = (b.Rows + 1) / 2;
        int[] pairedA = ArrayPool<int>.Shared.Rent(rows * pairs);
        byte[]? pooledB = pairsOfB is null ? ArrayPool<byte>.Shared.Rent(DenseByteProducts.PairedBytes(pairs, b.Columns)) : null;
        try
        {
            pairA(pairedA);
            byte[] pairedB;
            if (pooledB is null) pairedB = pairsOfB!.Pair(b, threads);
            else DenseByteProducts.PairedB(b, pairedB = pooledB, threads);
            DenseByteProducts.Run(pairedA, pairedB, pairs, rows, b.Columns, valueMax: 1, factor: 2, offsets, scale, output, threads,
                rowsReady: rowsReady);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(pairedA);
            if (pooledB is not null) ArrayPool<byte>.Shared.Return(pooledB);
        }
    }

    /// <summary>Bit-planes: g[N, m] = factor * scale * Z[N, out] e(W)[out, m], with W^T [m, out] given.</summary>
    public static void InputSignalPlanes(QuantizedSignal z, BitMatrix weightsTransposed, float factor, float[] g, int threads)
    {
        BitMatrix planes = SignalQuantizer.PackPlanes(z.Levels, z.Rows, z.Columns, z.Planes); // [N*P, out]
        PlaneProducts.Run(planes, SignalQuantizer.PlaneWeights(z.Planes), weightsTransposed, [1], centred: true,
            z.Scale * factor, g, threads);
    }

    /// <summary>Exact: q[out, m] = factor * z[N, out]^T e(X)[N, m], with X [N, m] bits.</summary>
    public static void WeightSignalExact(float[] z, BitMatrix inputs, int outputs, float factor, float[] q, int threads)
    {
        int count = inputs.Rows, features = inputs.Columns;
        float[] signs = BitPacking.UnpackSigns(inputs); // e(X) [N, m]
        Core.Operators.FloatGemm.Multiply(z, true, signs, false, q, outputs, features, count, threads: threads);
        if (factor != 1f) for (int i = 0; i < outputs * features; i++) q[i] *= factor;
    }

    /// <summary>
    /// Integer signal: q[out, m] = factor * scale * Z[N, out]^T e(X)[N, m], with X [N, m] bits.
    /// Short batches (the usual case) run as a dense byte product on AVX2 (<see cref="WeightSignalDense"/>)
    /// and on the non-zero signal pairs otherwise (<see cref="WeightSignalSparse"/>, whose 512-bit rows
    /// were the faster on the AVX-512 machine), long ones as bit-plane AND-popcounts over X^T; all are
    /// exact on the integers Z, so they agree exactly. <paramref name="rowsReady"/> receives every row
    /// range of q once it is final (see <see cref="DenseByteProducts.Run"/>).
    /// </summary>
    public static void WeightSignalPlanes(QuantizedSignal z, BitMatrix inputs, float factor, float[] q, int threads,
        Action<int, int>? rowsReady = null)
    {
        if (IsaSelection.Current == Isa.Avx2 && z.Rows <= ShortBatchLimit)
        {
            WeightSignalDense(z, inputs, factor, q, threads, rowsReady);
            return;
        }
        if (z.Rows > ShortBatchLimit) WeightSignalPopcount(z, BitPacking.Transpose(inputs, threads), factor, q, threads);
        else WeightSignalSparse(z, inputs, factor, q, threads);
        if (rowsReady is not null) Threading.For(z.Columns, threads, rowsReady, work: (long)z.Columns * inputs.Columns);
    }

    /// <summary>q by <see cref="DenseByteProducts"/>: a = Z^T [out, N] paired along the batch, b = X [N, m] bits.</summary>
    public static void WeightSignalDense(QuantizedSignal z, BitMatrix inputs, float factor, float[] q, int threads,
        Action<int, int>? rowsReady = null)
    {
        if (inputs.Rows != z.Rows) throw new ArgumentException($"{inputs.Rows} input rows for a signal of {z.Rows}");
        RunDense(pairedA => DenseByteProducts.PairedATransposed(z.Levels, z.Rows, z.Columns, pairedA, threads), z.Columns, inputs,
            ColumnSums(z.Levels, z.Rows, z.Columns), z.Scale * factor, q, threads, rowsReady: rowsReady);
    }

    /// <summary>sum_j levels[k, j] for each row k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int[] RowSums(sbyte[] levels, int rows, int columns)
    {
        var sums = new int[rows];
        for (int k = 0; k < rows; k++)
        {
            ReadOnlySpan<sbyte> row = levels.AsSpan(k * columns, columns);
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

    /// <summary>Batches up to this many samples take the short-batch path for q (byte products rather than popcounts).</summary>
    public const int ShortBatchLimit = 1024;

    /// <summary>
    /// q from the sparse signal: q[j, i] = factor * scale * (2 sum_k Z[k, j] x_ki - sum_k Z[k, j]), with
    /// X [N, m] bits as bytes 0/1, on <see cref="SparseByteProducts"/>: each output j visits only its
    /// non-zero pairs of signal levels (80-90% of Z is zero in training). Exact integers, so it equals
    /// the selection and popcount paths.
    /// </summary>
    public static void WeightSignalSparse(QuantizedSignal z, BitMatrix inputs, float factor, float[] q, int threads)
    {
        if (inputs.Rows != z.Rows) throw new ArgumentException($"{inputs.Rows} input rows for a signal of {z.Rows}");
        int[] columnSums = ColumnSums(z.Levels, z.Rows, z.Columns);
        SparseByteProducts.Run(z.Levels, BitPacking.UnpackBytes(inputs), z.Rows, z.Columns, inputs.Columns, factor: 2, columnSums,
            z.Scale * factor, q, threads);
    }

    /// <summary>sum_k levels[k, j] for j &lt; columns: 16 columns per step, sign-extended and summed in int16 over up to 256 rows at a time (|sum| &lt;= 256 * 128).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int[] ColumnSums(sbyte[] levels, int rows, int columns)
    {
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

    /// <summary>Z as int16 [N, out] (the selection-sum operand), 16 levels per sign extension.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static short[] Widen(QuantizedSignal z)
    {
        var values = new short[z.Levels.Length];
        int i = 0;
        for (; i + 16 <= values.Length; i += 16)
        {
            (Vector128<short> low, Vector128<short> high) = Vector128.Widen(Vector128.Create<sbyte>(z.Levels.AsSpan(i, 16)));
            low.CopyTo(values.AsSpan(i, 8));
            high.CopyTo(values.AsSpan(i + 8, 8));
        }
        for (; i < values.Length; i++) values[i] = z.Levels[i];
        return values;
    }

    /// <summary>q by bit-plane AND-popcounts (one counting GEMM over stacked planes).</summary>
    public static void WeightSignalPopcount(QuantizedSignal z, BitMatrix inputsTransposed, float factor, float[] q, int threads)
    {
        BitMatrix planes = SignalQuantizer.PackPlanesTransposed(z.Levels, z.Rows, z.Columns, z.Planes); // [out*P, N]
        PlaneProducts.Run(planes, SignalQuantizer.PlaneWeights(z.Planes), inputsTransposed, [1], centred: true,
            z.Scale * factor, q, threads);
    }

    /// <summary>
    /// Both signals by the path <paramref name="settings"/> selects. <paramref name="g"/> may be null
    /// when nobody needs the input signal. X [N, m] bits, W [out, m] bits, z [N, out].
    /// <paramref name="weightPairs"/> (optional, one per weight matrix) keeps W's paired bytes between steps.
    /// The input signal g is computed first, then q: <paramref name="weightSignalRowsReady"/> receives each
    /// row range of q once it is final, and may change W (an optimizer step fused into the backward), since
    /// W is not read after that.
    /// </summary>
    public static void Compute(float[] z, BitMatrix inputs, BitMatrix weights, float weightFactor, float[] q,
        float inputFactor, float[]? g, SignalSettings settings, ulong seed, int threads, PairedBitsCache? weightPairs = null,
        Action<int, int>? weightSignalRowsReady = null)
    {
        int count = inputs.Rows, outputs = weights.Rows;
        if (!settings.UsesPlanes)
        {
            if (g is not null) InputSignalExact(z, count, weights, inputFactor, g, threads);
            WeightSignalExact(z, inputs, outputs, weightFactor, q, threads);
            if (weightSignalRowsReady is not null) Threading.For(outputs, threads, weightSignalRowsReady, work: (long)outputs * inputs.Columns);
            return;
        }
        QuantizedSignal quantized = QuantizedSignal.Create(z, count, outputs, settings, seed, threads);
        if (g is not null)
        {
            int inputPlanes = settings.PlanesForInputSignal;
            QuantizedSignal forInput = inputPlanes == settings.Planes ? quantized
                : QuantizedSignal.Create(z, count, outputs, settings with { Planes = inputPlanes, InputPlanes = null }, seed, threads);
            InputSignal(forInput, weights, inputFactor, g, threads, weightPairs);
        }
        WeightSignalPlanes(quantized, inputs, weightFactor, q, threads, weightSignalRowsReady);
    }
}
