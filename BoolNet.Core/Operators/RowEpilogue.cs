namespace BoolNet.Core.Operators;

/// <summary>
/// Work applied to each finished range of output rows of an operator, on the thread that wrote them
/// and while they are still in its cache (larq compute-engine's OutputTransform idea: data, handed
/// to the operator as a struct type argument, so the JIT compiles <see cref="Apply"/> into the row
/// loop). The operator calls it exactly once for every row, after the row's last write. The fused
/// optimizer step (<see cref="FlipWithResetRows"/>) is one: it updates weight row j as soon as row j
/// of the weight signal q is final.
/// </summary>
public interface IRowEpilogue
{
    /// <summary>Rows [<paramref name="start"/>, <paramref name="end"/>) of the output are final.</summary>
    void Apply(int start, int end);
}

/// <summary>No epilogue.</summary>
public readonly struct NoRowEpilogue : IRowEpilogue
{
    /// <inheritdoc />
    public void Apply(int start, int end)
    {
    }
}
