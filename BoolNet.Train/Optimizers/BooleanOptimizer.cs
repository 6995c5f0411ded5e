using BoolNet.Core.Bits;
using BoolNet.Core.Kernels;
using BoolNet.Layers;

namespace BoolNet.Train.Optimizers;

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

    /// <summary>beta &lt;- 1 - flips/weights after each step (false: beta = 1, the EF form of Alg. 3).</summary>
    public bool AdaptiveBeta { get; init; } = true;
}

/// <summary>
/// The Boolean optimizer "flip with reset" (ALGORITHMS.md section 4; Leconte Alg. 1/2, BOLD).
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

    /// <inheritdoc />
    public string Name => "flip-with-reset";

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
            long flips = Options.Accumulator == AccumulatorType.Float32 ? StepFloat(boolean, state, eta, step.Threads) : StepInt16(boolean, state, eta, step.Threads);
            state.Flips += flips;
            state.Steps++;
            state.Beta = Options.AdaptiveBeta ? 1f - (float)flips / boolean.Count : 1f;
        }
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
        BitMatrix w = parameter.Weights;
        float[] m = state.Float!, q = parameter.Signal;
        float beta = state.Beta, clip = (float)Options.Clip;
        int columns = w.Columns, rows = w.Rows;
        var rowFlips = new long[rows];
        var rowMax = new float[rows];
        Threading.For(rows, threads, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                Span<ulong> words = w.Row(r);
                long flips = 0;
                float max = 0f;
                for (int c = 0; c < columns; c++)
                {
                    int i = r * columns + c;
                    float value = beta * m[i] + eta * q[i];
                    if (clip > 0f) value = Math.Clamp(value, -clip, clip);
                    ulong bit = 1UL << (c & 63);
                    bool isTrue = (words[c >> 6] & bit) != 0;
                    if (isTrue ? value >= 1f : value <= -1f)
                    {
                        words[c >> 6] ^= bit;
                        value = 0f;
                        flips++;
                    }
                    m[i] = value;
                    max = MathF.Max(max, MathF.Abs(value));
                }
                rowFlips[r] = flips;
                rowMax[r] = max;
            }
        }, work: (long)rows * columns);
        state.MaxAccumulator = Math.Max(state.MaxAccumulator, rowMax.Length == 0 ? 0 : rowMax.Max());
        return rowFlips.Sum();
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
            reports.Add(new ParameterReport(parameter, ratio, state.MaxAccumulator));
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
            if (state.Float is not null) foreach (float v in state.Float) writer.Write(v);
            else foreach (short v in state.Fixed!) writer.Write(v);
        }
    }

    /// <inheritdoc />
    public void LoadState(BinaryReader reader, IReadOnlyList<Parameter> parameters)
    {
        foreach (Parameter parameter in parameters)
        {
            Schedules.CheckCount(reader, parameter);
            State state = StateOf((BooleanParameter)parameter);
            state.Beta = reader.ReadSingle();
            if (state.Float is not null) for (int i = 0; i < state.Float.Length; i++) state.Float[i] = reader.ReadSingle();
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
    }
}
