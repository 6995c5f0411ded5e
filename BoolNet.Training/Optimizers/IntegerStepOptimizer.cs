using System.Runtime.Intrinsics;
using BoolNet.Core.Execution;
using BoolNet.Layers;

namespace BoolNet.Training.Optimizers;

/// <summary>How <see cref="IntegerStepOptimizer"/> makes its signal dimensionless.</summary>
public enum IntegerSignalNormalization
{
    /// <summary>q = g / rms(g) over the tensor (one scalar per tensor and step; no state).</summary>
    Tensor,

    /// <summary>q = g / sqrt(v) with v a running mean of g^2 per weight (Adam's second moment, beta2 0.999, bias-corrected).</summary>
    Element,
}

/// <summary>Settings of <see cref="IntegerStepOptimizer"/>.</summary>
public sealed record IntegerStepOptions
{
    /// <summary>eta: the accumulator's push per step for a typical (unit) normalised signal; one integer step needs |m| &gt;= 1.</summary>
    public double LearningRate { get; init; } = 1.5;

    /// <summary>Schedule of eta.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Cosine;

    /// <summary>How the gradient is normalised before it enters the accumulator.</summary>
    public IntegerSignalNormalization Normalization { get; init; } = IntegerSignalNormalization.Tensor;

    /// <summary>beta &lt;- max(0, 1 - moved/weights) after each step, as flip-with-reset's adaptive beta (false: beta = 1).</summary>
    public bool AdaptiveBeta { get; init; } = true;
}

/// <summary>
/// "Step with reset": flip-with-reset (Leconte, arXiv:2401.16418, Alg. 1/3; BOLD, arXiv:2405.16339) lifted
/// from bits to small integers, a discrete update with no latent weight. Per integer tensor an accumulator m
/// (the weights' shape, starts at 0) and a scalar beta (starts at 1):
/// <code>
///   q     = g / rms(g)        (or g / sqrt(v), v the running mean of g^2 per weight)
///   m    &lt;- beta m + eta_t q
///   k     = trunc(m)                         (whole steps the accumulator has earned, towards zero)
///   if k != 0:  w &lt;- clamp(w - k, range);  m &lt;- 0            (the step, then the reset)
///   beta &lt;- 1 - moved / weights
/// </code>
/// A Boolean weight is the integer range {-1, +1} with a step of 2: there the rule is exactly flip-with-reset.
/// Like flip-with-reset, the accumulator is optimizer state whose content is discarded at every step (the
/// reset), not a latent weight: |m| &lt; 1 between steps, and the forward only ever sees the integer w.
/// Why not only ZIM (arXiv:2512.04051, <c>Zim/</c>)? ZIM's multinomial is proportional to |g| + c over all
/// parameters; with |g| ~ 1e-4 the smoothing c dominates and the draws are nearly uniform, so a 784x1024 first
/// layer moves by sign(g) noise. The accumulator integrates the signal over steps first. Both are available.
/// Deterministic: every weight's update reads only its own values; the RMS is summed sequentially in double.
/// </summary>
public sealed class IntegerStepOptimizer : IOptimizer
{
    private const float SecondMomentDecay = 0.999f;
    private const float Epsilon = 1e-12f;
    private readonly Dictionary<Parameter, State> _states = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates the optimizer.</summary>
    public IntegerStepOptimizer(IntegerStepOptions? options = null) => Options = options ?? new IntegerStepOptions();

    /// <summary>Settings.</summary>
    public IntegerStepOptions Options { get; }

    /// <inheritdoc />
    public string Name => "step-with-reset";

    /// <inheritdoc />
    public void Step(IReadOnlyList<Parameter> parameters, StepInfo step)
    {
        float eta = (float)Schedules.Rate(Options.LearningRate, Options.Schedule, step);
        foreach (Parameter parameter in parameters)
        {
            var integer = parameter as IntegerParameter
                ?? throw new ArgumentException($"the integer step optimizer cannot update '{parameter.Name}' ({parameter.GetType().Name})");
            State state = StateOf(integer);
            state.Steps++;
            state.TotalSteps++;
            float[] g = integer.Gradient;
            double rms = Math.Sqrt(SumOfSquares(g) / Math.Max(1, g.Length));
            if (!double.IsFinite(rms))
            {
                int bad = Array.FindIndex(g, v => !float.IsFinite(v));
                throw new InvalidOperationException($"gradient {bad} of integer parameter '{parameter.Name}' is {g[Math.Max(bad, 0)]}; training diverged");
            }
            float scale = 1f;
            float correction = 1f;
            if (Options.Normalization == IntegerSignalNormalization.Tensor)
                scale = (float)(1 / Math.Max(rms, 1e-30));
            else
                correction = (float)(1 - Math.Pow(SecondMomentDecay, state.TotalSteps));
            long moved = Apply(integer, state, eta * scale, correction, step.Threads);
            state.Moved += moved;
            // moved counts integer units, which can exceed the weight count when steps are large: beta stays in [0, 1].
            state.Beta = Options.AdaptiveBeta ? Math.Max(0f, 1f - (float)moved / Math.Max(1, integer.Count)) : 1f;
        }
    }

    private long Apply(IntegerParameter parameter, State state, float push, float correction, int threads)
    {
        int count = parameter.Count;
        const int Chunk = 4096; // a multiple of every vector width
        int chunks = (count + Chunk - 1) / Chunk;
        var movedPerChunk = new long[chunks];
        var maxPerChunk = new float[chunks];
        float beta = state.Beta;
        bool element = Options.Normalization == IntegerSignalNormalization.Element;
        bool vector = Vector256.IsHardwareAccelerated && IsaSelection.Current != Isa.Scalar;
        Threading.For(chunks, threads, (first, last) =>
        {
            for (int c = first; c < last; c++)
            {
                int start = c * Chunk, length = Math.Min(count, start + Chunk) - start;
                Span<int> w = parameter.Value.AsSpan(start, length);
                ReadOnlySpan<float> g = parameter.Gradient.AsSpan(start, length);
                Span<float> m = state.Accumulator.AsSpan(start, length);
                (movedPerChunk[c], maxPerChunk[c]) = element
                    ? ApplyElement(w, g, m, state.SecondMoment.AsSpan(start, length), parameter.Range, beta, push, correction)
                    : ApplyTensor(w, g, m, parameter.Range, beta, push, vector);
            }
        }, work: (long)count * 8);
        foreach (float max in maxPerChunk) state.MaxAccumulator = Math.Max(state.MaxAccumulator, max);
        return movedPerChunk.Sum();
    }

    /// <summary>sum g^2 in double, in a fixed order (deterministic): four double lanes, then the tail.</summary>
    internal static double SumOfSquares(ReadOnlySpan<float> values)
    {
        var lanes = Vector256<double>.Zero;
        int i = 0;
        for (; i + 8 <= values.Length; i += 8)
        {
            (Vector256<double> lower, Vector256<double> upper) = Vector256.Widen(Vector256.Create(values.Slice(i, 8)));
            lanes += lower * lower;
            lanes += upper * upper;
        }
        double total = Vector256.Sum(lanes);
        for (; i < values.Length; i++) total += (double)values[i] * values[i];
        return total;
    }

    // |m| is clamped here before it converts to a whole step count: a larger step is meaningless
    // (the int8 range spans 254) and every float up to it converts exactly.
    private const float StepLimit = 1 << 24;

    /// <summary>
    /// The rule with q = push g (tensor normalisation): one element at a time for the tail, eight per
    /// Vector256 for the rest. Both paths do the same IEEE operations in the same order (two products
    /// and a sum, no fused multiply-add), so they agree bit for bit.
    /// </summary>
    internal static (long Moved, float Max) ApplyTensor(Span<int> w, ReadOnlySpan<float> g, Span<float> m, IntegerRange range, float beta, float push, bool vector)
    {
        long moved = 0;
        float max = 0;
        int i = 0;
        if (vector)
        {
            Vector256<float> betas = Vector256.Create(beta), pushes = Vector256.Create(push), limit = Vector256.Create(StepLimit);
            Vector256<int> minimum = Vector256.Create(range.Minimum), maximum = Vector256.Create(range.Maximum);
            Vector256<int> movedLanes = Vector256<int>.Zero;
            Vector256<float> maxLanes = Vector256<float>.Zero;
            for (; i + 8 <= w.Length; i += 8)
            {
                Vector256<float> accumulator = betas * Vector256.Create(m.Slice(i, 8)) + pushes * Vector256.Create(g.Slice(i, 8));
                Vector256<int> whole = Vector256.ConvertToInt32(Vector256.Min(Vector256.Max(accumulator, -limit), limit));
                Vector256<int> before = Vector256.Create(w.Slice(i, 8));
                // before - whole cannot overflow for ranges inside +-(2^31 - 2^24); Clamp handles the rest.
                Vector256<int> after = Vector256.Min(Vector256.Max(before - whole, minimum), maximum);
                Vector256<int> stepped = ~Vector256.Equals(whole, Vector256<int>.Zero);
                after.CopyTo(w.Slice(i, 8));
                Vector256.ConditionalSelect(stepped.AsSingle(), Vector256<float>.Zero, accumulator).CopyTo(m.Slice(i, 8));
                movedLanes += Vector256.Abs(after - before);
                maxLanes = Vector256.Max(maxLanes, Vector256.Abs(Vector256.Create(m.Slice(i, 8))));
            }
            for (int lane = 0; lane < 8; lane++)
            {
                moved += movedLanes[lane];
                max = Math.Max(max, maxLanes[lane]);
            }
        }
        for (; i < w.Length; i++)
        {
            float accumulator = beta * m[i] + push * g[i];
            (long step, float left) = Settle(ref w[i], accumulator, range);
            m[i] = left;
            moved += step;
            max = Math.Max(max, Math.Abs(left));
        }
        return (moved, max);
    }

    /// <summary>The rule with q = g / sqrt(v) (element normalisation, Adam's second moment), scalar.</summary>
    private static (long Moved, float Max) ApplyElement(Span<int> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, IntegerRange range,
        float beta, float push, float correction)
    {
        long moved = 0;
        float max = 0;
        for (int i = 0; i < w.Length; i++)
        {
            float q = g[i];
            v[i] = SecondMomentDecay * v[i] + (1 - SecondMomentDecay) * q * q;
            q /= MathF.Sqrt(v[i] / correction) + Epsilon;
            float accumulator = beta * m[i] + push * q;
            (long step, float left) = Settle(ref w[i], accumulator, range);
            m[i] = left;
            moved += step;
            max = Math.Max(max, Math.Abs(left));
        }
        return (moved, max);
    }

    /// <summary>w &lt;- clamp(w - trunc(m)) when trunc(m) != 0, and the accumulator left: 0 after a step (the reset), m otherwise.</summary>
    private static (long Moved, float Left) Settle(ref int weight, float accumulator, IntegerRange range)
    {
        int whole = (int)Math.Clamp(accumulator, -StepLimit, StepLimit);
        if (whole == 0) return (0, accumulator);
        int before = weight;
        weight = range.Clamp((long)before - whole);
        return (Math.Abs((long)weight - before), 0f);
    }

    /// <summary>
    /// Per parameter: FlipRatio = integer units moved / (weights * steps since the last report),
    /// MaxAccumulator = the largest |m| left after a step.
    /// </summary>
    public IReadOnlyList<ParameterReport> TakeReport(IReadOnlyList<Parameter> parameters)
    {
        var reports = new List<ParameterReport>();
        foreach (Parameter parameter in parameters)
        {
            if (parameter is not IntegerParameter integer) continue;
            State state = StateOf(integer);
            double ratio = state.Steps == 0 ? 0 : (double)state.Moved / ((double)integer.Count * state.Steps);
            reports.Add(new ParameterReport(parameter, ratio, state.MaxAccumulator));
            state.Moved = 0;
            state.Steps = 0;
            state.MaxAccumulator = 0;
        }
        return reports;
    }

    /// <inheritdoc />
    public double StateBytesPerValue(Parameter parameter) => Options.Normalization == IntegerSignalNormalization.Element ? 8 : 4;

    /// <inheritdoc />
    public void SaveState(BinaryWriter writer, IReadOnlyList<Parameter> parameters)
    {
        foreach (Parameter parameter in parameters)
        {
            State state = StateOf((IntegerParameter)parameter);
            writer.Write(parameter.Count);
            writer.Write(state.Beta);
            writer.Write(state.TotalSteps);
            foreach (float value in state.Accumulator) writer.Write(value);
            foreach (float value in state.SecondMoment) writer.Write(value);
        }
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">A count does not match, beta is outside [0, 1] or a value is not finite.</exception>
    public void LoadState(BinaryReader reader, IReadOnlyList<Parameter> parameters)
    {
        foreach (Parameter parameter in parameters)
        {
            State state = StateOf((IntegerParameter)parameter);
            Schedules.CheckCount(reader, parameter, sizeof(float) * (state.SecondMoment.Length > 0 ? 2 : 1));
            float beta = reader.ReadSingle();
            if (!(beta >= 0 && beta <= 1)) throw new InvalidDataException($"'{parameter.Name}' beta is {beta}, outside [0, 1]");
            long steps = reader.ReadInt64();
            if (steps < 0) throw new InvalidDataException($"'{parameter.Name}' step count is {steps}, negative");
            state.Beta = beta;
            state.TotalSteps = steps;
            for (int i = 0; i < state.Accumulator.Length; i++) state.Accumulator[i] = Schedules.ReadFinite(reader, parameter, "accumulator", i);
            for (int i = 0; i < state.SecondMoment.Length; i++)
            {
                float value = Schedules.ReadFinite(reader, parameter, "second moment", i);
                if (value < 0) throw new InvalidDataException($"'{parameter.Name}' second moment[{i}] is {value}, negative");
                state.SecondMoment[i] = value;
            }
        }
    }

    private State StateOf(IntegerParameter parameter)
    {
        if (!_states.TryGetValue(parameter, out State? state))
        {
            state = new State
            {
                Accumulator = new float[parameter.Count],
                SecondMoment = Options.Normalization == IntegerSignalNormalization.Element ? new float[parameter.Count] : [],
            };
            _states[parameter] = state;
        }
        return state;
    }

    private sealed class State
    {
        public float[] Accumulator = [];
        public float[] SecondMoment = [];
        public float Beta = 1f;
        public long TotalSteps;  // steps since the start (the second moment's bias correction)
        public long Steps;       // since the last report
        public long Moved;
        public double MaxAccumulator;
    }
}
