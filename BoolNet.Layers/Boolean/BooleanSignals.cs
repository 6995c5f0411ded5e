using BoolNet.Core.Bits;
using BoolNet.Core.Operators;

namespace BoolNet.Layers;

/// <summary>
/// The exact float path of the two backward contractions of a Boolean (XNOR) linear map
/// a[N, out] = e(X)[N, m] e(W)[out, m]^T (docs/ALGORITHMS.md section 3; Leconte, "Boolean
/// Logic as an Error feedback mechanism", Eq. 3/4; BOLD, arXiv:2405.16339), the reference the quantised path (<see cref="SignalProducts"/>) approximates:
/// <code>
///   input signal        g[k, i] = sum_j z[k, j] e(W[j, i])     (Eq. 3, over outputs j)
///   optimisation signal q[j, i] = sum_k z[k, j] e(X[k, i])     (Eq. 4, over the batch k)
/// </code>
/// </summary>
public static class BooleanSignals
{
    /// <summary>Exact: g[N, m] = factor * z[N, out] e(W)[out, m].</summary>
    public static void InputSignalExact(float[] z, int count, BitMatrix weights, float factor, float[] g, int threads)
    {
        int outputs = weights.Rows, inputs = weights.Columns;
        float[] signs = BitPacking.UnpackSigns(weights); // e(W) [out, m]
        FloatGemm.Multiply(z, false, signs, false, g, count, inputs, outputs, threads: threads);
        if (factor != 1f) for (int i = 0; i < count * inputs; i++) g[i] *= factor;
    }

    /// <summary>Exact: q[out, m] = factor * z[N, out]^T e(X)[N, m], with X [N, m] bits.</summary>
    public static void WeightSignalExact(float[] z, BitMatrix inputs, int outputs, float factor, float[] q, int threads)
    {
        int count = inputs.Rows, features = inputs.Columns;
        float[] signs = BitPacking.UnpackSigns(inputs); // e(X) [N, m]
        FloatGemm.Multiply(z, true, signs, false, q, outputs, features, count, threads: threads);
        if (factor != 1f) for (int i = 0; i < outputs * features; i++) q[i] *= factor;
    }
}
