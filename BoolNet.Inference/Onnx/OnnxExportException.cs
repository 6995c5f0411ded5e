namespace BoolNet.Inference.Onnx;

/// <summary>
/// A model that <see cref="OnnxExporter"/> cannot write as an exact ONNX graph: a layer kind with no
/// ONNX form yet, or a layer whose arithmetic the graph could not reproduce bit for bit. Nothing is
/// written; the message names the layer.
/// </summary>
public sealed class OnnxExportException : InvalidOperationException
{
    /// <summary>Creates the exception for layer <paramref name="layerIndex"/> of kind <paramref name="layerKind"/>.</summary>
    public OnnxExportException(int layerIndex, string layerKind, string reason)
        : base($"layer {layerIndex} ({layerKind}) cannot be exported to ONNX: {reason}")
    {
        LayerIndex = layerIndex;
        LayerKind = layerKind;
    }

    /// <summary>Index of the refused layer in <see cref="InferenceModel.Layers"/>.</summary>
    public int LayerIndex { get; }

    /// <summary>The refused layer's kind name (as in the model file).</summary>
    public string LayerKind { get; }
}
