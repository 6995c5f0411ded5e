using BoolNet.Core.Operators;

namespace BoolNet.Layers;

/// <summary>
/// Where a Boolean layer's backward gets the optimizer step to fuse into its weight signal
/// (<see cref="LayerContext.FusedUpdates"/>). The step is data (<see cref="FlipWithResetRows"/>: the
/// tensor, its accumulator, beta and eta) that the weight signal applies to each finished row range
/// as its epilogue (<see cref="SignalProducts"/>); the optimizer then only adds up the totals.
/// </summary>
public interface IFusedUpdates
{
    /// <summary>
    /// Begins this step's update of <paramref name="parameter"/> inside the backward, or returns the
    /// empty epilogue when it cannot be fused (the optimizer then runs it after the backward). The
    /// caller must apply the result to every row of the parameter's signal.
    /// </summary>
    FlipWithResetRows Begin(BooleanParameter parameter);
}
