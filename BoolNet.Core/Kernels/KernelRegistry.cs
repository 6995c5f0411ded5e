namespace BoolNet.Core.Kernels;

/// <summary>Maps each ISA path to its counting-GEMM kernel.</summary>
internal static class KernelRegistry
{
    // TODO(issue 2, kernels): AVX2 and AVX-512 kernels replace the scalar fallbacks below.
    public static IBinaryGemmKernel Get(Isa isa) => isa switch
    {
        _ => ScalarBinaryGemmKernel.Instance,
    };
}
