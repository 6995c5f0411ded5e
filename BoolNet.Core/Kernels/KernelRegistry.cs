namespace BoolNet.Core.Kernels;

/// <summary>Maps each ISA path to its counting-GEMM kernel.</summary>
internal static class KernelRegistry
{
    public static IBinaryGemmKernel Get(Isa isa) => isa switch
    {
        Isa.Avx512 => Avx512BinaryGemmKernel.Instance,
        Isa.Avx2 => Avx2BinaryGemmKernel.Instance,
        Isa.Scalar => ScalarBinaryGemmKernel.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown ISA"),
    };
}
