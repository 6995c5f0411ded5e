using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Tests.Core;

/// <summary>
/// The int8 product C = X W^T (uint8 x int8 -> int32) on every path this machine can run against a naive
/// 64-bit loop: k not a multiple of 4, 32 or 64, k = 0, one sample, one neuron, partial panels (n not a
/// multiple of 16), batches that are and are not multiples of 4, one and two threads, and the extremes
/// (x = 255 against w = +127 or -127 over k = 65536, the largest depth, where |C| is 2^31 - 25,100,288).
/// </summary>
[Category("Isa")]
public class Int8GemmTests
{
    private static readonly (int Count, int Depth, int Outputs)[] Shapes =
    [
        (1, 1, 1), (1, 3, 1), (3, 0, 5), (0, 10, 4), (5, 35, 17), (4, 64, 16), (7, 33, 70), (9, 130, 33),
        (2, 784, 10), (1, 784, 100), (13, 129, 65), (6, 4097, 7), (64, 100, 40), (1, 31, 64),
    ];

    private static IEnumerable<TestCaseData> KernelAndShape() =>
        from kernel in Int8Gemm.SupportedKernels
        from shape in Shapes
        from threads in new[] { 1, 2 }
        select new TestCaseData(Int8Gemm.Name(kernel), shape.Count, shape.Depth, shape.Outputs, threads);

    private static IEnumerable<TestCaseData> KernelAndSign() =>
        from kernel in Int8Gemm.SupportedKernels
        from weight in new sbyte[] { 127, -127 }
        select new TestCaseData(Int8Gemm.Name(kernel), weight);

    [TestCaseSource(nameof(KernelAndShape))]
    public void ProductsEqualTheNaiveLoop(string kernel, int count, int depth, int outputs, int threads)
    {
        var random = new Random(count * 1009 + depth * 31 + outputs * 7);
        sbyte[] weights = RandomWeights(random, outputs * depth);
        var inputs = new byte[count * depth + 3]; // longer than needed: only [count, depth] is read
        random.NextBytes(inputs);
        for (int i = 0; i < count * depth; i += 5) inputs[i] = (byte)(i % 2 == 0 ? 0 : 255);
        Check(kernel, weights, inputs, count, depth, outputs, threads);
    }

    [TestCaseSource(nameof(KernelAndSign))]
    public void TheExtremesOverTheLargestDepthDoNotOverflow(string kernel, sbyte weight)
    {
        const int depth = Int8Gemm.MaximumDepth, outputs = 3, count = 5;
        var weights = Enumerable.Repeat(weight, outputs * depth).ToArray();
        weights[depth + 7] = (sbyte)-weight; // one neuron not quite extreme
        var inputs = Enumerable.Repeat((byte)255, count * depth).ToArray();
        inputs.AsSpan(depth, depth).Clear(); // and one sample of zeros (x' = -128 for every byte)
        int[] sums = Check(kernel, weights, inputs, count, depth, outputs, threads: 1);
        Assert.That(sums[0], Is.EqualTo(255 * weight * depth));
        Assert.That(Math.Abs((long)sums[0]), Is.GreaterThan(2_100_000_000));
    }

    [TestCaseSource(nameof(KernelAndSign))]
    public void ExtremeWeightsMeetEveryByteValue(string kernel, sbyte weight)
    {
        // Every byte 0..255 in every position of a quad and of a vpmaddubsw pair, against +-127 and mixed signs.
        const int depth = 1024, outputs = 20;
        var weights = new sbyte[outputs * depth];
        for (int j = 0; j < outputs; j++)
            for (int i = 0; i < depth; i++)
                weights[j * depth + i] = j % 3 == 0 ? weight : (sbyte)((i + j) % 2 == 0 ? weight : -weight);
        var inputs = new byte[4 * depth];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = (byte)(i / 4 + i % 4 * 64);
        Check(kernel, weights, inputs, 4, depth, outputs, threads: 1);
    }

    [Test]
    public void TheDecisionTakesVnniWhereTheCpuHasIt()
    {
        Assert.That(Int8Gemm.PathName(Isa.Scalar), Is.EqualTo("scalar"));
        foreach (Isa isa in IsaSelection.Supported.Where(i => i != Isa.Scalar))
        {
            string expected = isa == Isa.Neon ? (System.Runtime.Intrinsics.Arm.Dp.IsSupported ? "neon-sdot" : "neon-smull")
                : System.Runtime.Intrinsics.X86.AvxVnni.IsSupported ? "avx-vnni" : isa == Isa.Avx512 ? "avx512-maddubs" : "avx2-maddubs";
            Assert.That(Int8Gemm.PathName(isa), Is.EqualTo(expected), isa.ToString());
        }
        Assert.That(Int8Gemm.Prepare(new sbyte[6], 2, 3).Isa, Is.EqualTo(IsaSelection.Current));
    }

    [Test]
    public void BadArgumentsAreRefused()
    {
        var weights = new sbyte[30];
        weights[17] = sbyte.MinValue;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Int8Gemm.Prepare(weights, 3, 10))!;
        Assert.That(error.Message, Does.Contain("[1, 7] is -128"));
        Assert.Throws<ArgumentException>(() => Int8Gemm.Prepare(new sbyte[29], 3, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => Int8Gemm.Prepare(new sbyte[Int8Gemm.MaximumDepth + 1], 1, Int8Gemm.MaximumDepth + 1));
        Int8Gemm.PreparedWeights prepared = Int8Gemm.Prepare(new sbyte[30], 3, 10);
        Assert.Throws<ArgumentException>(() => Int8Gemm.Multiply(prepared, new byte[19], 2, new int[6], 1));
        Assert.Throws<ArgumentException>(() => Int8Gemm.Multiply(prepared, new byte[20], 2, new int[5], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Int8Gemm.Multiply(prepared, new byte[20], -1, new int[6], 1));
    }

    [Test]
    public void OneThreadAllocatesNothing()
    {
        var random = new Random(3);
        Int8Gemm.PreparedWeights prepared = Int8Gemm.Prepare(RandomWeights(random, 100 * 70), 100, 70);
        var inputs = new byte[70 * 5];
        var sums = new int[100 * 5];
        Int8Gemm.Multiply(prepared, inputs, 5, sums, 1);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Int8Gemm.Multiply(prepared, inputs, i % 5 + 1, sums, 1);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    /// <summary>Weights in -127..127 with the extremes and zero over-represented.</summary>
    internal static sbyte[] RandomWeights(Random random, int length)
    {
        var weights = new sbyte[length];
        for (int i = 0; i < length; i++)
            weights[i] = (sbyte)(random.Next(4) switch { 0 => 127, 1 => -127, 2 => 0, _ => random.Next(-127, 128) });
        return weights;
    }

    /// <summary>Runs the path named <paramref name="path"/> and compares every sum with the naive loop.</summary>
    private static int[] Check(string path, sbyte[] weights, byte[] inputs, int count, int depth, int outputs, int threads)
    {
        Int8Kernel kernel = Int8Gemm.SupportedKernels.Single(k => Int8Gemm.Name(k) == path);
        Isa isa = kernel == Int8Kernel.Scalar ? Isa.Scalar : IsaSelection.Best;
        Int8Gemm.PreparedWeights prepared = Int8Gemm.Prepare(weights, outputs, depth, isa, kernel);
        var sums = Enumerable.Repeat(int.MinValue, count * outputs + 2).ToArray();
        Int8Gemm.Multiply(prepared, inputs, count, sums, threads);
        for (int s = 0; s < count; s++)
            for (int j = 0; j < outputs; j++)
            {
                long expected = 0;
                for (int i = 0; i < depth; i++) expected += inputs[s * depth + i] * (long)weights[j * depth + i];
                if (sums[s * outputs + j] != expected)
                    Assert.Fail($"{Int8Gemm.Name(kernel)}: sample {s}, neuron {j}: {sums[s * outputs + j]}, expected {expected}");
            }
        Assert.That(sums[(count * outputs)..], Is.All.EqualTo(int.MinValue), "nothing written past C");
        return sums;
    }
}
