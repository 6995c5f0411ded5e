using BoolNet.Core.Kernels;

namespace BoolNet.Tests.Core;

/// <summary>ISA detection, BOOLNET_ISA parsing and the override that dispatch honours.</summary>
public class KernelIsaSelectionTests
{
    [TestCase("scalar", Isa.Scalar)]
    [TestCase("AVX2", Isa.Avx2)]
    [TestCase(" avx512 ", Isa.Avx512)]
    [TestCase("avx-512", Isa.Avx512)]
    public void ParseAcceptsKnownNames(string text, Isa expected) => Assert.That(IsaSelection.Parse(text), Is.EqualTo(expected));

    [TestCase("sse")]
    [TestCase("avx")]
    [TestCase("")]
    public void ParseRejectsUnknownNames(string text) =>
        Assert.That(() => IsaSelection.Parse(text), Throws.ArgumentException.With.Message.Contains("expected scalar, avx2 or avx512"));

    [Test]
    public void EmptyEnvironmentValueSelectsBest()
    {
        Assert.That(IsaSelection.FromEnvironmentValue(null), Is.EqualTo(IsaSelection.Best));
        Assert.That(IsaSelection.FromEnvironmentValue("  "), Is.EqualTo(IsaSelection.Best));
    }

    [TestCaseSource(typeof(IsaSelection), nameof(IsaSelection.Supported))]
    public void EnvironmentValueForcesASupportedPath(Isa isa) =>
        Assert.That(IsaSelection.FromEnvironmentValue(IsaSelection.Name(isa)), Is.EqualTo(isa));

    [Test]
    public void EnvironmentValueNamingAnUnsupportedPathFails()
    {
        foreach (Isa isa in Enum.GetValues<Isa>().Where(i => !IsaSelection.IsSupported(i)))
            Assert.That(() => IsaSelection.FromEnvironmentValue(IsaSelection.Name(isa)), Throws.TypeOf<PlatformNotSupportedException>());
        Assert.That(() => IsaSelection.FromEnvironmentValue("mmx"), Throws.ArgumentException);
    }

    [Test]
    public void CurrentFollowsProcessEnvironment()
    {
        string? text = Environment.GetEnvironmentVariable(IsaSelection.EnvironmentVariable);
        Isa? saved = IsaSelection.Override;
        try
        {
            IsaSelection.Override = null;
            Assert.That(IsaSelection.Current, Is.EqualTo(IsaSelection.FromEnvironmentValue(text)));
        }
        finally
        {
            IsaSelection.Override = saved;
        }
    }

    [TestCaseSource(typeof(IsaSelection), nameof(IsaSelection.Supported))]
    public void OverrideSelectsTheDispatchedKernel(Isa isa)
    {
        Isa? saved = IsaSelection.Override;
        try
        {
            IsaSelection.Override = isa;
            Assert.That(IsaSelection.Current, Is.EqualTo(isa));
            Assert.That(BinaryGemm.CurrentKernel.Isa, Is.EqualTo(isa));
        }
        finally
        {
            IsaSelection.Override = saved;
        }
    }

    [Test]
    public void SupportedStartsWithScalarAndEndsWithBest()
    {
        Assert.That(IsaSelection.Supported[0], Is.EqualTo(Isa.Scalar));
        Assert.That(IsaSelection.Supported[^1], Is.EqualTo(IsaSelection.Best));
        Assert.That(IsaSelection.Supported, Is.Ordered);
    }
}
