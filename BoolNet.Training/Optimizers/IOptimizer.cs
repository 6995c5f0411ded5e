using BoolNet.Layers;

namespace BoolNet.Training.Optimizers;

/// <summary>Where training is: the 0-based step (batch) index and the total number of steps.</summary>
public readonly record struct StepInfo(long Step, long TotalSteps, int Threads = 0)
{
    /// <summary>Fraction of training done before this step, in [0, 1).</summary>
    public double Progress => TotalSteps <= 0 ? 0 : (double)Step / TotalSteps;
}

/// <summary>One parameter's diagnostics since the last report (per epoch).</summary>
/// <param name="Parameter">the parameter</param>
/// <param name="FlipRatio">flipped weights / (weights * steps), Boolean only (0 otherwise)</param>
/// <param name="MaxAccumulator">largest |m| seen (Boolean), or largest |update| (others)</param>
public sealed record ParameterReport(Parameter Parameter, double FlipRatio, double MaxAccumulator)
{
    /// <summary>Mean |eta_t q| per weight and step (Boolean: the accumulator's average push), 0 if not tracked.</summary>
    public double MeanStep { get; init; }

    /// <summary>Steps since the last report.</summary>
    public long Steps { get; init; }

    /// <summary>Of <see cref="Steps"/>, those that flipped no weight of this tensor (Boolean; [L] A.4 asks for none).</summary>
    public long StepsWithoutFlip { get; init; }
}

/// <summary>
/// An optimizer owns the state of ALL parameters it is given and updates them together in one
/// call (so a global rule, e.g. ZIM's one multinomial draw over every integer parameter, fits).
/// The trainer assigns parameters by kind: Boolean -> flip-with-reset, real -> Adam/SGD,
/// integer -> <see cref="Training.TrainingOptions.IntegerOptimizerFactory"/>. The list passed to
/// every call is the same, in the same order.
/// </summary>
public interface IOptimizer
{
    /// <summary>Short name for reports, e.g. "flip-with-reset", "adam".</summary>
    string Name { get; }

    /// <summary>Applies one update from the parameters' signals/gradients of the last batch.</summary>
    void Step(IReadOnlyList<Parameter> parameters, StepInfo step);

    /// <summary>Writes all optimizer state (for checkpoints).</summary>
    void SaveState(BinaryWriter writer, IReadOnlyList<Parameter> parameters);

    /// <summary>Restores state written by <see cref="SaveState"/> for the same parameter list.</summary>
    void LoadState(BinaryReader reader, IReadOnlyList<Parameter> parameters);

    /// <summary>Bytes of optimizer state held per scalar of <paramref name="parameter"/>.</summary>
    double StateBytesPerValue(Parameter parameter);

    /// <summary>Diagnostics since the last call, then resets them. Default: none.</summary>
    IReadOnlyList<ParameterReport> TakeReport(IReadOnlyList<Parameter> parameters) => [];
}

/// <summary>Learning-rate schedules.</summary>
public enum LearningRateSchedule
{
    /// <summary>eta_t = eta.</summary>
    Constant,

    /// <summary>eta_t = eta * (1 + cos(pi t / T)) / 2, from eta to 0 over the run.</summary>
    Cosine,
}

/// <summary>Schedule arithmetic.</summary>
internal static class Schedules
{
    /// <summary>The rate at <paramref name="step"/>.</summary>
    public static double Rate(double baseRate, LearningRateSchedule schedule, StepInfo step) => schedule switch
    {
        LearningRateSchedule.Cosine => baseRate * 0.5 * (1 + Math.Cos(Math.PI * step.Progress)),
        _ => baseRate,
    };

    /// <summary>Parses "constant" or "cosine".</summary>
    public static LearningRateSchedule Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "constant" => LearningRateSchedule.Constant,
        "cosine" => LearningRateSchedule.Cosine,
        _ => throw new ArgumentException($"unknown schedule '{text}': expected constant or cosine"),
    };

    /// <summary>
    /// Reads a stored value count, which must equal the parameter's, and checks that at least
    /// <paramref name="bytesPerValue"/> bytes per value remain (before any state is allocated).
    /// </summary>
    internal static void CheckCount(BinaryReader reader, Parameter parameter, int bytesPerValue = 0)
    {
        int count = reader.ReadInt32();
        if (count != parameter.Count)
            throw new InvalidDataException($"optimizer state for '{parameter.Name}' has {count} values, the parameter has {parameter.Count}");
        Stream stream = reader.BaseStream;
        if (stream.CanSeek && stream.Length - stream.Position < (long)count * bytesPerValue)
            throw new EndOfStreamException();
    }

    /// <summary>Reads a float state value that must be finite.</summary>
    internal static float ReadFinite(BinaryReader reader, Parameter parameter, string what, int index)
    {
        float value = reader.ReadSingle();
        if (!float.IsFinite(value)) throw new InvalidDataException($"'{parameter.Name}' {what}[{index}] is {value}, not finite");
        return value;
    }
}
