using System.Runtime.Intrinsics;
using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;
using BoolNet.Layers;

namespace BoolNet.Training.Optimizers;

/// <summary>Storage of the Boolean optimizer's accumulator.</summary>
public enum AccumulatorType
{
    /// <summary>float32, 4 bytes per weight.</summary>
    Float32,

    /// <summary>
    /// int16 fixed point, 2 bytes per weight: m = stored / <see cref="BooleanOptimizer.Int16Scale"/>
    /// (2^12), so the flip threshold 1 is 4096, resolution 2.4e-4 and the range +-7.9998
    /// (saturating: an implicit clip kappa ~ 8, Leconte A.5).
    /// </summary>
    Int16,
}

/// <summary>Settings of <see cref="BooleanOptimizer"/>.</summary>
public sealed record BooleanOptimizerOptions
{
    /// <summary>eta, the accumulator step per unit of signal.</summary>
    public double LearningRate { get; init; } = 10;

    /// <summary>Schedule of eta.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Cosine;

    /// <summary>Clip |m| &lt;= kappa after each update (0: no clip).</summary>
    public double Clip { get; init; }

    /// <summary>Accumulator storage.</summary>
    public AccumulatorType Accumulator { get; init; } = AccumulatorType.Float32;

    /// <summary>
    /// Per-tensor signal normalisation: each tensor's eta is divided by the RMS of its signal q,
    /// eta_eff = eta / rms(q), so that eta is the RMS step |eta_eff q| as a fraction of the flip
    /// threshold 1, the same for every tensor whatever its signal's scale (a bit-plane or thermometer
    /// first layer on pixels has a signal an order of magnitude weaker than an XNOR hidden layer's, and
    /// under one raw eta it never flips). The RMS is that of the tensor's previous step (squares
    /// added per row in a fixed order, then rows in order: the same for any thread count), so the
    /// step still runs fused into the backward; on a tensor's first step, or after an all-zero
    /// signal, it is this step's own RMS, computed before the update (that step runs unfused).
    /// Typical eta: 0.03-0.3. False: the papers' raw eta.
    /// </summary>
    public bool NormalizeSignal { get; init; }

    /// <summary>
    /// A constant decay beta in (0, 1] instead of the adaptive 1 - flips/weights (null: adaptive).
    /// With beta = 1 - gamma and eta = gamma / tau this is Bop's exponential moving average with
    /// threshold tau (Helwegen et al. 2019), plus the reset.
    /// </summary>
    public double? FixedBeta { get; init; }

    /// <summary>beta &lt;- 1 - flips/weights after each step (false: beta = 1, the EF form of Alg. 3).</summary>
    public bool AdaptiveBeta { get; init; } = true;
}

/// <summary>
/// The Boolean optimizer "flip with reset" (docs/ALGORITHMS.md section 4; Leconte, "Boolean Logic as an
/// Error feedback mechanism", Alg. 1/2; BOLD, Nguyen et al., arXiv:2405.16339); the float rule itself is the operator <see cref="FlipWithReset"/>.
/// Per Boolean tensor an accumulator m (weight's shape, starts at 0) and a scalar beta (starts at 1):
/// <code>
///   m    &lt;- beta m + eta_t q                    q = dL/de(w), the layer's signal (Eq. 4)
///   flip &lt;- m e(w) &gt;= 1                       (xnor(m, w) TRUE and |m| &gt;= 1)
///   w[flip] &lt;- NOT w[flip];  m[flip] &lt;- 0
///   beta &lt;- 1 - flips / weights                 (for the next step)
/// </code>
/// Descent: q &gt; 0 means the loss grows with e(w), so a TRUE weight whose m reaches +1 flips to
/// FALSE. Equivalence with the error-feedback form (Alg. 3, beta = 1): m_t = eta q_t + e_t,
/// D_t = Q1(m_t, w_t) = w (relu(w m - 1) + sign(w m - 1)/2 + 1/2), w_(t+1) = sign(w_t - D_t),
/// e_(t+1) = m_t - D_t. When w m &gt; 1, D = w * (w m) = m, so w - D has the sign of -w (a flip) and
/// e = 0 (the reset); when w m &lt; 1, D = 0 (no flip, e = m). They differ only at the tie w m = 1:
/// with sign(0) = 0 the EF form keeps w and leaves e = w/2, whereas this rule (the spec's &gt;= 1)
/// flips and resets. Ties have probability zero for real-valued signals.
/// </summary>
public sealed class BooleanOptimizer : IOptimizer
{
    /// <summary>Fixed-point scale of the int16 accumulator: 2^12 units per 1.0.</summary>
    public const float Int16Scale = 4096f;

    private readonly Dictionary<Parameter, State> _states = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates the optimizer.</summary>
    public BooleanOptimizer(BooleanOptimizerOptions? options = null) => Options = options ?? new BooleanOptimizerOptions();

    /// <summary>Settings.</summary>
    public BooleanOptimizerOptions Options { get; }

    /// <summary>The optimizer's <see cref="Name"/> in reports.</summary>
    public const string OptimizerName = "flip-with-reset";

    /// <inheritdoc />
    public string Name => OptimizerName;

    /// <summary>The current eta for <paramref name="step"/>.</summary>
    public double Rate(StepInfo step) => Schedules.Rate(Options.LearningRate, Options.Schedule, step);

    /// <inheritdoc />
    public void Step(IReadOnlyList<Parameter> parameters, StepInfo step)
    {
        float eta = (float)Rate(step);
        foreach (Parameter parameter in parameters)
        {
            var boolean = parameter as BooleanParameter
                ?? throw new ArgumentException($"the Boolean optimizer cannot update '{parameter.Name}' ({parameter.GetType().Name})");
            State state = StateOf(boolean);
            long flips;
            if (state.Fused is { } fused)
            {
                // The rows were updated during the backward (BeginFusedStep): only the totals remain.
                state.Fused = null;
                flips = Finish(boolean, state, fused);
            }
            else
            {
                float tensorEta = TensorRate(boolean, state, eta);
                if (Options.Accumulator == AccumulatorType.Float32) flips = StepFloat(boolean, state, tensorEta, step.Threads);
                else
                {
                    flips = StepInt16(boolean, state, tensorEta, step.Threads);
                    state.SignalRms = RootMeanSquare(boolean.Signal);
                }
            }
            state.Flips += flips;
            state.Steps++;
            if (flips == 0) state.StepsWithoutFlip++;
            state.Beta = Options.FixedBeta is { } beta ? (float)beta : Options.AdaptiveBeta ? 1f - (float)flips / boolean.Count : 1f;
        }
    }

    /// <summary>
    /// eta of one tensor's step: the schedule's <paramref name="eta"/> times the parameter's
    /// <see cref="BooleanParameter.LearningRateScale"/>, divided by the RMS of its signal when normalising
    /// (<see cref="BooleanOptimizerOptions.NormalizeSignal"/>: the previous step's, else this one's).
    /// </summary>
    private float TensorRate(BooleanParameter parameter, State state, float eta)
    {
        if (!Options.NormalizeSignal) return parameter.LearningRateScale * eta;
        double rms = state.SignalRms > 0 ? state.SignalRms : RootMeanSquare(parameter.Signal);
        return parameter.LearningRateScale * (float)(eta / Math.Max(rms, 1e-30));
    }

    /// <summary>sqrt(mean q^2), summed sequentially in double (deterministic).</summary>
    public static double RootMeanSquare(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) return 0;
        var sum = Vector256<double>.Zero;
        int i = 0;
        for (; i + 4 <= values.Length; i += 4)
        {
            Vector256<double> v = Vector256.Create((double)values[i], values[i + 1], values[i + 2], values[i + 3]);
            sum += v * v;
        }
        double total = Vector256.Sum(sum);
        for (; i < values.Length; i++) total += (double)values[i] * values[i];
        return Math.Sqrt(total / values.Length);
    }

    /// <summary>The accumulator of a parameter as floats (a copy; for tests and diagnostics).</summary>
    public float[] Accumulator(BooleanParameter parameter)
    {
        State state = StateOf(parameter);
        return state.Float is not null ? (float[])state.Float.Clone() : state.Fixed!.Select(v => v / Int16Scale).ToArray();
    }

    /// <summary>beta of a parameter for its next step.</summary>
    public float Beta(BooleanParameter parameter) => StateOf(parameter).Beta;

    private long StepFloat(BooleanParameter parameter, State state, float eta, int threads)
    {
        FlipWithResetRows rows = Rows(parameter, state, eta);
        Threading.For(parameter.Weights.Rows, threads, rows.Apply, work: (long)parameter.Count * 8);
        return Finish(parameter, state, rows);
    }

    /// <summary>This step of the float rule on <paramref name="parameter"/>, as data (<see cref="FlipWithResetRows"/>).</summary>
    private FlipWithResetRows Rows(BooleanParameter parameter, State state, float eta) =>
        new(parameter.Weights, state.Float!, parameter.Signal, state.Beta, eta, (float)Options.Clip);

    /// <summary>
    /// Totals of a float step from its per-row results (row order, so the same for any thread split),
    /// and the RMS of its signal for the next step's normalisation.
    /// </summary>
    private static long Finish(BooleanParameter parameter, State state, FlipWithResetRows rows)
    {
        state.MaxAccumulator = Math.Max(state.MaxAccumulator, rows.MaxAccumulator);
        state.Push += rows.SumAbsSignal * rows.Eta / Math.Max(1, parameter.Count);
        state.SignalRms = rows.RootMeanSquareSignal;
        return rows.Flips;
    }

    /// <summary>
    /// Begins this step's update of <paramref name="parameter"/> fused into its layer's backward: the
    /// returned step is the epilogue of the layer's weight signal (<see cref="IFusedUpdates"/>), which
    /// applies the float rule to each weight row as soon as its signal row is final, while it is still
    /// in cache, instead of a separate pass over the whole signal afterwards; <see cref="Step"/> then
    /// only adds up the totals. The arithmetic per weight is the same, so the weights are the same bit
    /// for bit. Null when the step cannot be fused: an int16 accumulator, or a normalised signal
    /// (<see cref="BooleanOptimizerOptions.NormalizeSignal"/>) with no previous RMS yet (its first step,
    /// which needs the whole signal first).
    /// </summary>
    public FlipWithResetRows? BeginFusedStep(BooleanParameter parameter, StepInfo step)
    {
        if (Options.Accumulator != AccumulatorType.Float32) return null;
        State state = StateOf(parameter);
        if (Options.NormalizeSignal && state.SignalRms <= 0) return null;
        FlipWithResetRows rows = Rows(parameter, state, TensorRate(parameter, state, (float)Rate(step)));
        state.Fused = rows;
        return rows;
    }

    private long StepInt16(BooleanParameter parameter, State state, float eta, int threads)
    {
        BitMatrix w = parameter.Weights;
        short[] m = state.Fixed!;
        float[] q = parameter.Signal;
        float beta = state.Beta, step = eta * Int16Scale;
        float clip = Options.Clip > 0 ? (float)Math.Min(Options.Clip * Int16Scale, short.MaxValue) : short.MaxValue;
        const int one = (int)Int16Scale;
        int columns = w.Columns, rows = w.Rows;
        var rowFlips = new long[rows];
        var rowMax = new int[rows];
        Threading.For(rows, threads, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                Span<ulong> words = w.Row(r);
                long flips = 0;
                int max = 0;
                for (int c = 0; c < columns; c++)
                {
                    int i = r * columns + c;
                    float exact = beta * m[i] + step * q[i];
                    int value = (int)Math.Clamp(MathF.Round(exact), -clip, clip);
                    ulong bit = 1UL << (c & 63);
                    bool isTrue = (words[c >> 6] & bit) != 0;
                    if (isTrue ? value >= one : value <= -one)
                    {
                        words[c >> 6] ^= bit;
                        value = 0;
                        flips++;
                    }
                    m[i] = (short)value;
                    max = Math.Max(max, Math.Abs(value));
                }
                rowFlips[r] = flips;
                rowMax[r] = max;
            }
        }, work: (long)rows * columns);
        state.MaxAccumulator = Math.Max(state.MaxAccumulator, (rowMax.Length == 0 ? 0 : rowMax.Max()) / Int16Scale);
        return rowFlips.Sum();
    }

    /// <inheritdoc />
    public IReadOnlyList<ParameterReport> TakeReport(IReadOnlyList<Parameter> parameters)
    {
        var reports = new List<ParameterReport>();
        foreach (Parameter parameter in parameters)
        {
            if (parameter is not BooleanParameter boolean) continue;
            State state = StateOf(boolean);
            double ratio = state.Steps == 0 ? 0 : (double)state.Flips / ((double)boolean.Count * state.Steps);
            reports.Add(new ParameterReport(parameter, ratio, state.MaxAccumulator)
            {
                MeanStep = state.Steps == 0 ? 0 : state.Push / state.Steps,
                Steps = state.Steps,
                StepsWithoutFlip = state.StepsWithoutFlip,
            });
            state.Push = 0;
            state.StepsWithoutFlip = 0;
            state.Flips = 0;
            state.Steps = 0;
            state.MaxAccumulator = 0;
        }
        return reports;
    }

    /// <inheritdoc />
    public double StateBytesPerValue(Parameter parameter) => Options.Accumulator == AccumulatorType.Float32 ? 4 : 2;

    /// <inheritdoc />
    public void SaveState(BinaryWriter writer, IReadOnlyList<Parameter> parameters)
    {
        foreach (Parameter parameter in parameters)
        {
            State state = StateOf((BooleanParameter)parameter);
            writer.Write(parameter.Count);
            writer.Write(state.Beta);
            if (Options.NormalizeSignal) writer.Write(state.SignalRms);
            if (state.Float is not null) foreach (float v in state.Float) writer.Write(v);
            else foreach (short v in state.Fixed!) writer.Write(v);
        }
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">A count does not match, beta is outside [0, 1], an accumulator is not finite or (normalising) the signal RMS is negative or not finite.</exception>
    public void LoadState(BinaryReader reader, IReadOnlyList<Parameter> parameters)
    {
        foreach (Parameter parameter in parameters)
        {
            Schedules.CheckCount(reader, parameter, Options.Accumulator == AccumulatorType.Float32 ? sizeof(float) : sizeof(short));
            State state = StateOf((BooleanParameter)parameter);
            float beta = reader.ReadSingle();
            if (!(beta >= 0 && beta <= 1)) throw new InvalidDataException($"'{parameter.Name}' beta is {beta}, outside [0, 1]");
            state.Beta = beta;
            if (Options.NormalizeSignal)
            {
                double rms = reader.ReadDouble();
                if (!(rms >= 0 && double.IsFinite(rms))) throw new InvalidDataException($"'{parameter.Name}' signal RMS is {rms}, not a finite value >= 0");
                state.SignalRms = rms;
            }
            if (state.Float is not null) for (int i = 0; i < state.Float.Length; i++) state.Float[i] = Schedules.ReadFinite(reader, parameter, "accumulator", i);
            else for (int i = 0; i < state.Fixed!.Length; i++) state.Fixed[i] = reader.ReadInt16();
        }
    }

    private State StateOf(BooleanParameter parameter)
    {
        if (!_states.TryGetValue(parameter, out State? state))
        {
            state = Options.Accumulator == AccumulatorType.Float32
                ? new State { Float = new float[parameter.Count] }
                : new State { Fixed = new short[parameter.Count] };
            _states[parameter] = state;
        }
        return state;
    }

    private sealed class State
    {
        public float[]? Float;
        public short[]? Fixed;
        public float Beta = 1f;
        public long Flips;
        public long Steps;
        public double MaxAccumulator;
        public double Push;
        public long StepsWithoutFlip;
        public double SignalRms; // RMS of the last step's signal (0: none yet), for NormalizeSignal
        public FlipWithResetRows? Fused; // a step begun in the backward (BeginFusedStep), finished by Step
    }
}
