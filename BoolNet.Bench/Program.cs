using BenchmarkDotNet.Running;

namespace BoolNet.Bench;

/// <summary>
/// Benchmarks entry point. Sub-modes:
/// <c>gemm --m M --k K --n N [--threads T] [--isa scalar|avx2|avx512|all] [--op xor|and] [--repetitions R]</c>
/// prints one JSON line per ISA (quick, machine-readable; <c>all</c> interleaves every supported path in
/// one process, the fair comparison on a loaded machine); <c>floatgemm [--rounds R]</c> compares the float
/// GEMM's algorithms on catalogue shapes (<see cref="Real.FloatGemmAlgorithms"/>); <c>floatpanels</c> the
/// pre-packed float product against the unpacked one (<see cref="Real.FloatPanelsBench"/>); <c>int8 [--threads T]</c> the
/// int8 product's paths (<see cref="Int8GemmBench"/>); <c>discrete-model --out FILE</c> writes a folded random
/// discrete MLP for <c>boolnet bench</c> (<see cref="DiscreteModelFile"/>); <c>onnx MODEL.bnm</c> BoolNet against ONNX Runtime
/// in the same process (<see cref="Peers.OnnxPeerBench"/>); <c>cpp-gemm [--m --k --n]</c> the C++
/// reference kernels beside the C# paths in alternating rounds (<see cref="CppReferenceBench"/>); <c>cpp-signals</c>
/// the same for the byte products of the Boolean backward (<see cref="CppSignalProductsBench"/>);
/// <c>infer-profile MODEL.bnm</c> an inference model's time per layer and per thread count (<see cref="InferenceProfile"/>); anything else goes to BenchmarkDotNet's switcher,
/// e.g. <c>--filter *GemmBenchmarks*</c>.
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "gemm") return QuickGemm.Run(args[1..], Console.Out, Console.Error);
        if (args.Length > 0 && args[0] == "conv") return Convolution.ConvolutionThroughput.Run(args[1..]);
        if (args.Length > 0 && args[0] == "fusion") return Training.FusionBench.Run(args[1..]);
        if (args.Length > 0 && args[0] == "signals") return SignalProductsBench.Run(args[1..]);
        if (args.Length > 0 && args[0] == "floatgemm") return Real.FloatGemmAlgorithms.Run(args[1..]);
        if (args.Length > 0 && args[0] == "int8") return Int8GemmBench.Run(args[1..]);
        if (args.Length > 0 && args[0] == "discrete-model") return DiscreteModelFile.Run(args[1..]);
        if (args.Length > 0 && args[0] == "onnx") return Peers.OnnxPeerBench.Run(args[1..]);
        if (args.Length > 0 && args[0] == "cpp-gemm") return CppReferenceBench.Run(args[1..]);
        if (args.Length > 0 && args[0] == "cpp-signals") return CppSignalProductsBench.Run(args[1..]);
        if (args.Length > 0 && args[0] == "infer-profile") return InferenceProfile.Run(args[1..]);
        if (args.Length > 0 && args[0] == "floatpanels") return Real.FloatPanelsBench.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
