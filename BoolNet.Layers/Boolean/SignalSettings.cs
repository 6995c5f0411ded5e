using BoolNet.Core.Operators;

namespace BoolNet.Layers;

/// <summary>
/// How a Boolean layer computes its backward sums (docs/ALGORITHMS.md section 3).
/// <see cref="Planes"/> = 0 is the exact path (float loops, the reference); 2..8 quantises the
/// incoming signal z per batch to integers of that many two's-complement bits with one scale
/// (<see cref="SignalQuantizer"/>) and runs Eq. 3/4 as exact integer products (<see cref="SignalProducts"/>).
/// </summary>
public sealed record SignalSettings(int Planes = 0, SignalRounding Rounding = SignalRounding.Nearest)
{
    /// <summary>The exact float reference path.</summary>
    public static SignalSettings Exact { get; } = new();

    /// <summary>True when the bit-plane path is used.</summary>
    public bool UsesPlanes => Planes > 0;

    /// <summary>
    /// Planes for the input signal g (Eq. 3) when it should differ from <see cref="Planes"/>, which
    /// then sets only the weight signal q (Eq. 4); null: the same planes for both. The cost of g on
    /// the popcount kernels grows with its planes, whereas q runs on the non-zero signal pairs.
    /// </summary>
    public int? InputPlanes { get; init; }

    /// <summary>The planes g is quantised to.</summary>
    public int PlanesForInputSignal => InputPlanes ?? Planes;

    /// <summary>Short description for summaries, e.g. "exact" or "4 planes, nearest".</summary>
    public override string ToString() => !UsesPlanes ? "exact"
        : InputPlanes is { } input && input != Planes ? $"{Planes} planes (input signal {input}), {Rounding.ToString().ToLowerInvariant()}"
        : $"{Planes} planes, {Rounding.ToString().ToLowerInvariant()}";
}
