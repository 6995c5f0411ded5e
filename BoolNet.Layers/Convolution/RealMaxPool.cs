namespace BoolNet.Layers;

/// <summary>
/// Max pooling over a real NHWC map, k x k windows with stride s (default k), no padding:
/// <code>  u: [N * H * W * C] -> y: [N * H_out * W_out * C], y = max over the window </code>
/// Placed between the float first convolution and its batch norm it shrinks the map the
/// normalisation and threshold process by k^2. Backward routes the gradient to the first maximum
/// in scan order (ky, then kx).
/// </summary>
public sealed class RealMaxPool : ILayer
{
    private int[]? _argmax; // input index of each output's maximum, cached by a training Forward

    /// <summary>Creates a k x k pool with stride <paramref name="stride"/> (default k).</summary>
    public RealMaxPool(TensorShape input, int kernel = 2, int? stride = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 1);
        Kernel = kernel;
        Stride = stride ?? kernel;
        ArgumentOutOfRangeException.ThrowIfLessThan(Stride, 1);
        if (input.Height < kernel || input.Width < kernel) throw new ArgumentException($"pool window {kernel}x{kernel} does not fit {input}");
        InputShape = input;
        OutputShape = new TensorShape((input.Height - kernel) / Stride + 1, (input.Width - kernel) / Stride + 1, input.Channels);
    }

    /// <inheritdoc />
    public string Kind => "real-maxpool";

    /// <inheritdoc />
    public TensorShape InputShape { get; }

    /// <inheritdoc />
    public TensorShape OutputShape { get; }

    /// <inheritdoc />
    public bool OutputIsBits => false;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; } = [];

    /// <summary>Window size k.</summary>
    public int Kernel { get; }

    /// <summary>Stride.</summary>
    public int Stride { get; }

    /// <summary>Forward: y = max over each window, per channel.</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        float[] u = input.RequireReal(Kind);
        if (input.Shape != InputShape) throw new ArgumentException($"{Kind} expects samples of {InputShape}, got {input.Shape}");
        int count = input.Count, channels = InputShape.Channels;
        var y = new float[count * OutputShape.Size];
        var argmax = new int[y.Length];
        for (int n = 0; n < count; n++)
            for (int oy = 0; oy < OutputShape.Height; oy++)
                for (int ox = 0; ox < OutputShape.Width; ox++)
                {
                    int target = ((n * OutputShape.Height + oy) * OutputShape.Width + ox) * channels;
                    for (int ky = 0; ky < Kernel; ky++)
                        for (int kx = 0; kx < Kernel; kx++)
                        {
                            int source = ((n * InputShape.Height + oy * Stride + ky) * InputShape.Width + ox * Stride + kx) * channels;
                            bool first = ky == 0 && kx == 0;
                            for (int c = 0; c < channels; c++)
                                if (first || u[source + c] > y[target + c])
                                {
                                    y[target + c] = u[source + c];
                                    argmax[target + c] = source + c;
                                }
                        }
                }
        _argmax = context.Training ? argmax : null;
        return Batch.FromReal(y, count, OutputShape);
    }

    /// <summary>Backward of y = max(window): dL/du[argmax] += dL/dy, zero elsewhere.</summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        int[] argmax = _argmax ?? throw new InvalidOperationException($"{Kind}: Backward without a training Forward");
        _argmax = null;
        if (!context.NeedInputGradient) return null;
        int count = argmax.Length / OutputShape.Size;
        var g = new float[count * InputShape.Size];
        for (int i = 0; i < argmax.Length; i++) g[argmax[i]] += outputGradient[i];
        return g;
    }
}
