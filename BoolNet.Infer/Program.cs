namespace BoolNet.Infer;

/// <summary>Entry point of the inference-only tool.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        Console.WriteLine($"{BoolNet.Core.Kernels.IsaSelection.Current} avx2={System.Runtime.Intrinsics.X86.Avx2.IsSupported} avx512bw={System.Runtime.Intrinsics.X86.Avx512BW.IsSupported} vbmi={System.Runtime.Intrinsics.X86.Avx512Vbmi.IsSupported} popcnt={System.Runtime.Intrinsics.X86.Popcnt.X64.IsSupported}");
        return 0;
    }
}
