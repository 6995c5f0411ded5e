using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BoolNet.Core.Bits;
using BoolNet.Layers.Serialization;

namespace BoolNet.Layers.Inference;

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
    public FloatDenseLayer(TensorShape input, float[] weights, float[]? bias, int outputs, float inputScale, FloatThresholdRule? rule)
        : base(input, TensorShape.Vector(outputs))
    {
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
        Span<int> ints = scratch.Ints((long)k + padded);
        Span<float> x = System.Runtime.InteropServices.MemoryMarshal.Cast<int, float>(ints[..k]);
        Span<float> z = System.Runtime.InteropServices.MemoryMarshal.Cast<int, float>(ints.Slice(k, padded));
        int outWords = BitMatrix.WordsFor(n), inWords = BitMatrix.WordsFor(k);
        Span<ulong> bitsOut = Rule is null ? default : output.RequireWords((long)count * outWords);
        Span<float> realOut = Rule is null ? output.RequireReal((long)count * n) : default;
        for (int s = 0; s < count; s++)
        {
            switch (inputKind)
            {
                case ValueKind.Bytes:
                    for (int p = 0; p < k; p++) x[p] = input.Bytes[s * k + p] * InputScale;
                    break;
                case ValueKind.Real:
                    for (int p = 0; p < k; p++) x[p] = input.Real[s * k + p] * InputScale;
                    break;
                default:
                    BitPacking.UnpackSigns(input.Words.AsSpan(s * inWords, inWords), x);
                    break;
            }
            Chain(x, _transposed, padded, z);
            if (Bias is not null) for (int j = 0; j < n; j++) z[j] += Bias[j];
            if (Rule is not null) Rule.Pack(z[..n], bitsOut.Slice(s * outWords, outWords));
            else z[..n].CopyTo(realOut.Slice(s * n, n));
        }
    }

    /// <summary>z[j] = 0 + fma-chain_p(x[p], Wt[p, j]) for every padded column j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Chain(ReadOnlySpan<float> x, float[] transposed, int padded, Span<float> z)
    {
        int k = x.Length;
        ReadOnlySpan<float> w = transposed;
        for (int j = 0; j < padded; j += Lanes)
        {
            Vector512<float> accumulator = Vector512<float>.Zero;
            for (int p = 0; p < k; p++)
                accumulator = Vector512.FusedMultiplyAdd(Vector512.Create(x[p]), Vector512.Create(w.Slice(p * padded + j, Lanes)), accumulator);
            (Vector512<float>.Zero + accumulator).CopyTo(z.Slice(j, Lanes));
        }
    }

    /// <inheritdoc />
    public override LayerRecord ToRecord()
    {
        LayerRecord record = NewRecord().With("input-scale", (double)InputScale)
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
        return new FloatDenseLayer(record.InputShape, weights, bias, n, (float)record.GetReal("input-scale"), rule) { Source = record.GetText("source", "") }.WithCommon<FloatDenseLayer>(record);
    }
}
