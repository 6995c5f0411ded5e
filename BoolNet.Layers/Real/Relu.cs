namespace BoolNet.Layers;

/// <summary>Rectified linear unit on real values: y = max(0, x), any shape.</summary>
public sealed class Relu : ILayer
{
    private float[] _output = [];
    private float[] _inputGradient = [];
    private int _count;

    /// <summary>Creates the layer for samples of <paramref name="shape"/>.</summary>
    public Relu(TensorShape shape) => InputShape = shape;

    /// <inheritdoc />
    public string Kind => "relu";

    /// <inheritdoc />
    public TensorShape InputShape { get; }

    /// <inheritdoc />
    public TensorShape OutputShape => InputShape;

    /// <inheritdoc />
    public bool OutputIsBits => false;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters => [];

    /// <summary>y = max(0, x).</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        float[] x = input.RequireReal(Kind);
        int length = input.Count * InputShape.Size;
        _count = input.Count;
        LayerBuffers.Resize(ref _output, length);
        for (int i = 0; i < length; i++) _output[i] = Math.Max(0f, x[i]);
        return Batch.FromReal(_output, input.Count, InputShape);
    }

    /// <summary>Differentiates <see cref="Forward"/>: dx = dy where y &gt; 0, else 0.</summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        if (!context.NeedInputGradient) return null;
        int length = _count * InputShape.Size;
        LayerBuffers.Resize(ref _inputGradient, length);
        for (int i = 0; i < length; i++) _inputGradient[i] = _output[i] > 0f ? outputGradient[i] : 0f;
        return _inputGradient;
    }
}
