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

    /// <summary>Runs every layer forward.</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        Batch current = input;
        foreach (ILayer layer in Layers) current = layer.Forward(current, context);
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
                gradient = Layers[i].Backward(gradient, context);
            }
        }
        finally
        {
            context.NeedInputGradient = saved;
        }
    }
}
