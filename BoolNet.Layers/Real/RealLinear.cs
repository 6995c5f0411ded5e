using BoolNet.Core.Bits;
using BoolNet.Core.Operators;

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

    /// <summary>
    /// Heads with fewer outputs than this sum in <see cref="FloatSumOrder.Dot8"/> (the row dot products the
    /// float head has always used, kept so trained weights do not change); wider layers in
    /// <see cref="FloatSumOrder.Chain"/>. The folded inference layer uses the same order.
    /// </summary>
    public const int NarrowOutputs = 16;

    /// <summary>The summation order of the forward product for <paramref name="outputs"/> outputs.</summary>
    public static FloatSumOrder SumOrderFor(int outputs) => outputs < NarrowOutputs ? FloatSumOrder.Dot8 : FloatSumOrder.Chain;

    /// <summary>The summation order of this layer's forward product (<see cref="SumOrderFor"/>).</summary>
    public FloatSumOrder SumOrder => SumOrderFor(Outputs);

    /// <summary>Forward: x [N, in] (real times s, or bits as e(x) = +-1) -> y [N, out] = x W^T + b.</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        int count = input.Count, inputs = Inputs, outputs = Outputs;
        float[] x = context.Floats(count * inputs); // [N, in], fully written below
        if (input.Bits is { } bits)
        {
            if (bits.Columns != inputs || bits.Rows != count)
                throw new ArgumentException($"{Kind} reads bit batches as flat vectors of {inputs}; got {bits.Rows}x{bits.Columns}");
            BitPacking.UnpackSigns(bits, x);
        }
        else Elementwise.Scale(input.RequireReal(Kind), InputScale, x, count * inputs, context.Threads);
        float[] y = context.Floats(count * outputs); // [N, out], fully written by the product
        FloatGemm.Multiply(x, false, Weight.Value, true, y, count, outputs, inputs, SumOrder, threads: context.Threads); // [N, in] x [out, in]^T
        if (Bias is not null) RowBroadcast.AddToRows(y, Bias.Value, count, outputs, context.Threads);
        _input = context.Training ? x : null;
        return Batch.FromReal(y, count, OutputShape);
    }

    /// <summary>
    /// Backward of y = x W^T + b with z = dL/dy [N, out]: dW [out, in] = z^T x, db [out] = sum_k z[k, :],
    /// returns dx [N, in] = s z W (s = InputScale for real inputs).
    /// </summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        float[] x = _input ?? throw new InvalidOperationException($"{Kind}: Backward without a training Forward");
        int inputs = Inputs, outputs = Outputs, count = x.Length / inputs;
        FloatGemm.Multiply(outputGradient, true, x, false, Weight.Gradient, outputs, inputs, count, threads: context.Threads); // [N, out]^T x [N, in]
        if (Bias is not null) RowBroadcast.ColumnSums(outputGradient, count, outputs, Bias.Gradient, context.Threads);
        _input = null;
        if (!context.NeedInputGradient) return null;
        float[] dx = context.Floats(count * inputs); // [N, in], fully written by the product
        FloatGemm.Multiply(outputGradient, false, Weight.Value, false, dx, count, inputs, outputs, threads: context.Threads); // [N, out] x [out, in]
        if (InputScale != 1f) Elementwise.Scale(dx.AsSpan(0, count * inputs), InputScale);
        return dx;
    }
}
