using System.Runtime.Intrinsics;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// The two bias operations of a dense layer on a row-major [rows, columns] batch, over threads and
/// 8 columns per vector step:
/// <code>
///   AddToRows:   y[k, j] += b[j]                      (forward: y = x W^T + b)
///   ColumnSums:  s[j] = sum_k z[k, j], k = 0, 1, ...  (backward: db = sum_k dL/dy[k, :])
/// </code>
/// Threads split the columns and each column sums its rows in order from 0, so both give the
/// scalar loop's floats (the reference, <c>BOOLNET_ISA=scalar</c>) bit for bit on every thread count. (As scalar loops on the main thread,
/// with the bias read through a property per element, the pair cost about 0.5 ms per batch of
/// 100 x 1024, about a fifth of the first layer's two products on two threads, with the second
/// core idle meanwhile.)
/// </summary>
public static class RowBroadcast
{
    /// <summary>y[k * columns + j] += bias[j] for k &lt; rows, j &lt; columns.</summary>
    public static void AddToRows(float[] y, float[] bias, int rows, int columns, int threads) =>
        AddToRows(y, bias, rows, columns, threads, IsaSelection.Current);

    /// <summary><see cref="AddToRows(float[], float[], int, int, int)"/> on an explicit ISA path.</summary>
    public static void AddToRows(float[] y, float[] bias, int rows, int columns, int threads, Isa isa)
    {
        if (y.Length < (long)rows * columns) throw new ArgumentException($"y holds {y.Length} values, needs {rows}x{columns}");
        if (bias.Length < columns) throw new ArgumentException($"bias holds {bias.Length} values, needs {columns}");
        Threading.For(rows, threads, (start, end) =>
        {
            for (int k = start; k < end; k++)
            {
                Span<float> row = y.AsSpan(k * columns, columns);
                int j = 0;
                if (isa != Isa.Scalar)
                    for (; j + 8 <= columns; j += 8) (Vector256.Create(row.Slice(j, 8)) + Vector256.Create(bias.AsSpan(j, 8))).CopyTo(row.Slice(j, 8));
                for (; j < columns; j++) row[j] += bias[j];
            }
        }, work: (long)rows * columns);
    }

    /// <summary>sums[j] = z[0, j] + z[1, j] + ... + z[rows - 1, j] (in that order, from 0) for j &lt; columns.</summary>
    public static void ColumnSums(float[] z, int rows, int columns, float[] sums, int threads) =>
        ColumnSums(z, rows, columns, sums, threads, IsaSelection.Current);

    /// <summary><see cref="ColumnSums(float[], int, int, float[], int)"/> on an explicit ISA path.</summary>
    public static void ColumnSums(float[] z, int rows, int columns, float[] sums, int threads, Isa isa)
    {
        if (z.Length < (long)rows * columns) throw new ArgumentException($"z holds {z.Length} values, needs {rows}x{columns}");
        if (sums.Length < columns) throw new ArgumentException($"sums holds {sums.Length} values, needs {columns}");
        Threading.For(columns, threads, (start, end) =>
        {
            int j = start;
            // 32 columns per pass: four independent vector chains hide the add latency, and each row
            // contributes one 128-byte piece.
            for (; isa != Isa.Scalar && j + 32 <= end; j += 32)
            {
                Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
                for (int k = 0; k < rows; k++)
                {
                    ReadOnlySpan<float> row = z.AsSpan(k * columns + j, 32);
                    s0 += Vector256.Create(row); s1 += Vector256.Create(row[8..]);
                    s2 += Vector256.Create(row[16..]); s3 += Vector256.Create(row[24..]);
                }
                s0.CopyTo(sums.AsSpan(j)); s1.CopyTo(sums.AsSpan(j + 8)); s2.CopyTo(sums.AsSpan(j + 16)); s3.CopyTo(sums.AsSpan(j + 24));
            }
            for (; j < end; j++)
            {
                float sum = 0f;
                for (int k = 0; k < rows; k++) sum += z[k * columns + j];
                sums[j] = sum;
            }
        }, alignment: 32, work: (long)rows * columns);
    }
}
