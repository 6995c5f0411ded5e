using System.Runtime.CompilerServices;
using BoolNet.Core.Randomness;

namespace BoolNet.Training.Optimizers.Zim;

/// <summary>
/// Walker's alias method in Vose's numerically stable form ("A linear algorithm for generating random
/// numbers with a given distribution", IEEE TSE 17(9), 1991): after an O(d) build in double precision,
/// each categorical draw costs one exactly uniform index (Lemire's unbiased bounded integer) and one
/// 53-bit uniform compared with the column's threshold. Multinomial(n, p) is n such draws counted,
/// O(d + n): at n = d = millions it is several times faster than sequential conditional binomials,
/// whose every coordinate pays a log and an exp.
/// </summary>
internal sealed class AliasTable
{
    // One 16-byte entry per column, so a draw touches one cache line (at d = millions the table
    // lives in DRAM and each draw is a random access).
    private Column[] _columns = [];
    private int[] _small = [];
    private int[] _large = [];
    private double[] _scaled = [];

    /// <summary>Number of categories of the last build.</summary>
    public int Count { get; private set; }

    /// <summary>Builds the table for p_i = w_i / sum w (weights finite, non-negative, not all zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Build(ReadOnlySpan<double> weights)
    {
        int d = weights.Length;
        if (_columns.Length < d)
        {
            _columns = new Column[d];
            _small = new int[d];
            _large = new int[d];
            _scaled = new double[d];
        }
        // Compensated total: a plain sum of millions of weights is off by ~1e-14 relative, and the
        // last column of the build would absorb that whole excess. Four independent TwoSum chains (a
        // fixed interleave, so the result is deterministic) hide the adder latency of one chain.
        double total0 = 0, total1 = 0, total2 = 0, total3 = 0, error0 = 0, error1 = 0, error2 = 0, error3 = 0;
        int i4 = 0;
        for (; i4 + 4 <= d; i4 += 4)
        {
            double w0 = weights[i4], w1 = weights[i4 + 1], w2 = weights[i4 + 2], w3 = weights[i4 + 3];
            if (!(Math.Min(Math.Min(w0, w1), Math.Min(w2, w3)) >= 0) || !double.IsFinite(w0 + w1 + w2 + w3)) CheckWeights(weights.Slice(i4, 4), i4);
            double e;
            (total0, e) = TwoSum(total0, w0); error0 += e;
            (total1, e) = TwoSum(total1, w1); error1 += e;
            (total2, e) = TwoSum(total2, w2); error2 += e;
            (total3, e) = TwoSum(total3, w3); error3 += e;
        }
        for (; i4 < d; i4++)
        {
            CheckWeights(weights.Slice(i4, 1), i4);
            (total0, double e) = TwoSum(total0, weights[i4]);
            error0 += e;
        }
        (double total, double combined) = TwoSum(total0, total1);
        double totalError = combined + error0 + error1 + error2 + error3;
        (total, combined) = TwoSum(total, total2);
        totalError += combined;
        (total, combined) = TwoSum(total, total3);
        totalError += combined;
        total += totalError;
        if (!(total > 0)) throw new ArgumentException("multinomial weights sum to zero");
        Count = d;
        double factor = d / total;
        int smallCount = 0, largeCount = 0;
        for (int i = 0; i < d; i++)
        {
            double scaled = weights[i] * factor; // d p_i: mean 1
            _scaled[i] = scaled;
            // Branch-free push: with p near uniform the test is a coin flip the predictor misses half the time.
            int isSmall = scaled < 1 ? 1 : 0;
            _small[smallCount] = i;
            _large[largeCount] = i;
            smallCount += isSmall;
            largeCount += 1 - isSmall;
        }
        // Vose's donation: donor <- (donor + receiver) - 1 (adding first limits cancellation). A donor
        // may give thousands of times; the accumulated rounding stays ~1e-13 relative (tested), far
        // below the 1e-12 the tests demand, so no double-double is needed on this serial chain.
        while (smallCount > 0 && largeCount > 0)
        {
            int less = _small[--smallCount], more = _large[--largeCount];
            double receiver = _scaled[less];
            _columns[less] = new Column(receiver, more);
            double remaining = (_scaled[more] + receiver) - 1;
            _scaled[more] = remaining;
            int isSmall = remaining < 1 ? 1 : 0;
            _small[smallCount] = more;
            _large[largeCount] = more;
            smallCount += isSmall;
            largeCount += 1 - isSmall;
        }
        // Leftovers are 1 up to rounding: they keep their own column.
        while (largeCount > 0) { int i = _large[--largeCount]; _columns[i] = new Column(1, i); }
        while (smallCount > 0) { int i = _small[--smallCount]; _columns[i] = new Column(1, i); }
    }

    private static void CheckWeights(ReadOnlySpan<double> weights, int offset)
    {
        for (int i = 0; i < weights.Length; i++)
            if (!(weights[i] >= 0) || double.IsInfinity(weights[i]))
                throw new ArgumentException($"multinomial weight {offset + i} is {weights[i]}; weights must be finite and non-negative");
    }

    /// <summary>Knuth's error-free sum: a + b = sum + error exactly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (double Sum, double Error) TwoSum(double a, double b)
    {
        double sum = a + b;
        double bVirtual = sum - a;
        double aVirtual = sum - bVirtual;
        return (sum, (a - aVirtual) + (b - bVirtual));
    }

    /// <summary>The probability the table assigns to each category: sum over columns of threshold/d (own) and (1 - threshold)/d (alias).</summary>
    public double[] ImpliedProbabilities()
    {
        // Compensated sums: a donor collects thousands of (1 - threshold) terms.
        var high = new double[Count];
        var low = new double[Count];
        void Add(int index, double value)
        {
            (double sum, double error) = TwoSum(high[index], value);
            high[index] = sum;
            low[index] += error;
        }
        for (int column = 0; column < Count; column++)
        {
            Column entry = _columns[column];
            Add(column, entry.Threshold);
            if (entry.Threshold < 1) Add(entry.Alias, 1 - entry.Threshold);
        }
        var probabilities = new double[Count];
        for (int i = 0; i < Count; i++) probabilities[i] = (high[i] + low[i]) / Count;
        return probabilities;
    }

    /// <summary>One categorical draw.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Draw(DeterministicRandom random)
    {
        int column = random.NextInt(Count);
        Column entry = _columns[column];
        return random.NextDouble() < entry.Threshold ? column : entry.Alias;
    }

    /// <summary>Multinomial(<paramref name="n"/>, p): adds n draws into <paramref name="counts"/> (cleared first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void SampleMultinomial(DeterministicRandom random, long n, Span<int> counts)
    {
        if (counts.Length < Count) throw new ArgumentException($"counts hold {counts.Length} values, the table has {Count}");
        counts[..Count].Clear();
        Column[] columns = _columns;
        int d = Count;
        for (long t = 0; t < n; t++)
        {
            int column = random.NextInt(d);
            Column entry = columns[column];
            counts[random.NextDouble() < entry.Threshold ? column : entry.Alias]++;
        }
    }

    /// <summary>Column c keeps itself with probability Threshold, else gives its alias.</summary>
    private readonly record struct Column(double Threshold, int Alias);
}
