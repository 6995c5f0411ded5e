using System.Reflection;
using BoolNet.Core.IO;

namespace BoolNet.Inference.Onnx;

/// <summary>
/// Writes a folded <see cref="InferenceModel"/> as a standard ONNX graph (opset <see cref="Opset"/>) that
/// stock ONNX Runtime's CPU provider runs with the same results: one input <see cref="InputName"/>, uint8
/// [N, C, H, W] (the raw image bytes, N dynamic), one output <see cref="OutputName"/>, float [N, classes],
/// equal to <see cref="InferenceModel.Predict(ReadOnlySpan{byte}, int, Span{float}, int)"/>'s scores bit for bit.
/// Integer layers become MatMulInteger / ConvInteger (bits as uint8 0 / 2 with zero point 1, i.e. -1 / +1),
/// Boolean weights are stored one bit each (<c>OnnxGraph.Bits</c>: packed bytes, unpacked by constant-only nodes),
/// folded thresholds become integer or float comparisons, the float first convolution of the discrete CNN
/// an exact double-precision replay of its fused multiply-add chain. Kinds with no exact form are refused
/// with an <see cref="OnnxExportException"/> naming the layer; the layer walk is in <c>OnnxModelWriter</c>.
/// </summary>
/// <example>
/// <code>
/// InferenceModel model = ModelCodec.Load("model.bnm");
/// OnnxExporter.Save("model.onnx", model);
/// </code>
/// </example>
public static class OnnxExporter
{
    /// <summary>Name of the graph input: uint8 [N, C, H, W].</summary>
    public const string InputName = "input";

    /// <summary>Name of the graph output: float [N, classes].</summary>
    public const string OutputName = "scores";

    /// <summary>The ONNX opset (default domain) of the exported graph: 13 (ONNX 1.8, IR version 7).</summary>
    public const int Opset = OnnxGraph.Opset;

    /// <summary>The layer kinds that can be exported (wrapped training kinds by their own names).</summary>
    public static IReadOnlyList<string> SupportedKinds { get; } =
    [
        Int8DenseLayer.KindName, BooleanDenseLayer.KindName, BooleanLogitsLayer.KindName, "integer-convolution (on the input bytes)",
        "boolean-conv2d", "real-maxpool", BatchNormLayer.KindName + " + " + ThresholdLayer.KindName + " (after a convolution)",
        "boolean-maxpool", "flatten",
    ];

    /// <summary>The ONNX model bytes of <paramref name="model"/>; throws <see cref="OnnxExportException"/> for a layer with no exact ONNX form.</summary>
    public static byte[] Export(InferenceModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        string version = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        return new OnnxModelWriter(model).Write(version);
    }

    /// <summary>Writes <see cref="Export"/>'s bytes to <paramref name="path"/> atomically (nothing is written when a layer is refused).</summary>
    public static void Save(string path, InferenceModel model) => AtomicFile.WriteAllBytes(path, Export(model));
}
