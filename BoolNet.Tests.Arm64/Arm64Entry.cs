namespace BoolNet.Tests;

/// <summary>
/// Entry point of the self-contained test program: <c>dispatch</c> gives <see cref="Program"/>'s report (as
/// <c>dotnet BoolNet.Tests.dll dispatch</c> does); anything else runs the tests through NUnit's
/// Microsoft.Testing.Platform runner (e.g. <c>--filter "TestCategory=Isa"</c>).
/// </summary>
internal static class Arm64Entry
{
    public static Task<int> Main(string[] args) =>
        args is ["dispatch"] ? Task.FromResult(Program.Main(args)) : MicrosoftTestingPlatformApplication.RunAsync(args);
}
