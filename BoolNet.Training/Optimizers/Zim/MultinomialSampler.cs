using System.Runtime.CompilerServices;
using BoolNet.Core.Randomness;

namespace BoolNet.Training.Optimizers.Zim;

/// <summary>
/// Exact Multinomial(n, p) by sequential conditional binomials:
/// <c>X_i ~ Binomial(n - sum_{j&lt;i} X_j, w_i / sum_{j&gt;=i} w_j)</c>, the last coordinate taking what
/// remains. The weights need not be normalised; the suffix sums are accumulated in double precision
/// from the end, so every conditional probability is exact to double rounding even at d = millions
/// (no drift from subtracting a running prefix). One linear pass over d with O(1) expected work per
/// coordinate when n*p_i is small; counts always sum to n.
/// </summary>
internal static class MultinomialSampler
{
    /// <summary>
    /// Draws Multinomial(<paramref name="n"/>, w / sum w) into <paramref name="counts"/> (overwritten).
    /// <paramref name="suffix"/> is scratch of the same length as the weights.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sample(DeterministicRandom random, long n, ReadOnlySpan<double> weights, Span<int> counts, Span<double> suffix)
    {
        int d = weights.Length;
        if (counts.Length < d || suffix.Length < d)
            throw new ArgumentException($"counts ({counts.Length}) and suffix scratch ({suffix.Length}) must hold {d} values");
        if (n < 0 || n > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(n), $"trial count {n} outside [0, {int.MaxValue}]");
        counts[..d].Clear();
        if (n == 0 || d == 0) return;
        double total = 0;
        for (int i = d - 1; i >= 0; i--)
        {
            double weight = weights[i];
            if (!(weight >= 0) || double.IsInfinity(weight))
                throw new ArgumentException($"multinomial weight {i} is {weight}; weights must be finite and non-negative");
            total += weight;
            suffix[i] = total;
        }
        if (!(total > 0)) throw new ArgumentException("multinomial weights sum to zero");

        long remaining = n;
        for (int i = 0; i < d && remaining > 0; i++)
        {
            double rest = suffix[i];
            if (rest <= 0) break;                   // only zero weights remain; cannot happen before remaining hits 0
            double conditional = weights[i] / rest;
            long count = conditional >= 1 || i == d - 1 ? remaining : BinomialSampler.Sample(random, remaining, conditional);
            counts[i] = (int)count;
            remaining -= count;
        }
    }
}
