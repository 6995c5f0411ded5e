using BoolNet.Core.Operators;

namespace BoolNet.Layers;

/// <summary>
/// Max pooling over a real NHWC map, k x k windows with stride s (default k), no padding:
/// <code>  x: [N, H, W, C] -> y: [N, H_out, W_out, C], y = max over the window, H_out = (H - k) / s + 1 </code>
/// (PyTorch's MaxPool2d: a trailing remainder is dropped). Backward routes each output's gradient to
/// the first maximum of its window in scan order (ky, then kx). Computed by <see cref="FloatMaxPool"/>.
/// Between the float first convolution and its batch norm it shrinks the map the normalisation and
/// threshold process by k^2; the float comparison CNN pools after each convolution.
/// <para>
/// Two kind names are stored: <see cref="KindName"/> and <see cref="ComparisonKindName"/> (the
/// comparison CNN's former pool, stride = window). A layer keeps the name it was built or loaded
/// with, because checkpoints and weight hashes record it; both mean this layer.
/// </para>
/// </summary>
public sealed class RealMaxPool : ILayer
{
    /// <summary>The kind name of the layer.</summary>
    public const string KindName = "real-maxpool";

    /// <summary>The same layer as the float and integer comparison CNNs record it.</summary>
    public const string ComparisonKindName = "max-pool";

    private int[] _argmax = []; // flat input index of each output's maximum [N * H_out * W_out * C]
    private int _count;

    /// <summary>Creates a k x k pool with stride <paramref name="stride"/> (default k), stored as <paramref name="kind"/>.</summary>
    public RealMaxPool(TensorShape input, int kernel = 2, int? stride = null, string kind = KindName)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 1);
        if (kind is not (KindName or ComparisonKindName)) throw new ArgumentException($"a float max-pool is stored as {KindName} or {ComparisonKindName}, not {kind}", nameof(kind));
        Kernel = kernel;
        Stride = stride ?? kernel;
        ArgumentOutOfRangeException.ThrowIfLessThan(Stride, 1);
        if (kind == ComparisonKindName && Stride != kernel) throw new ArgumentException($"{ComparisonKindName} records a window only, so its stride is the window", nameof(stride));
        if (input.Height < kernel || input.Width < kernel) throw new ArgumentException($"pool window {kernel}x{kernel} does not fit {input}");
        Kind = kind;
        InputShape = input;
        OutputShape = new TensorShape(FloatMaxPool.OutputSize(input.Height, kernel, Stride), FloatMaxPool.OutputSize(input.Width, kernel, Stride), input.Channels);
    }

    /// <inheritdoc />
    public string Kind { get; }

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

    /// <summary>Stride s.</summary>
    public int Stride { get; }

    /// <summary>Channels C (pooled independently).</summary>
    public int Channels => InputShape.Channels;

    /// <summary>Forward: x [N, H, W, C] -> y [N, H_out, W_out, C], the maximum of each window per channel.</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        float[] x = input.RequireReal(Kind);
        if (input.Shape != InputShape) throw new ArgumentException($"{Kind} expects samples of {InputShape}, got {input.Shape}");
        int count = input.Count, length = count * OutputShape.Size;
        float[] y = context.Floats(length); // fully written
        if (_argmax.Length != length) _argmax = new int[length];
        _count = count;
        FloatMaxPool.Forward(x, count, InputShape.Height, InputShape.Width, Channels, Kernel, Stride, y, _argmax, context.Threads);
        return Batch.FromReal(y, count, OutputShape);
    }

    /// <summary>Backward of y = max(window): dL/dx [N, H, W, C] = dL/dy at each window's first maximum, 0 elsewhere.</summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        if (!context.NeedInputGradient) return null;
        float[] dx = context.Floats(_count * InputShape.Size); // fully written
        FloatMaxPool.Backward(outputGradient, _argmax, _count, OutputShape.Size, dx, InputShape.Size, context.Threads);
        return dx;
    }
}
