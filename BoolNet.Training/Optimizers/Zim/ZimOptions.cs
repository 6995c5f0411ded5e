namespace BoolNet.Training.Optimizers.Zim;

/// <summary>How many multinomial trials n a ZIM step draws.</summary>
public enum ZimTrials
{
    /// <summary>One multinomial over all integer parameters at once, n = round(factor * d) (d = their total count).</summary>
    Global,

    /// <summary>One multinomial per tensor, n = round(numel^(1/ndim)) (the reference code's per-parameter variant).</summary>
    PerTensor,
}

/// <summary>How the multinomial is drawn (both exact in double precision).</summary>
public enum MultinomialMethod
{
    /// <summary>Walker/Vose alias table, n categorical draws: O(d + n), the fast default.</summary>
    Alias,

    /// <summary>Sequential conditional binomials (inversion / BTRS): O(d), one binomial per coordinate.</summary>
    ConditionalBinomial,
}

/// <summary>How the zero-inflation probability eta (ZIM's learning rate) changes over training.</summary>
public enum ZimSchedule
{
    /// <summary>eta stays at <see cref="ZimOptions.Eta"/>.</summary>
    Constant,

    /// <summary>eta_t = eta_min + (eta - eta_min)(1 + cos(pi t / T)) / 2 over <see cref="ZimOptions.TotalSteps"/>.</summary>
    Cosine,
}

/// <summary>
/// Settings of the ZIM update (docs/ALGORITHMS.md section 5; Wilson, Zanasi, Constantinides 2025, Def. 3.1-3.2):
/// <c>p_i = (|g_i| + c) / (sum_j |g_j| + d c)</c>, <c>X ~ ZIM(n, p, eta)</c>, <c>w &lt;- w - sign(g) (.) X</c>.
/// The defaults are the paper's form (zero-inflation on, global trials n = d, c = 1);
/// <see cref="Reference"/> is the public experiment code.
/// </summary>
public sealed record ZimOptions
{
    /// <summary>Probability that a step moves at all (1 - zero-inflation): the paper's learning rate.</summary>
    public double Eta { get; init; } = 0.5;

    /// <summary>Laplace smoothing c &gt; 0: keeps p defined when g = 0 and mixes a uniform share into p.</summary>
    public double Smoothing { get; init; } = 1.0;

    /// <summary>Global (one multinomial over every integer parameter) or per tensor.</summary>
    public ZimTrials Trials { get; init; } = ZimTrials.Global;

    /// <summary>Global mode: n = round(TrialFactor * d). 1 gives the reference n = d.</summary>
    public double TrialFactor { get; init; } = 1.0;

    /// <summary>Multinomial sampler.</summary>
    public MultinomialMethod Sampler { get; init; } = MultinomialMethod.Alias;

    /// <summary>Schedule of eta.</summary>
    public ZimSchedule Schedule { get; init; } = ZimSchedule.Constant;

    /// <summary>Final eta of the cosine schedule.</summary>
    public double EtaMinimum { get; init; }

    /// <summary>Steps the cosine schedule spans (after that eta stays at <see cref="EtaMinimum"/>).</summary>
    public long TotalSteps { get; init; }

    /// <summary>Seed of the sampler's generator.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// The public reference code (hellas-ai/neurips2025-convergence-for-discrete-parameter-updates,
    /// optimize.py ZIMOptimizer): no zero-inflation (every step taken), c = 1, n = d, global.
    /// </summary>
    public static ZimOptions Reference { get; } = new() { Eta = 1.0, Smoothing = 1.0, Trials = ZimTrials.Global, TrialFactor = 1.0 };

    /// <summary>eta at step <paramref name="step"/> (0-based).</summary>
    public double EtaAt(long step)
    {
        if (Schedule == ZimSchedule.Constant || TotalSteps <= 0) return Eta;
        double progress = Math.Clamp((double)step / TotalSteps, 0, 1);
        return EtaMinimum + (Eta - EtaMinimum) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    /// <summary>Throws a clear error for settings outside their domain.</summary>
    public void Validate()
    {
        if (!(Eta > 0 && Eta <= 1)) throw new ArgumentOutOfRangeException(nameof(Eta), $"ZIM eta {Eta} must be in (0, 1]");
        if (!(EtaMinimum >= 0 && EtaMinimum <= Eta)) throw new ArgumentOutOfRangeException(nameof(EtaMinimum), $"ZIM eta minimum {EtaMinimum} must be in [0, eta]");
        if (!(Smoothing > 0) || double.IsInfinity(Smoothing)) throw new ArgumentOutOfRangeException(nameof(Smoothing), $"ZIM smoothing c = {Smoothing} must be finite and > 0");
        if (!(TrialFactor > 0) || double.IsInfinity(TrialFactor)) throw new ArgumentOutOfRangeException(nameof(TrialFactor), $"ZIM trial factor {TrialFactor} must be finite and > 0");
    }
}
