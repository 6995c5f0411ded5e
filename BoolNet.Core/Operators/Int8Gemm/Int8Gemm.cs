using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// The integer product of an int8 layer (issue 16's integer-only inference):
/// <code>
///   C[s, j] = sum_i X[s, i] W[j, i]        X [count, k] uint8 (pixels, or 0/1 bits), W [n, k] int8 in -127..127
/// </code>
/// exact in int32 for k &lt;= <see cref="MaximumDepth"/> (|C| &lt;= 255 * 127 * k &lt; 2^31). W is prepared once
/// (<see cref="Prepare(ReadOnlySpan{sbyte}, int, int, Isa?)"/>) into the layout of one path, the way a layer
/// caches it; <see cref="Multiply"/> then runs that path. The paths (<see cref="Int8Kernel"/>), chosen by
/// <see cref="Choose"/> alone:
/// <list type="bullet">
/// <item>scalar: the definition as plain loops over W's rows, the reference every path equals;</item>
/// <item>AVX-VNNI: vpdpbusd on ymm (u8 x s8, four products per int32 lane, no saturation), taken on either
/// vector ISA when the CPU has it. .NET 10 exposes vpdpbusd only in this VEX 256-bit form
/// (<see cref="AvxVnni"/>): there is no 512-bit (AVX512-VNNI) API, so a zmm VNNI path cannot be written;</item>
/// <item>AVX2 and AVX-512 BW: vpmaddubsw with an exact sign trick (see <see cref="Int8Tiles"/>), on CPUs
/// without AVX-VNNI;</item>
/// <item>ARM64 AdvSimd: SDOT by element where the CPU has the dot-product extension (Dp), else widening
/// multiplies, both on recentred samples (see <see cref="NeonInt8Tiles"/>).</item>
/// </list>
/// Threads split the samples; every output is computed whole by one thread, so neither the path nor
/// the thread count changes a result. One thread allocates nothing (the batch-1 inference path).
/// </summary>
public static class Int8Gemm
{
    /// <summary>Largest k: 255 * 127 * 65536 = 2,122,383,360 still fits an int32.</summary>
    public const int MaximumDepth = 1 << 16;

    /// <summary>Neurons per panel of the prepared layout (one zmm, two ymm of int32 sums).</summary>
    internal const int PanelWidth = 16;

    /// <summary>
    /// Weights in the layout of one path. The vector paths read W as panels of 16 neurons, k in quads:
    /// <c>Panels[(p * Quads + q) * 64 + 4 * r + t] = W[16 p + r, 4 q + t]</c>, zero past n and k, so one
    /// broadcast quad of a sample's bytes meets 16 neurons' four weights in one 64-byte row (vpdpbusd's
    /// operand order); the scalar path keeps W [n, k] row-major.
    /// </summary>
    public sealed class PreparedWeights
    {
        internal PreparedWeights(int outputs, int depth, Isa isa, Int8Kernel kernel, sbyte[] rows, sbyte[] panels, int[] corrections)
        {
            Outputs = outputs;
            Depth = depth;
            Isa = isa;
            Kernel = kernel;
            Rows = rows;
            Panels = panels;
            Corrections = corrections;
        }

        /// <summary>n, the neurons (rows of W).</summary>
        public int Outputs { get; }

        /// <summary>k, the inputs per sample (columns of W).</summary>
        public int Depth { get; }

        /// <summary>The ISA these weights were prepared for.</summary>
        public Isa Isa { get; }

        /// <summary>The path <see cref="Multiply"/> runs.</summary>
        internal Int8Kernel Kernel { get; }

        /// <summary>W [n, k] row-major (the scalar path); empty for the vector paths.</summary>
        internal sbyte[] Rows { get; }

        /// <summary>The panel layout (vector paths); empty for the scalar path.</summary>
        internal sbyte[] Panels { get; }

        /// <summary>128 * sum_i W[j, i] per neuron, zero padded to whole panels (the vpmaddubsw and NEON paths); else empty.</summary>
        internal int[] Corrections { get; }

        /// <summary>ceil(k / 4).</summary>
        internal int Quads => (Depth + 3) / 4;

        /// <summary>ceil(n / 16).</summary>
        internal int PanelCount => (Outputs + PanelWidth - 1) / PanelWidth;
    }

    /// <summary>The one decision: the path for <paramref name="isa"/> on this CPU.</summary>
    internal static Int8Kernel Choose(Isa isa) => isa switch
    {
        Isa.Scalar => Int8Kernel.Scalar,
        Isa.Neon => Dp.IsSupported ? Int8Kernel.NeonDot : Int8Kernel.NeonMultiply,
        // One vpdpbusd does the work of four vpmaddubsw-trick instructions; on Zen 4 a ymm VNNI
        // product also beats the zmm trick (zmm runs as two 256-bit halves there; BoolNet.Bench int8).
        _ when AvxVnni.IsSupported => Int8Kernel.AvxVnni,
        Isa.Avx512 => Int8Kernel.Avx512Madd,
        _ => Int8Kernel.Avx2Madd,
    };

    /// <summary>True when this CPU can run <paramref name="kernel"/>.</summary>
    internal static bool IsSupported(Int8Kernel kernel) => kernel switch
    {
        Int8Kernel.Scalar => true,
        Int8Kernel.Avx2Madd => Avx2.IsSupported,
        Int8Kernel.AvxVnni => AvxVnni.IsSupported,
        Int8Kernel.Avx512Madd => Avx512BW.IsSupported,
        Int8Kernel.NeonDot => AdvSimd.Arm64.IsSupported && Dp.IsSupported,
        Int8Kernel.NeonMultiply => AdvSimd.Arm64.IsSupported,
        _ => false,
    };

    /// <summary>Every path this CPU can run (tests and benchmarks compare them all).</summary>
    internal static IReadOnlyList<Int8Kernel> SupportedKernels { get; } = Enum.GetValues<Int8Kernel>().Where(IsSupported).ToArray();

    /// <summary>A path's name in reports: "scalar", "avx2-maddubs", "avx-vnni", "avx512-maddubs", "neon-sdot" or "neon-smull".</summary>
    internal static string Name(Int8Kernel kernel) => kernel switch
    {
        Int8Kernel.Avx2Madd => "avx2-maddubs",
        Int8Kernel.AvxVnni => "avx-vnni",
        Int8Kernel.Avx512Madd => "avx512-maddubs",
        Int8Kernel.NeonDot => "neon-sdot",
        Int8Kernel.NeonMultiply => "neon-smull",
        _ => "scalar",
    };

    /// <summary>The name of the path weights prepared for <paramref name="isa"/> take (null: <see cref="IsaSelection.Current"/>).</summary>
    public static string PathName(Isa? isa = null) => Name(Choose(IsaSelection.Require(isa ?? IsaSelection.Current)));

    /// <summary>Prepares W [n, k] (row-major, every value in -127..127) for <see cref="Multiply"/> on <paramref name="isa"/>.</summary>
    /// <param name="weights">W [outputs, depth] row-major</param>
    /// <param name="outputs">n</param>
    /// <param name="depth">k, at most <see cref="MaximumDepth"/></param>
    /// <param name="isa">null for <see cref="IsaSelection.Current"/></param>
    /// <exception cref="ArgumentOutOfRangeException">A weight is -128 (outside -127..127), or a size is out of range.</exception>
    public static PreparedWeights Prepare(ReadOnlySpan<sbyte> weights, int outputs, int depth, Isa? isa = null)
    {
        Isa path = IsaSelection.Require(isa ?? IsaSelection.Current);
        return Prepare(weights, outputs, depth, path, Choose(path));
    }

    /// <summary>Prepares W for one named path (tests and benchmarks; <see cref="Choose"/> picks otherwise).</summary>
    internal static PreparedWeights Prepare(ReadOnlySpan<sbyte> weights, int outputs, int depth, Isa isa, Int8Kernel kernel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outputs);
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(depth, MaximumDepth);
        if (!IsSupported(kernel)) throw new PlatformNotSupportedException($"the {Name(kernel)} int8 path is not supported on this machine");
        if (weights.Length != (long)outputs * depth) throw new ArgumentException($"{weights.Length} weights for [{outputs}, {depth}]");
        int bad = weights.IndexOf(sbyte.MinValue);
        if (bad >= 0)
            throw new ArgumentOutOfRangeException(nameof(weights), $"weight [{bad / depth}, {bad % depth}] is -128, outside -127..127");
        if (kernel == Int8Kernel.Scalar)
            return new PreparedWeights(outputs, depth, isa, kernel, weights.ToArray(), [], []);
        int quads = (depth + 3) / 4, panels = (outputs + PanelWidth - 1) / PanelWidth;
        var layout = new sbyte[(long)panels * quads * 64];
        bool corrected = kernel is Int8Kernel.Avx2Madd or Int8Kernel.Avx512Madd or Int8Kernel.NeonDot or Int8Kernel.NeonMultiply;
        var corrections = corrected ? new int[panels * PanelWidth] : [];
        for (int j = 0; j < outputs; j++)
        {
            int p = j / PanelWidth, r = j % PanelWidth, sum = 0;
            ReadOnlySpan<sbyte> row = weights.Slice(j * depth, depth);
            for (int i = 0; i < depth; i++)
            {
                layout[((long)p * quads + i / 4) * 64 + 4 * r + i % 4] = row[i];
                sum += row[i];
            }
            if (corrected) corrections[j] = 128 * sum;
        }
        return new PreparedWeights(outputs, depth, isa, kernel, [], layout, corrections);
    }

    /// <summary>
    /// C [count, n] = X [count, k] W^T on the path the weights were prepared for, samples split over
    /// <paramref name="threads"/> threads (0: every processor); one thread allocates nothing.
    /// </summary>
    /// <param name="weights">prepared W [n, k]</param>
    /// <param name="inputs">X [count, k] bytes</param>
    /// <param name="count">samples</param>
    /// <param name="sums">C [count, n] output</param>
    /// <param name="threads">threads to use (0: every processor)</param>
    public static unsafe void Multiply(PreparedWeights weights, ReadOnlySpan<byte> inputs, int count, Span<int> sums, int threads)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int n = weights.Outputs, k = weights.Depth;
        if (inputs.Length < (long)count * k) throw new ArgumentException($"{inputs.Length} bytes for {count} samples of {k}");
        if (sums.Length < (long)count * n) throw new ArgumentException($"{sums.Length} sums for {count} samples of {n}");
        if (count == 0 || n == 0) return;
        threads = Threading.Resolve(threads);
        long work = (long)count * n * Math.Max(1, k);
        fixed (byte* x = inputs)
        fixed (int* c = sums)
        {
            if (threads == 1 || count == 1 || work < 1 << 16) Rows(weights, x, 0, count, c);
            else MultiplyParallel(weights, x, count, c, threads, work);
        }
    }

    /// <summary>The threaded part, in its own method so that the single-thread call allocates no closure.</summary>
    private static unsafe void MultiplyParallel(PreparedWeights weights, byte* x, int count, int* c, int threads, long work)
    {
        Threading.For(count, threads, (start, end) => Rows(weights, x, start, end, c), alignment: 4, work: work);
    }

    /// <summary>Samples [start, end) on the calling thread.</summary>
    private static unsafe void Rows(PreparedWeights weights, byte* x, int start, int end, int* c)
    {
        int n = weights.Outputs, k = weights.Depth;
        byte* rows = x + (long)start * k;
        int* output = c + (long)start * n;
        switch (weights.Kernel)
        {
            case Int8Kernel.AvxVnni:
                Int8Tiles.Run<VnniQuads>(weights, rows, end - start, output);
                break;
            case Int8Kernel.Avx2Madd:
                Int8Tiles.Run<MaddQuads>(weights, rows, end - start, output);
                break;
            case Int8Kernel.Avx512Madd:
                Int8Tiles.RunWide(weights, rows, end - start, output);
                break;
            case Int8Kernel.NeonDot:
                NeonInt8Tiles.Run<NeonDotQuads>(weights, rows, end - start, output);
                break;
            case Int8Kernel.NeonMultiply:
                NeonInt8Tiles.Run<NeonMultiplyQuads>(weights, rows, end - start, output);
                break;
            default:
                Reference(weights.Rows, n, k, rows, end - start, output);
                break;
        }
    }

    /// <summary>The definition: C[s, j] = sum_i X[s, i] W[j, i], one neuron at a time.</summary>
    private static unsafe void Reference(sbyte[] w, int n, int k, byte* x, int count, int* c)
    {
        for (int s = 0; s < count; s++)
        {
            byte* sample = x + (long)s * k;
            for (int j = 0; j < n; j++)
            {
                int sum = 0;
                for (int i = 0; i < k; i++) sum += sample[i] * w[(long)j * k + i];
                c[(long)s * n + j] = sum;
            }
        }
    }
}

/// <summary>The paths of <see cref="Int8Gemm"/>; <see cref="Int8Gemm.Choose"/> decides which one runs.</summary>
internal enum Int8Kernel
{
    /// <summary>Plain loops over W's rows: the reference.</summary>
    Scalar,

    /// <summary>ymm vpmaddubsw with the sign trick (AVX2 without AVX-VNNI).</summary>
    Avx2Madd,

    /// <summary>ymm vpdpbusd (AVX-VNNI).</summary>
    AvxVnni,

    /// <summary>zmm vpmaddubsw with the sign trick (AVX-512 BW without AVX-VNNI).</summary>
    Avx512Madd,

    /// <summary>ARM64 SDOT by element on recentred samples (AdvSimd with the dot-product extension).</summary>
    NeonDot,

    /// <summary>ARM64 SMULL/ADDP/SADALP on recentred samples (AdvSimd without Dp).</summary>
    NeonMultiply,
}
