using System.Diagnostics;
using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Tests.Core;

/// <summary>
/// ISA detection and BOOLNET_ISA: the names, the ranking behind <see cref="IsaSelection.Best"/>, the refusal of a
/// path the machine lacks, agreement with the CPU's own flags, and, in child processes, that the variable really
/// changes the paths the operators' default entry points take.
/// </summary>
public class KernelIsaSelectionTests
{
    private static readonly Isa[] Everything = Enum.GetValues<Isa>();

    [TestCase("scalar", Isa.Scalar)]
    [TestCase("AVX2", Isa.Avx2)]
    [TestCase(" avx512 ", Isa.Avx512)]
    [TestCase("avx-512", Isa.Avx512)]
    [TestCase("NEON", Isa.Neon)]
    [TestCase("advsimd", Isa.Neon)]
    public void ParseAcceptsKnownNames(string text, Isa expected) => Assert.That(IsaSelection.Parse(text), Is.EqualTo(expected));

    [TestCase("sse")]
    [TestCase("avx")]
    [TestCase("")]
    public void ParseRejectsUnknownNames(string text) =>
        Assert.That(() => IsaSelection.Parse(text), Throws.ArgumentException.With.Message.Contains("expected scalar, avx2, avx512 or neon"));

    [Test]
    public void NameAndParseRoundTripForEveryPath()
    {
        string[] names = Everything.Select(IsaSelection.Name).ToArray();
        Assert.That(names, Is.EqualTo(new[] { "scalar", "avx2", "avx512", "neon" }));
        Assert.That(names.Select(IsaSelection.Parse), Is.EqualTo(Everything));
    }

    [Test]
    public void AnEmptyValueSelectsTheFastestPathOfTheMachine()
    {
        Assert.That(IsaSelection.FromEnvironmentValue(null, [Isa.Scalar]), Is.EqualTo(Isa.Scalar));
        Assert.That(IsaSelection.FromEnvironmentValue("", [Isa.Scalar, Isa.Avx2]), Is.EqualTo(Isa.Avx2));
        Assert.That(IsaSelection.FromEnvironmentValue("  ", [Isa.Avx512, Isa.Avx2, Isa.Scalar]), Is.EqualTo(Isa.Avx512));
        Assert.That(IsaSelection.FromEnvironmentValue(null, []), Is.EqualTo(Isa.Scalar), "scalar needs no support");
    }

    [Test]
    public void AValueNamingAPathTheMachineLacksIsRefusedNamingTheVariable()
    {
        Assert.That(() => IsaSelection.FromEnvironmentValue("avx512", [Isa.Scalar, Isa.Avx2]),
            Throws.TypeOf<PlatformNotSupportedException>().With.Message.Contains("BOOLNET_ISA=avx512").And.Message.Contains("scalar, avx2"));
        Assert.That(() => IsaSelection.FromEnvironmentValue("AVX2", [Isa.Scalar]),
            Throws.TypeOf<PlatformNotSupportedException>().With.Message.Contains("BOOLNET_ISA=AVX2"));
        Assert.That(IsaSelection.FromEnvironmentValue("avx2", [Isa.Scalar, Isa.Avx2]), Is.EqualTo(Isa.Avx2));
        Assert.That(() => IsaSelection.FromEnvironmentValue("mmx", Everything),
            Throws.ArgumentException.With.Message.Contains("BOOLNET_ISA=mmx"));
    }

    [Test]
    public void OnThisMachineEverySupportedValueIsAcceptedAndNoOtherIs()
    {
        foreach (Isa isa in Everything)
        {
            if (IsaSelection.Supported.Contains(isa))
                Assert.That(IsaSelection.FromEnvironmentValue(IsaSelection.Name(isa)), Is.EqualTo(isa));
            else
                Assert.That(() => IsaSelection.FromEnvironmentValue(IsaSelection.Name(isa)), Throws.TypeOf<PlatformNotSupportedException>());
            if (IsaSelection.Supported.Contains(isa)) Assert.That(IsaSelection.Require(isa), Is.EqualTo(isa));
            else Assert.That(() => IsaSelection.Require(isa), Throws.TypeOf<PlatformNotSupportedException>());
        }
    }

    [Test]
    public void BestRunsHereAndNoSupportedPathRanksAboveIt()
    {
        Assert.That(IsaSelection.Supported, Does.Contain(Isa.Scalar));
        Assert.That(IsaSelection.Supported, Is.Ordered.And.Unique);
        Assert.That(IsaSelection.Supported, Does.Contain(IsaSelection.Best));
        Assert.That(IsaSelection.Supported.Where(isa => isa > IsaSelection.Best), Is.Empty);
        // The hardware really runs it: a product on Best's own kernels equals the scalar reference.
        var random = new Random(5);
        var a = new BitMatrix(9, 4100); a.Randomize(random);
        var b = new BitMatrix(13, 4100); b.Randomize(random);
        int[] best = new int[9 * 13], scalar = new int[9 * 13];
        BinaryGemm.Count(CountOperation.Xor, a, b, best, threads: 1, isa: IsaSelection.Best);
        BinaryGemm.Count(CountOperation.Xor, a, b, scalar, threads: 1, isa: Isa.Scalar);
        Assert.That(best, Is.EqualTo(scalar));
    }

    [Test]
    public void SupportedAgreesWithTheCpuFlagsOfLinux()
    {
        if (!File.Exists("/proc/cpuinfo")) Assert.Ignore("no /proc/cpuinfo on this system");
        string? flagsLine = File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("flags", StringComparison.Ordinal));
        if (flagsLine is null) Assert.Ignore("/proc/cpuinfo lists no flags (not x86)");
        var flags = flagsLine![(flagsLine.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        bool avx2 = flags.Contains("avx2");
        bool avx512 = flags.Contains("avx512f") && flags.Contains("avx512bw") && flags.Contains("avx512vbmi");
        // The runtime can only support what the CPU has; it may support less when DOTNET_Enable* switches turn paths off.
        if (IsaSelection.Supported.Contains(Isa.Avx2)) Assert.That(avx2, "AVX2 supported but not in the CPU flags");
        if (IsaSelection.Supported.Contains(Isa.Avx512)) Assert.That(avx512, "AVX-512 supported but avx512f/bw/vbmi not in the CPU flags");
        bool runtimeSwitches = Environment.GetEnvironmentVariables().Keys.Cast<string>().Any(key => key.StartsWith("DOTNET_Enable", StringComparison.OrdinalIgnoreCase));
        if (!runtimeSwitches)
        {
            Assert.That(IsaSelection.Supported.Contains(Isa.Avx2), Is.EqualTo(avx2), "AVX2 in the CPU flags");
            Assert.That(IsaSelection.Supported.Contains(Isa.Avx512), Is.EqualTo(avx512), "AVX-512 F/BW/VBMI in the CPU flags");
        }
    }

    [Test, Category("Isa")]
    public void TheProcessRunsThePathItsEnvironmentNames()
    {
        // Under CI's reruns (BOOLNET_ISA=scalar, avx2, ...) this shows the variable reached the test process.
        string? text = Environment.GetEnvironmentVariable(IsaSelection.EnvironmentVariable);
        string expected = string.IsNullOrWhiteSpace(text) ? IsaSelection.Name(IsaSelection.Best) : text.Trim().ToLowerInvariant();
        Assert.That(Program.DispatchReport(), Does.StartWith($"isa={expected} "));
    }

    /// <summary>The report a child process gives under each value this machine supports, and under none.</summary>
    private static IEnumerable<TestCaseData> ChildProcessCases()
    {
        string Expected(Isa isa) => isa switch
        {
            Isa.Avx512 => "isa=avx512 gemm=avx512-packed bitplane=avx512",
            Isa.Avx2 => "isa=avx2 gemm=avx2-packed bitplane=avx2",
            Isa.Neon => "isa=neon gemm=neon-tiles bitplane=neon",
            _ => "isa=scalar gemm=scalar bitplane=scalar",
        };
        foreach (Isa isa in IsaSelection.Supported)
            yield return new TestCaseData(IsaSelection.Name(isa), Expected(isa)).SetName($"ChildProcessUnder_{IsaSelection.Name(isa)}");
        yield return new TestCaseData("", Expected(IsaSelection.Best)).SetName("ChildProcessWithoutTheVariable");
    }

    [TestCaseSource(nameof(ChildProcessCases))]
    public void TheVariableChangesTheKernelsOfAFreshProcess(string value, string expected)
    {
        (int exitCode, string output, string error) = RunDispatchReport(value);
        Assert.That(exitCode, Is.Zero, error);
        Assert.That(output.Trim(), Is.EqualTo(expected));
    }

    [Test]
    public void AFreshProcessRefusesAnUnknownValueNamingTheVariable()
    {
        (int exitCode, string output, string error) = RunDispatchReport("mmx");
        Assert.That(exitCode, Is.EqualTo(1), output);
        Assert.That(error, Does.Contain("BOOLNET_ISA=mmx"));
    }

    /// <summary>Runs <c>dotnet BoolNet.Tests.dll dispatch</c> with BOOLNET_ISA set to <paramref name="value"/> (empty: unset).</summary>
    private static (int ExitCode, string Output, string Error) RunDispatchReport(string value)
    {
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path
            : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        start.ArgumentList.Add("dispatch");
        if (value.Length == 0) start.Environment.Remove(IsaSelection.EnvironmentVariable);
        else start.Environment[IsaSelection.EnvironmentVariable] = value;
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the child process did not finish within 60 s");
        }
        return (process.ExitCode, output.Result, error.Result);
    }
}
