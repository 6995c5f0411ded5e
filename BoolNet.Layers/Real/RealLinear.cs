using System.Runtime.Intrinsics;
using BoolNet.Core.Bits;
using BoolNet.Core.Kernels;
using BoolNet.Core.Real;
using BoolNet.Layers.Numerics;

namespace BoolNet.Layers;

/// <summary>
/// Float dense layer y = x W^T + b, W [out, in] row-major. Accepts a real batch of any shape
/// (flattened per sample, multiplied by <see cref="InputScale"/>, e.g. 1/255 for raw pixels) or
/// a bit batch read as e(x) = +-1 (a float classifier head on Boolean features).
/// Initialisation as PyTorch's default: U(-1/sqrt(in), 1/sqrt(in)) for W and b.
/// </summary>
public sealed class RealLinear : ILayer
{
    private float[]? _input; // x [N, in] as used in the product

    /// <summary>Creates the layer.</summary>
    public RealLinear(TensorShape input, int outputs, Random random, bool bias = true, float inputScale = 1f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        InputShape = input;
        OutputShape = TensorShape.Vector(outputs);
        InputScale = inputScale;
        int inputs = input.Size;
        Weight = new RealParameter("weight", outputs * inputs);
        float bound = 1f / MathF.Sqrt(inputs);
        for (int i = 0; i < Weight.Value.Length; i++) Weight.Value[i] = (float)(random.NextDouble() * 2 - 1) * bound;
        if (bias)
        {
            Bias = new RealParameter("bias", outputs);
            for (int i = 0; i < outputs; i++) Bias.Value[i] = (float)(random.NextDouble() * 2 - 1) * bound;
        }
        Parameters = Bias is null ? [Weight] : [Weight, Bias];
    }

    /// <inheritdoc />
    public string Kind => "real-linear";

    /// <inheritdoc />
    public TensorShape InputShape { get; }

    /// <inheritdoc />
    public TensorShape OutputShape { get; }

    /// <inheritdoc />
    public bool OutputIsBits => false;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>W [out, in].</summary>
    public RealParameter Weight { get; }

    /// <summary>b [out], or null.</summary>
    public RealParameter? Bias { get; }

    /// <summary>Factor applied to real inputs.</summary>
    public float InputScale { get; }

    /// <summary>Number of inputs.</summary>
    public int Inputs => InputShape.Size;

    /// <summary>Number of outputs.</summary>
    public int Outputs => OutputShape.Channels;

    /// <summary>Forward: x [N, in] (real or bits) -> y [N, out] = x W^T + b.</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        int count = input.Count, inputs = Inputs, outputs = Outputs;
        float[] x;
        if (input.Bits is { } bits)
        {
            if (bits.Columns != inputs || bits.Rows != count)
                throw new ArgumentException($"{Kind} reads bit batches as flat vectors of {inputs}; got {bits.Rows}x{bits.Columns}");
            x = context.Floats(count * inputs);
            BitPacking.UnpackSigns(bits, x);
        }
        else
        {
            float[] real = input.RequireReal(Kind);
            x = context.Floats(count * inputs);
            float[] scaled = x;
            float scale = InputScale;
            Threading.For(count * inputs, context.Threads, (start, end) =>
            {
                int i = start;
                for (; i + 8 <= end; i += 8) (Vector256.Create(real.AsSpan(i, 8)) * scale).CopyTo(scaled.AsSpan(i, 8));
                for (; i < end; i++) scaled[i] = real[i] * scale;
            }, alignment: 8, work: count * inputs);
        }
        float[] y = context.Floats(count * outputs); // both products below write every element
        // Narrow outputs (a classifier head) keep FloatGemm's row dot products, the order the
        // inference layer reproduces for them (FloatSumOrder.Dot8); wide ones run on the blocked
        // AVX-512 GEMM, one FMA chain per output (FloatSumOrder.Chain), as before.
        if (outputs < FloatGemm.NarrowOutputs)
            FloatGemm.MultiplyTransposedB(x, Weight.Value, y, count, inputs, outputs, context.Threads);
        else
            RealGemm.Multiply(x, false, Weight.Value, true, y, count, outputs, inputs, threads: context.Threads); // [N, in] x [out, in]^T
        if (Bias is not null) RowBroadcast.AddToRows(y, Bias.Value, count, outputs, context.Threads);
        _input = context.Training ? x : null;
        return Batch.FromReal(y, count, OutputShape);
    }

    /// <summary>
    /// Backward of y = x W^T + b with z = dL/dy [N, out]: dW = z^T x [out, in], db = sum_k z,
    /// returns dx = z W [N, in] (times InputScale for real inputs).
    /// </summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        float[] x = _input ?? throw new InvalidOperationException($"{Kind}: Backward without a training Forward");
        int inputs = Inputs, outputs = Outputs, count = x.Length / inputs;
        RealGemm.Multiply(outputGradient, true, x, false, Weight.Gradient, outputs, inputs, count, threads: context.Threads); // [N, out]^T x [N, in]
        if (Bias is not null) RowBroadcast.ColumnSums(outputGradient, count, outputs, Bias.Gradient, context.Threads);
        _input = null;
        if (!context.NeedInputGradient) return null;
        float[] dx = context.Floats(count * inputs); // the product writes every element
        RealGemm.Multiply(outputGradient, false, Weight.Value, false, dx, count, inputs, outputs, threads: context.Threads); // [N, out] x [out, in]
        if (InputScale != 1f) for (int i = 0; i < count * inputs; i++) dx[i] *= InputScale;
        return dx;
    }
}
