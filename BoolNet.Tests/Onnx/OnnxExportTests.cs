using BoolNet.Core.Convolution;
using BoolNet.Core.Operators;
using BoolNet.Inference;
using BoolNet.Inference.Onnx;
using BoolNet.Layers;
using BoolNet.Tests.Deploy;
using BoolNet.Tests.IO;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace BoolNet.Tests.Onnx;

/// <summary>
/// The ONNX export (issue 18) run by stock ONNX Runtime: folded discrete MLPs and Boolean CNNs with
/// calibrated batch norms (some scales zero, some negative: constant and flipped neurons), on random
/// images; every score ONNX Runtime gives equals BoolNet's bit for bit, so every label does too. Layers
/// with no exact ONNX form are refused with a typed error naming the layer, and nothing is written.
/// </summary>
[Category("Isa")]
public sealed class OnnxExportTests
{
    public static IEnumerable<TestCaseData> Mlps()
    {
        yield return new TestCaseData(1, new TensorShape(28, 28, 1), 64, 100, false, 0).SetName("MlpFashionShape");
        yield return new TestCaseData(2, new TensorShape(5, 7, 3), 70, 65, true, 0).SetName("MlpRgbOddWidthsHeadBias");
        yield return new TestCaseData(3, new TensorShape(6, 6, 1), 40, 33, true, 20).SetName("MlpIntegerHiddenOnBits");
    }

    [TestCaseSource(nameof(Mlps))]
    public void DiscreteMlpOnnxRuntimeScoresEqualBoolNets(int seed, TensorShape image, int first, int hidden, bool headBias, int integerHidden)
    {
        Network network = Int8FoldingTests.DiscreteNetwork(seed, image, first, hidden, headBias, integerHidden);
        InferenceModel model = NetworkFolder.Fold(network);
        Assert.That(model.Layers.Select(l => l.Kind), Does.Contain(Int8DenseLayer.KindName));
        CompareWithOnnxRuntime(model, count: 150, seed);
    }

    public static IEnumerable<TestCaseData> Cnns()
    {
        yield return new TestCaseData(4, new TensorShape(12, 12, 1), PaddingMode.Exclude, BinaryLogic.Xnor, 1).SetName("CnnExcludeXnor");
        yield return new TestCaseData(5, new TensorShape(9, 11, 3), PaddingMode.False, BinaryLogic.Xor, 2).SetName("CnnRgbFalseXorStride2");
        yield return new TestCaseData(6, new TensorShape(10, 10, 2), PaddingMode.True, BinaryLogic.Xnor, 1).SetName("CnnTrueIntegerBias");
    }

    [TestCaseSource(nameof(Cnns))]
    public void BooleanCnnOnnxRuntimeScoresEqualBoolNets(int seed, TensorShape image, PaddingMode padding, BinaryLogic logic, int stride)
    {
        InferenceModel model = NetworkFolder.Fold(Cnn(seed, image, padding, logic, stride));
        Assert.That(model.Layers.Select(l => l.Kind), Does.Contain("boolean-conv2d").And.Contain("integer-convolution"));
        CompareWithOnnxRuntime(model, count: 70, seed);
    }

    [Test]
    public void GraphHasOneUint8InputAndFloatScoresWithDynamicBatch()
    {
        InferenceModel model = NetworkFolder.Fold(Int8FoldingTests.DiscreteNetwork(7, new TensorShape(4, 5, 2), 16, 20, false));
        using var session = new InferenceSession(OnnxExporter.Export(model));
        NodeMetadata input = session.InputMetadata[OnnxExporter.InputName], output = session.OutputMetadata[OnnxExporter.OutputName];
        Assert.Multiple(() =>
        {
            Assert.That(session.InputMetadata, Has.Count.EqualTo(1));
            Assert.That(session.OutputMetadata, Has.Count.EqualTo(1));
            Assert.That(input.ElementType, Is.EqualTo(typeof(byte)));
            Assert.That(input.Dimensions, Is.EqualTo(new[] { -1, 2, 4, 5 }));
            Assert.That(output.ElementType, Is.EqualTo(typeof(float)));
            Assert.That(output.Dimensions, Is.EqualTo(new[] { -1, 10 }));
        });
    }

    [Test]
    public void FloatFirstLayerIsRefusedNamingTheLayerAndNothingIsWritten()
    {
        var random = new Random(8);
        TensorShape image = new(4, 4, 1);
        var network = new Network([new RealLinear(image, 12, random), new BatchNorm(TensorShape.Vector(12)), new ThresholdActivation(TensorShape.Vector(12)),
            new BooleanLinear(12, 10, random, outputScale: 0.5f)]);
        InferenceModel model = NetworkFolder.Fold(network);
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, "model.onnx");
        var error = Assert.Throws<OnnxExportException>(() => OnnxExporter.Save(path, model))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.LayerIndex, Is.EqualTo(0));
            Assert.That(error.LayerKind, Is.EqualTo(model.Layers[0].Kind));
            Assert.That(error.Message, Does.Contain("layer 0 (" + model.Layers[0].Kind + ")"));
            Assert.That(File.Exists(path), Is.False);
        });
    }

    [Test]
    public void RealOutputWithoutThresholdIsRefusedNamingTheConvolution()
    {
        var random = new Random(9);
        TensorShape image = new(6, 6, 1);
        var convolution = new IntegerConvolution(image, 4, 3, random, 20, padding: 1, bias: false, inputScale: 1f / 255f, range: IntegerRange.Int8);
        var network = new Network([convolution, new Flatten(convolution.OutputShape, bits: false),
            new IntegerLinear(TensorShape.Vector(convolution.OutputShape.Size), 10, random, 20, bias: false, range: IntegerRange.Int8)]);
        InferenceModel model = NetworkFolder.Fold(network);
        var error = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(model))!;
        Assert.That(error.LayerKind, Is.EqualTo("integer-convolution"));
    }

    /// <summary>Runs the model through BoolNet and through ONNX Runtime and asserts equal scores (and so labels).</summary>
    internal static void CompareWithOnnxRuntime(InferenceModel model, int count, int seed) =>
        CompareWithOnnxRuntime(model, OnnxExporter.Export(model), count, seed);

    /// <summary>As above for a graph exported already.</summary>
    internal static void CompareWithOnnxRuntime(InferenceModel model, byte[] onnx, int count, int seed)
    {
        TensorShape image = model.InputShape;
        byte[] pixels = FoldingTests.RandomImages(count, seed + 500, image.Size); // NHWC, BoolNet's order
        var expected = new float[count * model.ClassCount];
        model.Predict(pixels, count, expected, threads: 1);
        float[] actual = RunOnnxRuntime(onnx, pixels, count, image);
        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        int labels = 0, different = 0;
        for (int s = 0; s < count; s++)
        {
            var mine = expected.AsSpan(s * model.ClassCount, model.ClassCount);
            var theirs = actual.AsSpan(s * model.ClassCount, model.ClassCount);
            if (InferenceModel.ArgMax(mine) == InferenceModel.ArgMax(theirs)) labels++;
            for (int j = 0; j < mine.Length; j++) if (BitConverter.SingleToInt32Bits(mine[j]) != BitConverter.SingleToInt32Bits(theirs[j]) && mine[j] != theirs[j]) different++;
        }
        Assert.Multiple(() =>
        {
            Assert.That(different, Is.Zero, "scores that differ");
            Assert.That(labels, Is.EqualTo(count), "equal labels");
            Assert.That(expected.Distinct().Count(), Is.GreaterThan(count), "the scores vary (the test can fail)");
        });
    }

    /// <summary>Runs an ONNX model on NHWC pixels (transposed to the graph's NCHW input); returns the scores.</summary>
    internal static float[] RunOnnxRuntime(byte[] onnx, byte[] pixels, int count, TensorShape image)
    {
        int c = image.Channels, h = image.Height, w = image.Width;
        var nchw = new byte[pixels.Length];
        for (int n = 0; n < count; n++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int ch = 0; ch < c; ch++) nchw[((n * c + ch) * h + y) * w + x] = pixels[((n * h + y) * w + x) * c + ch];
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(onnx, options);
        var tensor = new DenseTensor<byte>(nchw, [count, c, h, w]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, tensor)]);
        return results.Single(r => r.Name == OnnxExporter.OutputName).AsEnumerable<float>().ToArray();
    }

    /// <summary>
    /// int8 conv (bytes, 1/255, optional integer bias) + max-pool + BN + threshold; Boolean conv + BN + threshold +
    /// OR-pool; Boolean conv (stride) + BN + threshold; flatten; Boolean linear + BN + threshold; int8 head + layer norm.
    /// Batch norms are calibrated by training-mode forwards, then some scales set to zero or negative.
    /// </summary>
    private static Network Cnn(int seed, TensorShape image, PaddingMode padding, BinaryLogic logic, int stride)
    {
        var random = new Random(seed);
        var layers = new List<ILayer>();
        void Add(ILayer layer) => layers.Add(layer);
        void NormAndThreshold() { Add(new BatchNorm(layers[^1].OutputShape)); Add(new ThresholdActivation(layers[^1].OutputShape)); }
        bool bias = image.Channels == 2;
        var first = new IntegerConvolution(image, 6, 3, random, 60, padding: 1, bias: bias, inputScale: 1f / 255f, range: IntegerRange.Int8);
        if (bias) for (int o = 0; o < 6; o++) first.Bias!.Value[o] = random.Next(-100, 101);
        Add(first);
        Add(new RealMaxPool(first.OutputShape));
        NormAndThreshold();
        Add(new BooleanConvolution2D(layers[^1].OutputShape, 9, 3, random, padding: 1, paddingMode: padding, logic: logic, outputScale: 0.75f));
        NormAndThreshold();
        Add(new BooleanMaxPool(layers[^1].OutputShape, 2, 1));
        Add(new BooleanConvolution2D(layers[^1].OutputShape, 70, 3, random, stride: stride, padding: 1, paddingMode: padding, logic: logic));
        NormAndThreshold();
        Add(new Flatten(layers[^1].OutputShape));
        Add(new BooleanLinear(layers[^1].OutputShape.Size, 24, random, logic));
        NormAndThreshold();
        Add(new IntegerLinear(layers[^1].OutputShape, 10, random, 127, bias: false, range: IntegerRange.Int8));
        Add(new LayerNorm(layers[^1].OutputShape));
        var network = new Network(layers);
        var context = new LayerContext { Training = true, Threads = 1, NeedInputGradient = false };
        for (int batch = 0; batch < 20; batch++)
        {
            float[] real = FoldingTests.RandomImages(16, seed * 1000 + batch, image.Size).Select(p => (float)p).ToArray();
            network.Forward(Batch.FromReal(real, 16, image), context);
        }
        FoldingTests.AwkwardScales(layers.OfType<BatchNorm>(), random);
        return network;
    }
}
