using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace BoolNet.Core.Execution;

/// <summary>An instruction-set path for the kernels, slowest first (the order <see cref="IsaSelection.Best"/> ranks by).</summary>
public enum Isa
{
    /// <summary>Portable 64-bit words and scalar popcount: the reference every other path must equal.</summary>
    Scalar,

    /// <summary>256-bit AVX2 with a vpshufb nibble popcount.</summary>
    Avx2,

    /// <summary>512-bit AVX-512 (F/BW/VBMI) with a vpermb 6-bit popcount and ternlog adder trees.</summary>
    Avx512,

    /// <summary>
    /// ARM64 AdvSimd (NEON, 128-bit) with the CNT byte popcount, and SDOT where the CPU has the dot-product
    /// extension (ARMv8.2+). Never supported on x86, as the AVX paths are never supported on ARM64, so the
    /// ranking only ever compares it with <see cref="Scalar"/>.
    /// </summary>
    Neon,
}

/// <summary>
/// Which ISA paths this machine supports and the one every operator's default entry point uses,
/// <see cref="Current"/>: read once from the environment variable <c>BOOLNET_ISA=scalar|avx2|avx512|neon</c>,
/// else the best supported path, and never changed afterwards. Tests and benchmarks that need another
/// path pass an explicit <see cref="Isa"/> to the operator; CI reruns the ISA-dependent tests in child
/// processes under each value.
/// </summary>
public static class IsaSelection
{
    /// <summary>Name of the environment variable that forces a path.</summary>
    public const string EnvironmentVariable = "BOOLNET_ISA";

    // Read on first use, not in a static constructor, so a bad value surfaces as the
    // PlatformNotSupportedException/ArgumentException it is rather than a TypeInitializationException.
    // Lazy caches the value (and an exception) for the life of the process: Current never changes.
    private static readonly Lazy<Isa> FromEnvironment = new(ReadEnvironment);

    /// <summary>True when the hardware and runtime support <paramref name="isa"/>.</summary>
    public static bool IsSupported(Isa isa) => isa switch
    {
        Isa.Scalar => true,
        Isa.Avx2 => Avx2.IsSupported,
        Isa.Avx512 => Avx512F.IsSupported && Avx512BW.IsSupported && Avx512Vbmi.IsSupported,
        Isa.Neon => AdvSimd.Arm64.IsSupported,
        _ => false,
    };

    /// <summary>Every path this machine supports, slowest first.</summary>
    public static IReadOnlyList<Isa> Supported { get; } =
        Enum.GetValues<Isa>().Where(IsSupported).ToArray();

    /// <summary>The fastest path among <see cref="Supported"/> (the highest-ranked <see cref="Isa"/> value).</summary>
    public static Isa Best => BestOf(Supported);

    /// <summary>The path every operator's default entry point uses: BOOLNET_ISA when set, else <see cref="Best"/>. Fixed for the process.</summary>
    public static Isa Current => FromEnvironment.Value;

    /// <summary>Returns <paramref name="isa"/>, or throws <see cref="PlatformNotSupportedException"/> when this machine lacks it.</summary>
    public static Isa Require(Isa isa) =>
        IsSupported(isa) ? isa : throw new PlatformNotSupportedException($"{Name(isa)} is not supported on this machine");

    /// <summary>Parses "scalar", "avx2", "avx512" or "neon" (also "advsimd"; case-insensitive).</summary>
    public static Isa Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "scalar" => Isa.Scalar,
        "avx2" => Isa.Avx2,
        "avx512" or "avx-512" => Isa.Avx512,
        "neon" or "advsimd" => Isa.Neon,
        _ => throw new ArgumentException($"unknown ISA '{text}': expected scalar, avx2, avx512 or neon"),
    };

    /// <summary>Lower-case name as used by BOOLNET_ISA and in reports.</summary>
    public static string Name(Isa isa) => isa.ToString().ToLowerInvariant();

    /// <summary>
    /// The path a BOOLNET_ISA value selects on this machine: <see cref="Best"/> when empty, else the parsed path,
    /// which must be supported (<see cref="PlatformNotSupportedException"/> otherwise; <see cref="ArgumentException"/>
    /// for an unknown name; both messages name the variable).
    /// </summary>
    public static Isa FromEnvironmentValue(string? text) => FromEnvironmentValue(text, Supported);

    /// <summary>
    /// <see cref="FromEnvironmentValue(string?)"/> for a machine that supports exactly <paramref name="supported"/>
    /// (so the decision can be tested for hardware this machine is not).
    /// </summary>
    public static Isa FromEnvironmentValue(string? text, IReadOnlyCollection<Isa> supported)
    {
        if (string.IsNullOrWhiteSpace(text)) return BestOf(supported);
        Isa isa;
        try
        {
            isa = Parse(text);
        }
        catch (ArgumentException exception)
        {
            throw new ArgumentException($"{EnvironmentVariable}={text.Trim()}: {exception.Message}", exception);
        }
        if (!supported.Contains(isa))
            throw new PlatformNotSupportedException(
                $"{EnvironmentVariable}={text.Trim()} but this machine supports only {string.Join(", ", supported.Select(Name))}");
        return isa;
    }

    private static Isa BestOf(IEnumerable<Isa> supported) => supported.Prepend(Isa.Scalar).Max();

    private static Isa ReadEnvironment() => FromEnvironmentValue(Environment.GetEnvironmentVariable(EnvironmentVariable));
}
