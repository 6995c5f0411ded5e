using System.Runtime.Intrinsics.X86;

namespace BoolNet.Core.Kernels;

/// <summary>An instruction-set path for the kernels.</summary>
public enum Isa
{
    /// <summary>Portable 64-bit words and scalar popcount: the reference every other path must equal.</summary>
    Scalar,

    /// <summary>256-bit AVX2 with a vpshufb nibble popcount.</summary>
    Avx2,

    /// <summary>512-bit AVX-512 (F/BW/VBMI) with a vpermb 6-bit popcount and ternlog adder trees.</summary>
    Avx512,
}

/// <summary>
/// Which ISA paths this machine supports and which one dispatch uses. The environment variable
/// <c>BOOLNET_ISA=scalar|avx2|avx512</c> forces a path for the whole process (tests run the suite
/// under each); <see cref="Override"/> does the same from code.
/// </summary>
public static class IsaSelection
{
    /// <summary>Name of the environment variable that forces a path.</summary>
    public const string EnvironmentVariable = "BOOLNET_ISA";

    private static readonly Lazy<Isa> FromEnvironment = new(ReadEnvironment);

    /// <summary>When set, dispatch uses this path instead of the environment or the best one.</summary>
    public static Isa? Override { get; set; }

    /// <summary>True when the hardware and runtime support <paramref name="isa"/>.</summary>
    public static bool IsSupported(Isa isa) => isa switch
    {
        Isa.Scalar => true,
        Isa.Avx2 => Avx2.IsSupported,
        Isa.Avx512 => Avx512F.IsSupported && Avx512BW.IsSupported && Avx512Vbmi.IsSupported,
        _ => false,
    };

    /// <summary>Every path this machine supports, slowest first.</summary>
    public static IReadOnlyList<Isa> Supported { get; } =
        Enum.GetValues<Isa>().Where(IsSupported).ToArray();

    /// <summary>The fastest supported path.</summary>
    public static Isa Best => Supported[^1];

    /// <summary>The path dispatch uses now: <see cref="Override"/>, else BOOLNET_ISA, else <see cref="Best"/>.</summary>
    public static Isa Current => Override ?? FromEnvironment.Value;

    /// <summary>Parses "scalar", "avx2" or "avx512" (case-insensitive).</summary>
    public static Isa Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "scalar" => Isa.Scalar,
        "avx2" => Isa.Avx2,
        "avx512" or "avx-512" => Isa.Avx512,
        _ => throw new ArgumentException($"unknown ISA '{text}': expected scalar, avx2 or avx512"),
    };

    /// <summary>Lower-case name as used by BOOLNET_ISA and in reports.</summary>
    public static string Name(Isa isa) => isa.ToString().ToLowerInvariant();

    /// <summary>
    /// The path a BOOLNET_ISA value selects: <see cref="Best"/> when empty, else the parsed path, which must be
    /// supported here (<see cref="PlatformNotSupportedException"/> otherwise; <see cref="ArgumentException"/> for a bad name).
    /// </summary>
    public static Isa FromEnvironmentValue(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Best;
        Isa isa = Parse(text);
        if (!IsSupported(isa))
            throw new PlatformNotSupportedException($"{EnvironmentVariable}={text} but this machine does not support {isa}");
        return isa;
    }

    private static Isa ReadEnvironment() => FromEnvironmentValue(Environment.GetEnvironmentVariable(EnvironmentVariable));
}
