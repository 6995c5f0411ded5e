using System.Runtime.CompilerServices;

namespace BoolNet.Layers;

/// <summary>
/// The tensor dimensions of integer parameters (e.g. [out, in] or [out, kh, kw, in]), which
/// <see cref="IntegerParameter"/> itself does not carry. Integer layers register their parameters
/// here; ZIM's per-tensor mode reads ndim to set n = round(numel^(1/ndim)). An unregistered
/// parameter counts as one-dimensional.
/// </summary>
public static class IntegerParameterShapes
{
    private static readonly ConditionalWeakTable<IntegerParameter, int[]> Shapes = new();

    /// <summary>Records the dimensions of <paramref name="parameter"/> (their product must be its count).</summary>
    public static IntegerParameter Register(IntegerParameter parameter, params int[] dimensions)
    {
        long product = 1;
        foreach (int dimension in dimensions) product *= dimension;
        if (product != parameter.Count)
            throw new ArgumentException($"dimensions [{string.Join(", ", dimensions)}] do not hold {parameter.Count} values of {parameter.Name}");
        Shapes.AddOrUpdate(parameter, (int[])dimensions.Clone());
        return parameter;
    }

    /// <summary>The registered dimensions, or [Count].</summary>
    public static IReadOnlyList<int> Of(IntegerParameter parameter) =>
        Shapes.TryGetValue(parameter, out int[]? dimensions) ? dimensions : new[] { parameter.Count };
}
