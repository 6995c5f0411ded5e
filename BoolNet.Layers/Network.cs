namespace BoolNet.Layers;

/// <summary>A sequential stack of layers, each built for the previous one's output shape.</summary>
public sealed class Network
{
    /// <summary>Creates a network from layers whose shapes chain.</summary>
    public Network(IReadOnlyList<ILayer> layers)
    {
        if (layers.Count == 0) throw new ArgumentException("a network needs at least one layer", nameof(layers));
        for (int i = 1; i < layers.Count; i++)
            if (layers[i].InputShape != layers[i - 1].OutputShape)
                throw new ArgumentException($"layer {i} ({layers[i].Kind}) expects {layers[i].InputShape} but layer {i - 1} ({layers[i - 1].Kind}) gives {layers[i - 1].OutputShape}");
        Layers = layers;
    }

    /// <summary>The layers, input first.</summary>
    public IReadOnlyList<ILayer> Layers { get; }

    /// <summary>Shape of one input sample.</summary>
    public TensorShape InputShape => Layers[0].InputShape;

    /// <summary>Shape of one output sample.</summary>
    public TensorShape OutputShape => Layers[^1].OutputShape;

    /// <summary>Every trainable parameter with the index of its layer.</summary>
    public IEnumerable<(int Layer, Parameter Parameter)> Parameters =>
        Layers.SelectMany((layer, index) => layer.Parameters.Select(p => (index, p)));

    /// <summary>Seconds spent in each layer's Forward since the last <see cref="ResetTimings"/>.</summary>
    public double[] ForwardSeconds => _forwardTicks.Select(t => t / (double)System.Diagnostics.Stopwatch.Frequency).ToArray();

    /// <summary>Seconds spent in each layer's Backward since the last <see cref="ResetTimings"/>.</summary>
    public double[] BackwardSeconds => _backwardTicks.Select(t => t / (double)System.Diagnostics.Stopwatch.Frequency).ToArray();

    /// <summary>Zeros the per-layer timings.</summary>
    public void ResetTimings()
    {
        Array.Clear(_forwardTicks);
        Array.Clear(_backwardTicks);
    }

    private long[] _forwardTicks = [];
    private long[] _backwardTicks = [];

    /// <summary>Runs every layer forward.</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        if (_forwardTicks.Length != Layers.Count) (_forwardTicks, _backwardTicks) = (new long[Layers.Count], new long[Layers.Count]);
        Batch current = input;
        for (int i = 0; i < Layers.Count; i++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            current = Layers[i].Forward(current, context);
            _forwardTicks[i] += System.Diagnostics.Stopwatch.GetTimestamp() - start;
        }
        return current;
    }

    /// <summary>
    /// Runs every layer backward from dL/d(output); the first layer is not asked for its input gradient.
    /// </summary>
    public void Backward(float[] outputGradient, LayerContext context)
    {
        float[]? gradient = outputGradient;
        bool saved = context.NeedInputGradient;
        try
        {
            for (int i = Layers.Count - 1; i >= 0 && gradient is not null; i--)
            {
                context.NeedInputGradient = i > 0;
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                gradient = Layers[i].Backward(gradient, context);
                if (_backwardTicks.Length == Layers.Count) _backwardTicks[i] += System.Diagnostics.Stopwatch.GetTimestamp() - start;
            }
        }
        finally
        {
            context.NeedInputGradient = saved;
        }
    }
}
