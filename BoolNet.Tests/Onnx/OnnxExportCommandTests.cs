using BoolNet.Inference;
using BoolNet.Inference.Serialization;
using BoolNet.Tests.IO;

namespace BoolNet.Tests.Onnx;

/// <summary>
/// <c>boolnet export RUN --format onnx</c> on real (tiny) Fashion-MNIST runs: the default model's graph gives
/// ONNX Runtime the scores of the .bnm export; a float first layer exits 1 and writes nothing.
/// </summary>
public sealed class OnnxExportCommandTests
{
    private static int Boolnet(params string[] args) => BoolNet.Cli.Program.Main(args);

    private static string Train(string folder, string model)
    {
        string run = Path.Combine(folder, model);
        int code = Boolnet("train", "--model", model, "--epochs", "1", "--train-limit", "200", "--test-limit", "50", "--threads", "1", "--out", run);
        Assert.That(code, Is.Zero, $"train {model}");
        return run;
    }

    [Test]
    public void DefaultModelExportsToOnnxWithTheScoresOfItsModelFile()
    {
        using var folder = new TemporaryFolder();
        string run = Train(folder.Path, "bold-mlp-int8"), onnx = Path.Combine(folder.Path, "model.onnx"), bnm = Path.Combine(folder.Path, "model.bnm");
        Assert.That(Boolnet("export", run, "--format", "onnx", "-o", onnx), Is.Zero);
        Assert.That(Boolnet("export", run, "-o", bnm), Is.Zero);
        InferenceModel model = ModelCodec.Load(bnm);
        OnnxExportTests.CompareWithOnnxRuntime(model, File.ReadAllBytes(onnx), count: 100, seed: 11);
    }

    [Test]
    public void FloatFirstLayerExitsWithOneAndWritesNothing()
    {
        using var folder = new TemporaryFolder();
        string run = Train(folder.Path, "bold-mlp"), onnx = Path.Combine(folder.Path, "model.onnx");
        Assert.That(Boolnet("export", run, "--format", "onnx", "-o", onnx), Is.EqualTo(1));
        Assert.That(File.Exists(onnx), Is.False);
    }
}
