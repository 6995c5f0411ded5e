using BoolNet.Core.Bits;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// The scalar reference of <see cref="SignalProducts"/>: each output the definition summed in int64
/// over the non-zero levels, then the float expression every path shares, <c>scale * (float)(int)sum</c>.
/// Every other path equals it bit for bit (tested); it is also the path of <see cref="Isa.Scalar"/>.
/// </summary>
internal static class SignalProductsReference
{
    /// <summary>g[k, i] = scale * sum_j Z[k, j] e(W[j, i]).</summary>
    public static void InputSignal(SignalLevels z, BitMatrix weights, float scale, float[] g, int threads)
    {
        int count = z.Rows, outputs = z.Columns, inputs = weights.Columns;
        var signs = new sbyte[outputs * inputs]; // e(W) [out, m]
        for (int j = 0; j < outputs; j++) BitPacking.UnpackSigns(weights.Row(j), signs.AsSpan(j * inputs, inputs));
        Threading.For(count, threads, (start, end) =>
        {
            var sums = new long[inputs];
            for (int k = start; k < end; k++)
            {
                Array.Clear(sums);
                for (int j = 0; j < outputs; j++)
                {
                    int level = z.Levels[k * outputs + j];
                    if (level == 0) continue;
                    ReadOnlySpan<sbyte> row = signs.AsSpan(j * inputs, inputs);
                    for (int i = 0; i < inputs; i++) sums[i] += level * row[i];
                }
                for (int i = 0; i < inputs; i++) g[k * inputs + i] = scale * (int)sums[i];
            }
        }, work: (long)count * outputs * inputs);
    }

    /// <summary>q[j, i] = scale * (sum_k Z[k, j] e(X[k, i]) + excluded[j, group of i]) (excluded entries read 0, not -1).</summary>
    public static void WeightSignal<TRows>(SignalLevels z, BitMatrix inputs, int[]? excludedSums, float scale, float[] q, int threads, TRows rowsDone)
        where TRows : struct, IRowEpilogue
    {
        int count = z.Rows, outputs = z.Columns, columns = inputs.Columns;
        int groups = excludedSums is null ? 1 : excludedSums.Length / outputs, width = columns / groups;
        var signs = new sbyte[count * columns]; // e(X) [N, m]
        for (int k = 0; k < count; k++) BitPacking.UnpackSigns(inputs.Row(k), signs.AsSpan(k * columns, columns));
        Threading.For(outputs, threads, (start, end) =>
        {
            var sums = new long[columns];
            for (int j = start; j < end; j++)
            {
                Array.Clear(sums);
                for (int k = 0; k < count; k++)
                {
                    int level = z.Levels[k * outputs + j];
                    if (level == 0) continue;
                    ReadOnlySpan<sbyte> row = signs.AsSpan(k * columns, columns);
                    for (int i = 0; i < columns; i++) sums[i] += level * row[i];
                }
                for (int i = 0; i < columns; i++)
                    q[j * columns + i] = scale * (int)(sums[i] + (excludedSums is null ? 0 : excludedSums[j * groups + i / width]));
                rowsDone.Apply(j, j + 1);
            }
        }, work: (long)count * outputs * columns);
    }

    /// <summary>q[j, i] = scale * sum_k Z[k, j] u[k, i].</summary>
    public static void WeightSignal<TRows>(SignalLevels z, byte[] values, int columns, float scale, float[] q, int threads, TRows rowsDone)
        where TRows : struct, IRowEpilogue
    {
        int count = z.Rows, outputs = z.Columns;
        Threading.For(outputs, threads, (start, end) =>
        {
            var sums = new long[columns];
            for (int j = start; j < end; j++)
            {
                Array.Clear(sums);
                for (int k = 0; k < count; k++)
                {
                    int level = z.Levels[k * outputs + j];
                    if (level == 0) continue;
                    ReadOnlySpan<byte> row = values.AsSpan(k * columns, columns);
                    for (int i = 0; i < columns; i++) sums[i] += level * row[i];
                }
                for (int i = 0; i < columns; i++) q[j * columns + i] = scale * (int)sums[i];
                rowsDone.Apply(j, j + 1);
            }
        }, work: (long)count * outputs * columns);
    }
}
