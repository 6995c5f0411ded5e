using System.Diagnostics;
using BoolNet.Core.Randomness;
using BoolNet.Layers;

namespace BoolNet.Training.Optimizers.Zim;

/// <summary>
/// The ZIM update of Wilson, Zanasi, Constantinides (2025), Def. 3.2 (docs/ALGORITHMS.md section 5) on
/// integer parameters:
/// <code>
/// p_i = (|g_i| + c) / (sum_j |g_j| + d c)
/// X   ~ ZIM(n, p, eta):  0 with probability 1 - eta, else Multinomial(n, p)
/// w  &lt;- w - sign(g) (.) X            (integers; sign(0) = 0)
/// </code>
/// Coordinates with g_i = 0 keep their share c / (sum |g| + d c) of the trials, so a draw can land
/// on them; such a draw is spent and the coordinate does not move (sign(0) = 0, exactly the paper's
/// formula), so they never move and the other coordinates' counts are those of the full multinomial.
/// Weights saturate at their parameter's range (int32 by default) instead of wrapping.
/// <para>
/// Global mode draws one Bernoulli(eta) and one multinomial over all parameters given at once;
/// per-tensor mode draws an independent ZIM per tensor with n = round(numel^(1/ndim)). The
/// randomness of step t is stream t of the seed (<see cref="DeterministicRandom(ulong, ulong)"/>),
/// consumed in a fixed order: a run is reproducible, independent of the thread count, and a run
/// resumed at step t draws exactly what the uninterrupted run would (no generator state to save).
/// </para>
/// </summary>
public sealed class ZimUpdate
{
    private DeterministicRandom _random;
    private double[] _weights = Array.Empty<double>();
    private int[] _counts = Array.Empty<int>();
    private readonly BlockedMultinomial _sampler = new();

    /// <summary>Creates the update with its own generator seeded from <see cref="ZimOptions.Seed"/>.</summary>
    public ZimUpdate(ZimOptions options)
    {
        options.Validate();
        Options = options;
        _random = new DeterministicRandom(options.Seed, 0);
    }

    /// <summary>Threads for the block-parallel sampler (0: the process default). Results do not depend on it.</summary>
    public int Threads { get; set; }

    /// <summary>The settings.</summary>
    public ZimOptions Options { get; }

    /// <summary>Steps applied so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>Steps (or, per tensor, tensor draws) that were zero-inflated away.</summary>
    public long SkippedDraws { get; private set; }

    /// <summary>Multinomial draws made.</summary>
    public long MultinomialDraws { get; private set; }

    /// <summary>Sum over steps of the number of weight units moved (sum_i |change of w_i|).</summary>
    public long UnitsMoved { get; private set; }

    /// <summary>Units moved per parameter since <see cref="TakeMoved"/> was last called.</summary>
    private readonly Dictionary<IntegerParameter, long> _moved = new(ReferenceEqualityComparer.Instance);

    /// <summary>Units moved by <paramref name="parameter"/> since the last call, then resets its counter.</summary>
    public long TakeMoved(IntegerParameter parameter)
    {
        _moved.Remove(parameter, out long moved);
        return moved;
    }

    /// <summary>Wall time spent computing p and sampling (excludes applying the update).</summary>
    public TimeSpan SamplingTime => _samplingWatch.Elapsed;

    /// <summary>Wall time spent in the whole step.</summary>
    public TimeSpan StepTime => _stepWatch.Elapsed;

    private readonly Stopwatch _samplingWatch = new();
    private readonly Stopwatch _stepWatch = new();

    /// <summary>Applies one step (the next step index) to <paramref name="parameters"/> using their current gradients.</summary>
    public void Step(IReadOnlyList<IntegerParameter> parameters) => Step(parameters, StepCount, Options.TotalSteps);

    /// <summary>
    /// Applies step <paramref name="step"/> (0-based; it selects the random stream and the scheduled eta,
    /// the cosine spanning <paramref name="totalSteps"/> when the options give none).
    /// </summary>
    public void Step(IReadOnlyList<IntegerParameter> parameters, long step, long totalSteps)
    {
        _stepWatch.Start();
        try
        {
            _random = new DeterministicRandom(Options.Seed, (ulong)step);
            ZimOptions options = Options.TotalSteps > 0 || totalSteps <= 0 ? Options : Options with { TotalSteps = totalSteps };
            double eta = options.EtaAt(step);
            if (Options.Trials == ZimTrials.Global)
                StepGlobal(parameters, eta);
            else
                foreach (IntegerParameter parameter in parameters) StepTensor(parameter, eta);
            StepCount = step + 1;
        }
        finally
        {
            _stepWatch.Stop();
        }
    }

    /// <summary>Trials of the per-tensor mode: round(numel^(1/ndim)), at least 1.</summary>
    public static long PerTensorTrials(IntegerParameter parameter)
    {
        int dimensions = parameter.Dimensions.Count;
        return Math.Max(1, (long)Math.Round(Math.Pow(parameter.Count, 1.0 / dimensions)));
    }

    private void StepGlobal(IReadOnlyList<IntegerParameter> parameters, double eta)
    {
        long total = 0;
        foreach (IntegerParameter parameter in parameters) total += parameter.Count;
        if (total == 0) return;
        if (total > int.MaxValue) throw new InvalidOperationException($"ZIM global mode supports up to {int.MaxValue} parameters, got {total}");
        // The zero-inflation draw comes first: a skipped step costs nothing else.
        if (!(_random.NextDouble() < eta))
        {
            SkippedDraws++;
            return;
        }
        int d = (int)total;
        EnsureScratch(d);
        _samplingWatch.Start();
        int offset = 0;
        foreach (IntegerParameter parameter in parameters)
        {
            FillWeights(parameter, _weights.AsSpan(offset, parameter.Count));
            offset += parameter.Count;
        }
        long trials = Math.Max(1, (long)Math.Round(Options.TrialFactor * d));
        SampleMultinomial(trials, d);
        MultinomialDraws++;
        _samplingWatch.Stop();
        offset = 0;
        foreach (IntegerParameter parameter in parameters)
        {
            Apply(parameter, _counts.AsSpan(offset, parameter.Count));
            offset += parameter.Count;
        }
    }

    private void StepTensor(IntegerParameter parameter, double eta)
    {
        if (parameter.Count == 0) return;
        if (!(_random.NextDouble() < eta))
        {
            SkippedDraws++;
            return;
        }
        int d = parameter.Count;
        EnsureScratch(d);
        _samplingWatch.Start();
        FillWeights(parameter, _weights.AsSpan(0, d));
        SampleMultinomial(PerTensorTrials(parameter), d);
        MultinomialDraws++;
        _samplingWatch.Stop();
        Apply(parameter, _counts.AsSpan(0, d));
    }

    private void SampleMultinomial(long trials, int d)
    {
        // The blocks' randomness is keyed by a draw of this step's stream, after the zero-inflation draw.
        _sampler.Sample(_random.NextUInt64(), trials, _weights.AsSpan(0, d), _counts.AsSpan(0, d), Options.Sampler, Threads);
    }

    /// <summary>Unnormalised p: |g_i| + c in double (the common 1 / (sum |g| + d c) cancels in the sampler).</summary>
    private void FillWeights(IntegerParameter parameter, Span<double> weights)
    {
        float[] gradient = parameter.Gradient;
        double c = Options.Smoothing;
        for (int i = 0; i < weights.Length; i++)
        {
            float g = gradient[i];
            if (!float.IsFinite(g))
                throw new InvalidOperationException($"ZIM: gradient {i} of integer parameter '{parameter.Name}' is {g}; training diverged or a layer produced invalid values");
            weights[i] = Math.Abs((double)g) + c;
        }
    }

    /// <summary>w_i &lt;- w_i - sign(g_i) X_i, saturating at the parameter's range (<see cref="IntegerParameter.Range"/>).</summary>
    private void Apply(IntegerParameter parameter, ReadOnlySpan<int> counts)
    {
        int[] values = parameter.Value;
        float[] gradient = parameter.Gradient;
        long moved = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            int count = counts[i];
            if (count == 0) continue;
            float g = gradient[i];
            if (g == 0) continue;               // sign(0) = 0: the draw is spent, the weight stays
            long updated = g > 0 ? (long)values[i] - count : (long)values[i] + count;
            values[i] = parameter.Range.Clamp(updated);
            moved += count;
        }
        UnitsMoved += moved;
        _moved[parameter] = _moved.GetValueOrDefault(parameter) + moved;
    }

    private void EnsureScratch(int d)
    {
        if (_weights.Length >= d) return;
        _weights = new double[d];
        _counts = new int[d];
    }
}
