using System.Runtime.CompilerServices;
using BoolNet.Core.Randomness;

namespace BoolNet.Training.Optimizers.Zim;

/// <summary>
/// Exact Binomial(n, p) variates in double precision.
/// <list type="bullet">
/// <item>n * min(p, 1-p) &lt; 10: inversion, walking the CDF from 0 with the recurrence
/// f(k+1) = f(k) * (n-k)/(k+1) * p/(1-p) (expected O(1 + np) steps; at n = millions and p ~ 1/n this is
/// the common case of the ZIM update).</item>
/// <item>otherwise: BTRS, the transformed rejection sampler with squeeze of Hörmann, "The generation
/// of binomial random variates", J. Stat. Comput. Simul. 46 (1993), exact by construction
/// (acceptance uses the exact log-probability ratio via log-factorials).</item>
/// </list>
/// p &gt; 1/2 uses the symmetry Binomial(n, p) = n - Binomial(n, 1-p).
/// </summary>
internal static class BinomialSampler
{
    private const int FactorialTableSize = 256;
    private static readonly double[] LogFactorialTable = BuildLogFactorials();

    /// <summary>Draws Binomial(<paramref name="n"/>, <paramref name="p"/>) using <paramref name="random"/>.</summary>
    public static long Sample(DeterministicRandom random, long n, double p)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), $"binomial trial count {n} is negative");
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), $"binomial probability {p} is not in [0, 1]");
        if (n == 0 || p == 0) return 0;
        if (p == 1) return n;
        if (p > 0.5) return n - SampleAtMostHalf(random, n, 1 - p);
        return SampleAtMostHalf(random, n, p);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long SampleAtMostHalf(DeterministicRandom random, long n, double p) =>
        n * p < 10 ? Inversion(random, n, p) : Btrs(random, n, p);

    /// <summary>Inversion from 0; restarts (a fresh uniform) in the 1e-30-rare case rounding walks past the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long Inversion(DeterministicRandom random, long n, double p)
    {
        double q = 1 - p;
        double ratio = p / q;
        double start = Math.Exp(n * LogOnePlus(-p)); // P(X = 0) = (1-p)^n, with log1p so p ~ 1e-7 keeps its digits
        long bound = Math.Min(n, 110 + (long)(10 * n * p));
        while (true)
        {
            double u = random.NextDouble();
            double probability = start;
            long k = 0;
            while (u > probability)
            {
                u -= probability;
                k++;
                if (k > bound) break;
                probability *= ratio * (n - k + 1) / k;
            }
            if (k <= bound) return k;
        }
    }

    /// <summary>BTRS (Hörmann 1993: transformed rejection with squeeze), for n*p &gt;= 10, p &lt;= 1/2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long Btrs(DeterministicRandom random, long n, double p)
    {
        double q = 1 - p;
        double spq = Math.Sqrt(n * p * q);
        double b = 1.15 + 2.53 * spq;
        double a = -0.0873 + 0.0248 * b + 0.01 * p;
        double c = n * p + 0.5;
        double vr = 0.92 - 4.2 / b;
        double alpha = (2.83 + 5.1 / b) * spq;
        double logRatio = Math.Log(p / q);
        long mode = (long)Math.Floor((n + 1) * p);
        double h = LogFactorial(mode) + LogFactorial(n - mode);
        while (true)
        {
            double u = random.NextDouble() - 0.5;
            double v = random.NextDouble();
            double us = 0.5 - Math.Abs(u);
            double kDouble = Math.Floor((2 * a / us + b) * u + c);
            if (kDouble < 0 || kDouble > n) continue;
            long k = (long)kDouble;
            if (us >= 0.07 && v <= vr) return k;
            if (v <= 0) continue;
            v = Math.Log(v * alpha / (a / (us * us) + b));
            if (v <= h - LogFactorial(k) - LogFactorial(n - k) + (k - mode) * logRatio) return k;
        }
    }

    /// <summary>ln(k!): a table below 256, else Stirling's series to 1/k^7 (error below 1e-17 relative there).</summary>
    internal static double LogFactorial(long k)
    {
        if (k < FactorialTableSize) return LogFactorialTable[k];
        double x = k, inverse = 1.0 / x, inverse2 = inverse * inverse;
        return (x + 0.5) * Math.Log(x) - x + 0.91893853320467274178 // 0.5 ln(2 pi)
            + inverse * (1.0 / 12 - inverse2 * (1.0 / 360 - inverse2 * (1.0 / 1260 - inverse2 / 1680)));
    }

    private static double[] BuildLogFactorials()
    {
        var table = new double[FactorialTableSize];
        for (int k = 1; k < FactorialTableSize; k++) table[k] = table[k - 1] + Math.Log(k);
        return table;
    }

    /// <summary>ln(1 + x) accurate for tiny |x| (.NET has no log1p).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double LogOnePlus(double x)
    {
        double y = 1 + x;
        // Classic correction: log(y) * x / (y - 1) cancels the rounding of 1 + x.
        return y == 1 ? x : Math.Log(y) * x / (y - 1);
    }
}
