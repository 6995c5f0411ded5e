using System.Runtime.CompilerServices;
using BoolNet.Core.Randomness;

namespace BoolNet.Train.Optimizers.Zim;

/// <summary>
/// Walker's alias method in Vose's numerically stable form ("A linear algorithm for generating random
/// numbers with a given distribution", IEEE TSE 17(9), 1991): after an O(d) build in double precision,
/// each categorical draw costs one exactly uniform index (Lemire's unbiased bounded integer) and one
/// 53-bit uniform compared with the column's threshold. Multinomial(n, p) is n such draws counted,
/// O(d + n): at n = d = millions it is several times faster than sequential conditional binomials,
/// whose every coordinate pays a log and an exp.
/// </summary>
public sealed class AliasTable
{
    // One 16-byte entry per column, so a draw touches one cache line (at d = millions the table
    // lives in DRAM and each draw is a random access).
    private Column[] _columns = [];
    private int[] _small = [];
    private int[] _large = [];
    private double[] _scaled = [];
    private double[] _error = [];   // low part of each scaled mass (double-double), see Build

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
            _error = new double[d];
        }
        // Compensated total: a plain sum of millions of weights is off by ~1e-14 relative, and the
        // last column of the build would absorb that whole excess.
        double total = 0, totalError = 0;
        for (int i = 0; i < d; i++)
        {
            double weight = weights[i];
            if (!(weight >= 0) || double.IsInfinity(weight))
                throw new ArgumentException($"multinomial weight {i} is {weight}; weights must be finite and non-negative");
            (total, double error) = TwoSum(total, weight);
            totalError += error;
        }
        total += totalError;
        if (!(total > 0)) throw new ArgumentException("multinomial weights sum to zero");
        Count = d;
        double factor = d / total;
        int smallCount = 0, largeCount = 0;
        for (int i = 0; i < d; i++)
        {
            double scaled = weights[i] * factor; // d p_i: mean 1
            _scaled[i] = scaled;
            _error[i] = 0;
            if (scaled < 1) _small[smallCount++] = i;
            else _large[largeCount++] = i;
        }
        // A donor's mass shrinks by (1 - receiver) at every donation, possibly thousands of times; it is
        // kept as an unevaluated double-double sum (error-free TwoSum), so the rounding does not
        // accumulate and every implied probability is exact to about one double rounding.
        while (smallCount > 0 && largeCount > 0)
        {
            int less = _small[--smallCount], more = _large[--largeCount];
            _columns[less] = new Column(_scaled[less] + _error[less], more);
            // donor <- donor + receiver - 1
            (double sum, double sumError) = TwoSum(_scaled[more], _scaled[less]);
            (double high, double highError) = TwoSum(sum, -1.0);
            double low = _error[more] + _error[less] + sumError + highError;
            (high, low) = TwoSum(high, low);
            _scaled[more] = high;
            _error[more] = low;
            if (high + low < 1) _small[smallCount++] = more;
            else _large[largeCount++] = more;
        }
        // Leftovers are 1 up to rounding: they keep their own column.
        while (largeCount > 0) { int i = _large[--largeCount]; _columns[i] = new Column(1, i); }
        while (smallCount > 0) { int i = _small[--smallCount]; _columns[i] = new Column(1, i); }
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
