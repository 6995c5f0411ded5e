using System.Runtime.InteropServices;
using BoolNet.Core.Bits;
using BoolNet.Core.Operators;
using BoolNet.Inference.Serialization;

using BoolNet.Layers;

namespace BoolNet.Inference;

/// <summary>
/// Float dense layer, y = x W^T + b, with the training layer's exact float arithmetic
/// (<see cref="RealLinear"/>): x is the input times InputScale (bytes and reals) or e(x) = +-1 (bits);
/// z = x W^T is the float GEMM in the training layer's <see cref="FloatSumOrder"/> (recorded in the
/// file), then + b. Optional folded rule: y_j = [z_j &lt;= t_j] XOR f_j.
/// <code>  x [samples, K] -> z [samples, n] -> real y [samples, n] or bits [samples, n] </code>
/// In the chain order W is packed once (<see cref="FloatPanels"/>, 128-column groups read as sequential
/// streams) and samples go up to <see cref="InferenceModel.ChunkSize"/> at a time, so W streams once per
/// chunk of the inference model and register tiles reuse each load across 8 samples; the packed product
/// keeps each element's fma chain, so the bits equal the training layer's.
/// </summary>
public sealed class FloatDenseLayer : InferenceLayer
{
    private const int Block = InferenceModel.ChunkSize;
    private readonly FloatPanels? _panels; // W^T packed (the chain order's operand); Dot8 reads W as it is

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
        if (order == FloatSumOrder.Chain) _panels = FloatPanels.Pack(weights, transposeB: true, k, outputs);
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

    /// <summary>The order the training layer uses for <paramref name="outputs"/> outputs (<see cref="RealLinear.SumOrderFor"/>).</summary>
    public static FloatSumOrder TrainingOrder(int outputs) => RealLinear.SumOrderFor(outputs);

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
        int k = InputShape.Size, n = Outputs;
        // Chain: z = x [Block, K] times the packed W^T; Dot8: x times W [n, K]^T, as in training.
        // x [Block, K] then z [Block, n] in the scratch ints (reinterpreted as floats).
        int block = Math.Min(Block, count);
        Span<int> ints = scratch.Ints((long)block * (k + n));
        Span<float> x = MemoryMarshal.Cast<int, float>(ints[..(block * k)]);
        Span<float> z = MemoryMarshal.Cast<int, float>(ints.Slice(block * k, block * n));
        int outWords = BitMatrix.WordsFor(n), inWords = BitMatrix.WordsFor(k);
        Span<ulong> bitsOut = Rule is null ? default : output.RequireWords((long)count * outWords);
        Span<float> realOut = Rule is null ? output.RequireReal((long)count * n) : default;
        for (int s0 = 0; s0 < count; s0 += block)
        {
            int samples = Math.Min(block, count - s0);
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
                        BitPacking.UnpackSigns(input.Words.AsSpan(s * inWords, inWords), xs);
                        break;
                }
            }
            // One thread: the model already runs chunks of samples in parallel.
            if (_panels is not null) FloatGemm.Multiply(x, _panels, z, samples);
            else FloatGemm.Multiply(x, false, Weights, true, z, samples, n, k, FloatSumOrder.Dot8, threads: 1);
            for (int t = 0; t < samples; t++)
            {
                int s = s0 + t;
                Span<float> zs = z.Slice(t * n, n);
                if (Bias is not null) for (int j = 0; j < n; j++) zs[j] += Bias[j];
                if (Rule is not null) Rule.Pack(zs, bitsOut.Slice(s * outWords, outWords));
                else zs.CopyTo(realOut.Slice(s * n, n));
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
        FloatSumOrder order = record.GetText("order") switch
        {
            "chain" => FloatSumOrder.Chain,
            "dot8" => FloatSumOrder.Dot8,
            string other => throw record.Fault($"unknown summation order '{other}'"),
        };
        return new FloatDenseLayer(record.InputShape, weights, bias, n, (float)record.GetReal("input-scale"), rule, order) { Source = record.GetText("source", "") }.WithCommon<FloatDenseLayer>(record);
    }
}
