using BoolNet.Core.Execution;
using BoolNet.Core.Operators;
using BoolNet.Layers;

namespace BoolNet.Training.Optimizers;

/// <summary>Which optimizer trains the float parameters.</summary>
public enum RealOptimizerKind
{
    /// <summary>Adam (Kingma and Ba), bias-corrected.</summary>
    Adam,

    /// <summary>SGD with (heavy-ball) momentum.</summary>
    Sgd,
}

/// <summary>Settings of the float optimizers.</summary>
public sealed record RealOptimizerOptions
{
    /// <summary>Adam or SGD.</summary>
    public RealOptimizerKind Kind { get; init; } = RealOptimizerKind.Adam;

    /// <summary>Learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Schedule of the learning rate.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Cosine;

    /// <summary>SGD momentum mu.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>Adam beta1.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Adam beta2.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Adam epsilon.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Creates the optimizer these options describe.</summary>
    public IOptimizer Create() => Kind == RealOptimizerKind.Adam ? new AdamOptimizer(this) : new SgdOptimizer(this);
}

/// <summary>
/// Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
/// w -= lr_t * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps). Element-wise, so deterministic.
/// </summary>
public sealed class AdamOptimizer : IOptimizer
{
    private readonly Dictionary<Parameter, (float[] M, float[] V)> _states = new(ReferenceEqualityComparer.Instance);
    private long _t;

    /// <summary>Creates the optimizer.</summary>
    public AdamOptimizer(RealOptimizerOptions options) => Options = options;

    /// <summary>Settings.</summary>
    public RealOptimizerOptions Options { get; }

    /// <inheritdoc />
    public string Name => "adam";

    /// <inheritdoc />
    public void Step(IReadOnlyList<Parameter> parameters, StepInfo step)
    {
        _t++;
        double rate = Schedules.Rate(Options.LearningRate, Options.Schedule, step);
        float b1 = (float)Options.Beta1, b2 = (float)Options.Beta2, eps = (float)Options.Epsilon;
        float c1 = (float)(1 - Math.Pow(Options.Beta1, _t)), c2 = (float)(1 - Math.Pow(Options.Beta2, _t));
        float lr = (float)rate;
        foreach (Parameter parameter in parameters)
        {
            (float[] value, float[] gradient) = RealSgdOptimizerHelpers.Tensors(parameter);
            (float[] m, float[] v) = StateOf(parameter);
            // Element-wise, so any split over threads gives the same values; two divisions and a
            // square root per value make this compute-bound on one core (0.5 ms for 800K floats).
            Threading.For((value.Length + 15) / 16, step.Threads, (start, end) =>
            {
                int from = start * 16, to = Math.Min(value.Length, end * 16);
                AdamUpdate.Apply(value.AsSpan(from, to - from), gradient.AsSpan(from, to - from), m.AsSpan(from, to - from), v.AsSpan(from, to - from),
                    b1, b2, eps, c1, c2, lr);
            }, work: value.Length * 16L);
        }
    }

    /// <inheritdoc />
    public double StateBytesPerValue(Parameter parameter) => 8;

    /// <inheritdoc />
    public void SaveState(BinaryWriter writer, IReadOnlyList<Parameter> parameters)
    {
        writer.Write(_t);
        foreach (Parameter parameter in parameters)
        {
            (float[] m, float[] v) = StateOf(parameter);
            writer.Write(parameter.Count);
            foreach (float x in m) writer.Write(x);
            foreach (float x in v) writer.Write(x);
        }
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">A count does not match or a value is not finite (or negative where it cannot be).</exception>
    public void LoadState(BinaryReader reader, IReadOnlyList<Parameter> parameters)
    {
        long t = reader.ReadInt64();
        if (t < 0) throw new InvalidDataException($"Adam step count is {t}, negative");
        _t = t;
        foreach (Parameter parameter in parameters)
        {
            Schedules.CheckCount(reader, parameter, 2 * sizeof(float));
            (float[] m, float[] v) = StateOf(parameter);
            for (int i = 0; i < m.Length; i++) m[i] = Schedules.ReadFinite(reader, parameter, "first moment m", i);
            for (int i = 0; i < v.Length; i++)
            {
                v[i] = Schedules.ReadFinite(reader, parameter, "second moment v", i);
                if (v[i] < 0) throw new InvalidDataException($"'{parameter.Name}' second moment v[{i}] is {v[i]}, negative");
            }
        }
    }

    private (float[] M, float[] V) StateOf(Parameter parameter)
    {
        if (!_states.TryGetValue(parameter, out var state))
            _states[parameter] = state = (new float[parameter.Count], new float[parameter.Count]);
        return state;
    }
}

/// <summary>SGD with momentum: v = mu v + g; w -= lr_t v.</summary>
public sealed class SgdOptimizer : IOptimizer
{
    private readonly Dictionary<Parameter, float[]> _velocity = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates the optimizer.</summary>
    public SgdOptimizer(RealOptimizerOptions options) => Options = options;

    /// <summary>Settings.</summary>
    public RealOptimizerOptions Options { get; }

    /// <inheritdoc />
    public string Name => "sgd";

    /// <inheritdoc />
    public void Step(IReadOnlyList<Parameter> parameters, StepInfo step)
    {
        float lr = (float)Schedules.Rate(Options.LearningRate, Options.Schedule, step), mu = (float)Options.Momentum;
        foreach (Parameter parameter in parameters)
        {
            (float[] value, float[] gradient) = RealSgdOptimizerHelpers.Tensors(parameter);
            float[] v = VelocityOf(parameter);
            for (int i = 0; i < value.Length; i++)
            {
                v[i] = mu * v[i] + gradient[i];
                value[i] -= lr * v[i];
            }
        }
    }

    /// <inheritdoc />
    public double StateBytesPerValue(Parameter parameter) => Options.Momentum == 0 ? 0 : 4;

    /// <inheritdoc />
    public void SaveState(BinaryWriter writer, IReadOnlyList<Parameter> parameters)
    {
        foreach (Parameter parameter in parameters)
        {
            writer.Write(parameter.Count);
            foreach (float x in VelocityOf(parameter)) writer.Write(x);
        }
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">A count does not match or a value is not finite (or negative where it cannot be).</exception>
    public void LoadState(BinaryReader reader, IReadOnlyList<Parameter> parameters)
    {
        foreach (Parameter parameter in parameters)
        {
            Schedules.CheckCount(reader, parameter, sizeof(float));
            float[] v = VelocityOf(parameter);
            for (int i = 0; i < v.Length; i++) v[i] = Schedules.ReadFinite(reader, parameter, "velocity", i);
        }
    }

    private float[] VelocityOf(Parameter parameter)
    {
        if (!_velocity.TryGetValue(parameter, out float[]? v)) _velocity[parameter] = v = new float[parameter.Count];
        return v;
    }
}

internal static class RealSgdOptimizerHelpers
{
    public static (float[] Value, float[] Gradient) Tensors(Parameter parameter) =>
        parameter is RealParameter real
            ? (real.Value, real.Gradient)
            : throw new ArgumentException($"a float optimizer cannot update '{parameter.Name}' ({parameter.GetType().Name})");
}
