using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BoolNet.Core.Bits;
using BoolNet.Layers.Serialization;

namespace BoolNet.Layers.Inference;

/// <summary>Summation order of a float dense layer (it must be the training GEMM's to give the same bits).</summary>
public enum FloatSumOrder
{
    /// <summary>One FMA chain per output over p = 0..K-1 (the column-blocked GEMM, outputs &gt;= 16).</summary>
    Chain,

    /// <summary>Eight FMA partial sums in lanes p % 8, added lane 0..7 from 0, then an FMA tail (FloatGemm.VectorDot, outputs &lt; 16).</summary>
    Dot8,
}

/// <summary>
/// Float dense layer, y = x W^T + b, with the training layer's exact float arithmetic: x is the
/// input times InputScale (bytes and reals) or e(x) = +-1 (bits); each output is one fused
/// multiply-add chain over p = 0..K-1 starting from 0 (the training GEMM's order, which keeps
/// one output per vector lane), then 0 + sum, then + b. Vector lanes are independent, so any
/// column blocking gives the same bits. Optional folded rule: y_j = [z_j &lt;= t_j] XOR f_j.
/// Exactness assumes the training machine fused its multiply-adds (FMA, x86-64-v3 and later).
/// </summary>
public sealed class FloatDenseLayer : InferenceLayer
{
    private const int Lanes = 16;
    private readonly float[] _transposed; // W^T [K, paddedN], zero padded

    /// <summary>Creates the layer.</summary>
    public FloatDenseLayer(TensorShape input, float[] weights, float[]? bias, int outputs, float inputScale, FloatThresholdRule? rule,
        FloatSumOrder order = FloatSumOrder.Chain)
        : base(input, TensorShape.Vector(outputs))
    {
        Order = order;
        int k = input.Size;
        if (weights.Length != (long)k * outputs) throw new ArgumentException($"weights hold {weights.Length} values, need {(long)k * outputs}");
        if (bias is not null && bias.Length != outputs) throw new ArgumentException("bias length differs from the outputs");
        if (rule is not null && rule.Count != outputs) throw new ArgumentException("rule size differs from the outputs");
        Weights = weights;
        Bias = bias;
        InputScale = inputScale;
        Rule = rule;
        PaddedOutputs = (outputs + Lanes - 1) / Lanes * Lanes;
        _transposed = new float[(long)k * PaddedOutputs];
        for (int j = 0; j < outputs; j++)
            for (int p = 0; p < k; p++) _transposed[(long)p * PaddedOutputs + j] = weights[(long)j * k + p];
    }

    /// <summary>The file kind.</summary>
    public const string KindName = "float-dense";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>W [n, K] row-major.</summary>
    public float[] Weights { get; }

    /// <summary>b [n] or null.</summary>
    public float[]? Bias { get; }

    /// <summary>Factor on byte and real inputs.</summary>
    public float InputScale { get; }

    /// <summary>Folded rule (bits output) or null (real output).</summary>
    public FloatThresholdRule? Rule { get; }

    /// <summary>The summation order (recorded in the file as "order").</summary>
    public FloatSumOrder Order { get; }

    /// <summary>The order the training GEMM (FloatGemm.MultiplyTransposedB) uses for <paramref name="outputs"/> outputs.</summary>
    public static FloatSumOrder TrainingOrder(int outputs) => outputs < Numerics.FloatGemm.NarrowOutputs ? FloatSumOrder.Dot8 : FloatSumOrder.Chain;

    /// <summary>Outputs rounded up to whole vectors.</summary>
    public int PaddedOutputs { get; }

    private int Outputs => OutputShape.Channels;

    /// <inheritdoc />
    public override bool Accepts(ValueKind kind) => true;

    /// <inheritdoc />
    public override ValueKind Output => Rule is null ? ValueKind.Real : ValueKind.Bits;

    /// <inheritdoc />
    public override LayerCost Cost => MakeCost(Rule is null ? 0 : Outputs, 0, Weights.Length + (Bias?.Length ?? 0) + (Rule is null ? 0 : Outputs), 0, 0, Weights.Length);

    /// <inheritdoc />
    public override void Forward(Activations input, ValueKind inputKind, Activations output, int count, Scratch scratch)
    {
        int k = InputShape.Size, n = Outputs, padded = PaddedOutputs;
        // x [Block, K] then z [Block, padded] in the scratch ints (reinterpreted as floats).
        Span<int> ints = scratch.Ints((long)Block * (k + padded));
        Span<float> x = MemoryMarshal.Cast<int, float>(ints[..(Block * k)]);
        Span<float> z = MemoryMarshal.Cast<int, float>(ints.Slice(Block * k, Block * padded));
        int outWords = BitMatrix.WordsFor(n), inWords = BitMatrix.WordsFor(k);
        Span<ulong> bitsOut = Rule is null ? default : output.RequireWords((long)count * outWords);
        Span<float> realOut = Rule is null ? output.RequireReal((long)count * n) : default;
        for (int s0 = 0; s0 < count; s0 += Block)
        {
            int samples = Math.Min(Block, count - s0);
            for (int t = 0; t < samples; t++)
            {
                int s = s0 + t;
                Span<float> xs = x.Slice(t * k, k);
                switch (inputKind)
                {
                    case ValueKind.Bytes:
                        for (int p = 0; p < k; p++) xs[p] = input.Bytes[s * k + p] * InputScale;
                        break;
                    case ValueKind.Real:
                        for (int p = 0; p < k; p++) xs[p] = input.Real[s * k + p] * InputScale;
                        break;
                    default:
                        UnpackSigns(input.Words.AsSpan(s * inWords, inWords), xs);
                        break;
                }
            }
            if (Order == FloatSumOrder.Dot8)
                for (int t = 0; t < samples; t++)
                    for (int j = 0; j < n; j++) z[t * padded + j] = Dot8(x.Slice(t * k, k), Weights.AsSpan(j * k, k));
            else if (samples == Block) ChainFour(x, k, _transposed, padded, z);
            else for (int t = 0; t < samples; t++) Chain(x.Slice(t * k, k), _transposed, padded, z.Slice(t * padded, padded));
            for (int t = 0; t < samples; t++)
            {
                int s = s0 + t;
                Span<float> zs = z.Slice(t * padded, n);
                if (Bias is not null) for (int j = 0; j < n; j++) zs[j] += Bias[j];
                if (Rule is not null) Rule.Pack(zs, bitsOut.Slice(s * outWords, outWords));
                else zs.CopyTo(realOut.Slice(s * n, n));
            }
        }
    }

    private const int Block = 4;

    /// <summary>FloatGemm.VectorDot's arithmetic: 8 FMA lanes, lanes summed 0..7 from 0, FMA tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot8(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var sum = Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= x.Length; i += 8)
            sum = System.Runtime.Intrinsics.X86.Fma.IsSupported
                ? System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(Vector256.Create(x.Slice(i, 8)), Vector256.Create(y.Slice(i, 8)), sum)
                : Vector256.Create(x.Slice(i, 8)) * Vector256.Create(y.Slice(i, 8)) + sum;
        float total = 0f;
        for (int lane = 0; lane < 8; lane++) total += sum[lane];
        for (; i < x.Length; i++) total = MathF.FusedMultiplyAdd(x[i], y[i], total);
        return total;
    }

    /// <summary>e(x) = +-1 floats from packed bits, 16 at a time: broadcast 16 bits, test one per lane, select.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UnpackSigns(ReadOnlySpan<ulong> words, Span<float> destination)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<int> lanes = Vector512.Create(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768);
            Vector512<float> plus = Vector512.Create(1f), minus = Vector512.Create(-1f);
            for (; i + 16 <= destination.Length; i += 16)
            {
                int bits = (int)((words[i >> 6] >> (i & 63)) & 0xFFFF);
                Vector512<int> set = Vector512.Equals(Vector512.Create(bits) & lanes, lanes);
                Vector512.ConditionalSelect(set.AsSingle(), plus, minus).CopyTo(destination.Slice(i, 16));
            }
        }
        for (; i < destination.Length; i++) destination[i] = ((words[i >> 6] >> (i & 63)) & 1) != 0 ? 1f : -1f;
    }

    /// <summary>z[j] = 0 + fma-chain_p(x[p], Wt[p, j]) for every padded column j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Chain(ReadOnlySpan<float> x, float[] transposed, int padded, Span<float> z)
    {
        int k = x.Length;
        fixed (float* w = transposed)
        fixed (float* xp = x)
        fixed (float* zp = z)
            for (int j = 0; j < padded; j += Lanes)
            {
                Vector512<float> accumulator = Vector512<float>.Zero;
                float* column = w + j;
                for (int p = 0; p < k; p++, column += padded)
                    accumulator = Vector512.FusedMultiplyAdd(Vector512.Create(xp[p]), Vector512.Load(column), accumulator);
                (Vector512<float>.Zero + accumulator).Store(zp + j);
            }
    }

    /// <summary>
    /// <see cref="Chain"/> for four samples at once: four independent FMA chains hide the FMA latency
    /// (one chain is latency-bound) and share each weight load. Each sample's chain is unchanged.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ChainFour(ReadOnlySpan<float> x, int k, float[] transposed, int padded, Span<float> z)
    {
        fixed (float* w = transposed)
        fixed (float* xp = x)
        fixed (float* zp = z)
        {
            float* x0 = xp, x1 = xp + k, x2 = xp + 2 * k, x3 = xp + 3 * k;
            for (int j = 0; j < padded; j += Lanes)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                float* column = w + j;
                for (int p = 0; p < k; p++, column += padded)
                {
                    Vector512<float> weight = Vector512.Load(column);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Create(x0[p]), weight, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Create(x1[p]), weight, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Create(x2[p]), weight, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Create(x3[p]), weight, a3);
                }
                (Vector512<float>.Zero + a0).Store(zp + j);
                (Vector512<float>.Zero + a1).Store(zp + padded + j);
                (Vector512<float>.Zero + a2).Store(zp + 2 * padded + j);
                (Vector512<float>.Zero + a3).Store(zp + 3 * padded + j);
            }
        }
    }

    /// <inheritdoc />
    public override LayerRecord ToRecord()
    {
        LayerRecord record = NewRecord().With("input-scale", (double)InputScale).With("order", Order == FloatSumOrder.Dot8 ? "dot8" : "chain")
            .With(new TensorRecord("weight", TensorType.Float32, [Outputs, InputShape.Size], Weights));
        if (Bias is not null) record.With(new TensorRecord("bias", TensorType.Float32, [Outputs], Bias));
        Rule?.AddTo(record);
        return record;
    }

    /// <summary>Reads the layer from its record.</summary>
    public static FloatDenseLayer FromRecord(LayerRecord record)
    {
        if (!record.OutputShape.IsVector) throw record.Fault("output must be a flat vector");
        int k = record.InputShape.Size, n = record.OutputShape.Channels;
        float[] weights = record.GetFloats("weight", n, k);
        float[]? bias = record.HasTensor("bias") ? record.GetFloats("bias", n) : null;
        FloatThresholdRule? rule = record.HasTensor("threshold") ? FloatThresholdRule.From(record, n) : null;
        FloatSumOrder order = record.GetText("order", "chain") switch
        {
            "chain" => FloatSumOrder.Chain,
            "dot8" => FloatSumOrder.Dot8,
            string other => throw record.Fault($"unknown summation order '{other}'"),
        };
        return new FloatDenseLayer(record.InputShape, weights, bias, n, (float)record.GetReal("input-scale"), rule, order) { Source = record.GetText("source", "") }.WithCommon<FloatDenseLayer>(record);
    }
}
