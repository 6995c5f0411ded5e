using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Tests;

/// <summary>
/// The test assembly run as a program: <c>dotnet BoolNet.Tests.dll dispatch</c> prints, for this fresh
/// process, the ISA read from BOOLNET_ISA and the paths the operators' default entry points take, so a
/// test can check that the environment variable really changes which kernels run (it is read once per
/// process, so only a child process can show it).
/// </summary>
public static class Program
{
    /// <summary>Entry point; exit code 0 with one report line, 1 when BOOLNET_ISA is refused (message on stderr), 2 on bad usage.</summary>
    public static int Main(string[] args)
    {
        if (args is not ["dispatch"])
        {
            Console.Error.WriteLine("usage: dotnet BoolNet.Tests.dll dispatch");
            return 2;
        }
        try
        {
            Console.WriteLine(DispatchReport());
            return 0;
        }
        catch (Exception exception) when (exception is PlatformNotSupportedException or ArgumentException)
        {
            Console.Error.WriteLine($"{exception.GetType().Name}: {exception.Message}");
            return 1;
        }
    }

    /// <summary>"isa=NAME gemm=PATH bitplane=NAME" for the process ISA (GEMM path of a 64 x 4096-bit B).</summary>
    public static string DispatchReport() =>
        $"isa={IsaSelection.Name(IsaSelection.Current)} " +
        $"gemm={BinaryGemm.PathName(n: 64, words: 64)} " +
        $"bitplane={IsaSelection.Name(BitPlaneDense.Prepare(new BitMatrix(1, 1), inputBits: 8).Isa)}";
}
