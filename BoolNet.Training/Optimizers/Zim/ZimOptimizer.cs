using BoolNet.Layers;

namespace BoolNet.Training.Optimizers.Zim;

/// <summary>
/// The trainer's integer optimizer: <see cref="ZimUpdate"/> over ALL integer parameters at once (the
/// trainer hands them in one list, so global mode draws one multinomial over every integer weight).
/// Use it as <c>TrainingOptions.IntegerOptimizerFactory = ZimOptimizer.Factory(options)</c>.
/// The step index from <see cref="StepInfo"/> selects the random stream, so a resumed run repeats
/// exactly; the saved state is only the step counter.
/// </summary>
public sealed class ZimOptimizer : IOptimizer
{
    private IntegerParameter[]? _integers;

    /// <summary>Creates the optimizer.</summary>
    public ZimOptimizer(ZimOptions options) => Update = new ZimUpdate(options);

    /// <summary>A factory for <c>TrainingOptions.IntegerOptimizerFactory</c>.</summary>
    public static Func<IReadOnlyList<Parameter>, IOptimizer> Factory(ZimOptions options) => _ => new ZimOptimizer(options);

    /// <summary>The update with its statistics (sampling time, draws, units moved).</summary>
    public ZimUpdate Update { get; }

    /// <inheritdoc />
    public string Name => "zim";

    /// <inheritdoc />
    public void Step(IReadOnlyList<Parameter> parameters, StepInfo step)
    {
        if (_integers is null || _integers.Length != parameters.Count)
            _integers = parameters.Select(p => p as IntegerParameter
                ?? throw new ArgumentException($"ZIM updates integer parameters only; '{p.Name}' is {p.GetType().Name}")).ToArray();
        Update.Step(_integers, step.Step, step.TotalSteps);
    }

    /// <inheritdoc />
    public void SaveState(BinaryWriter writer, IReadOnlyList<Parameter> parameters) => writer.Write(Update.StepCount);

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">The stored step count is negative.</exception>
    public void LoadState(BinaryReader reader, IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(reader);
        long steps = reader.ReadInt64();
        if (steps < 0) throw new InvalidDataException($"ZIM step count is {steps}, negative");
    }

    /// <inheritdoc />
    public double StateBytesPerValue(Parameter parameter) => 0;

    /// <summary>
    /// Per parameter: FlipRatio = units moved / (weights * steps since the last report) and
    /// MaxAccumulator = max |w| (the integer range in use).
    /// </summary>
    public IReadOnlyList<ParameterReport> TakeReport(IReadOnlyList<Parameter> parameters)
    {
        var reports = new List<ParameterReport>();
        long steps = Math.Max(1, Update.StepCount - _reportedSteps);
        _reportedSteps = Update.StepCount;
        foreach (Parameter parameter in parameters)
            if (parameter is IntegerParameter integer)
            {
                long moved = Update.TakeMoved(integer);
                int maximum = integer.Value.Length == 0 ? 0 : integer.Value.Max(v => v == int.MinValue ? int.MaxValue : Math.Abs(v));
                reports.Add(new ParameterReport(parameter, (double)moved / ((double)integer.Count * steps), maximum));
            }
        return reports;
    }

    private long _reportedSteps;
}
