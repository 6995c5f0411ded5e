using BoolNet.Inference.Onnx;
using BoolNet.Layers;

namespace BoolNet.Bench.Peers;

/// <summary>
/// A float32 MLP as an ONNX graph, the float peer of <see cref="OnnxPeerBench"/>: uint8 input [N, C, H, W]
/// (as the exported BoolNet graph), scaled by 1/255, then MatMul + bias + ReLU per hidden layer and a
/// MatMul + bias head to "scores". Weights are random (He-scaled uniform): its speed does not depend on them.
/// </summary>
internal static class FloatMlp
{
    public static byte[] Build(TensorShape input, int[] hidden, int classes, int seed)
    {
        var random = new Random(seed);
        var graph = new OnnxGraph { Name = "float-mlp" };
        graph.Input(OnnxExporter.InputName, OnnxType.UInt8, [null, input.Channels, input.Height, input.Width]);
        string x = graph.Node("Cast", [OnnxExporter.InputName], [new("to", Integer: (int)OnnxType.Float)]);
        x = graph.Node("Reshape", [x, graph.Int64s("shape", 0, -1)]);
        x = graph.Node("Mul", [x, graph.Constant("scale", OnnxType.Float, [1], new[] { 1f / 255f })]);
        int width = input.Size;
        int[] sizes = [.. hidden, classes];
        for (int l = 0; l < sizes.Length; l++)
        {
            int outputs = sizes[l];
            float limit = MathF.Sqrt(6f / width);
            var weights = new float[width * outputs];
            for (int i = 0; i < weights.Length; i++) weights[i] = (float)(random.NextDouble() * 2 - 1) * limit;
            x = graph.Node("MatMul", [x, graph.Constant("weight", OnnxType.Float, [width, outputs], weights)]);
            bool last = l == sizes.Length - 1;
            x = graph.Node("Add", [x, graph.Constant("bias", OnnxType.Float, [outputs], new float[outputs])], output: last ? OnnxExporter.OutputName : null);
            if (!last) x = graph.Node("Relu", [x]);
            width = outputs;
        }
        graph.Output(OnnxExporter.OutputName, OnnxType.Float, [null, classes]);
        return graph.ToBytes("bench");
    }
}
