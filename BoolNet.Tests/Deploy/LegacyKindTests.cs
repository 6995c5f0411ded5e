using BoolNet.Core.Convolution;
using BoolNet.Core.Operators;
using BoolNet.Inference;
using BoolNet.Inference.Serialization;
using BoolNet.Layers;

namespace BoolNet.Tests.Deploy;

/// <summary>
/// The float convolution and max-pool were once two layers each: "real-convolution" and "max-pool"
/// (the comparison CNN), "real-conv2d" and "real-maxpool" (the Boolean CNN), each written with its own
/// attributes. Records written here by hand as those writers wrote them load into the one layer and
/// predict exactly what the training network predicts, and the one layer writes them back unchanged.
/// </summary>
[Category("Isa")]
public sealed class LegacyKindTests
{
    private const int Count = 20;

    private static LayerRecord Record(string kind, TensorShape input, TensorShape output, params (string Name, object Value)[] attributes)
    {
        var record = new LayerRecord(kind, input, output).With("input", "real");
        foreach ((string name, object value) in attributes)
        {
            switch (value)
            {
                case long integer: record.With(name, integer); break;
                case double real: record.With(name, real); break;
                default: throw new ArgumentException($"attribute {name}");
            }
        }
        return record;
    }

    private static LayerRecord WithParameters(LayerRecord record, RealConvolution2D layer)
    {
        record.With(new TensorRecord("param.weight", TensorType.Float32, [layer.Weight.Count], layer.Weight.Value));
        if (layer.Bias is not null) record.With(new TensorRecord("param.bias", TensorType.Float32, [layer.Bias.Count], layer.Bias.Value));
        return record;
    }

    /// <summary>Replaces the conv and pool records of the folded model with hand-written old ones, saves, loads and predicts.</summary>
    private static void CheckLoadsAndPredicts(Network network, Func<LayerRecord, LayerRecord?> oldRecord, string[] kinds)
    {
        byte[] pixels = FoldingTests.RandomImages(Count, 7, network.InputShape.Size);
        float[] expected = FoldingTests.Reference(network, pixels, Count);
        ModelDocument document = ModelCodec.ToDocument(NetworkFolder.Fold(network));
        ModelDocument old = new();
        foreach (LayerRecord record in document.Layers) old.Layers.Add(oldRecord(record) ?? record);
        Assert.That(old.Layers.Select(r => r.Kind).Intersect(kinds).Count(), Is.EqualTo(kinds.Length), "the test writes every old kind");

        string path = Path.Combine(Path.GetTempPath(), $"legacy-{Guid.NewGuid():N}.bnm");
        try
        {
            ModelFile.Write(path, old);
            InferenceModel loaded = ModelCodec.Load(path);
            Assert.That(loaded.Layers.Select(l => l.Kind), Is.SupersetOf(kinds));
            var scores = new float[Count * 10];
            loaded.Predict(pixels, Count, scores, threads: 2);
            FoldingTests.AssertBitIdentical(expected, scores, "old kinds reloaded");

            // Written back, each old record keeps its kind and its attributes, in their order.
            ModelDocument rewritten = ModelCodec.ToDocument(loaded);
            for (int i = 0; i < old.Layers.Count; i++)
            {
                if (!kinds.Contains(old.Layers[i].Kind)) continue;
                Assert.That(rewritten.Layers[i].Kind, Is.EqualTo(old.Layers[i].Kind));
                Assert.That(rewritten.Layers[i].Attributes, Is.EqualTo(old.Layers[i].Attributes), old.Layers[i].Kind);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void ComparisonKindsRealConvolutionAndMaxPoolLoadAndPredictIdentically()
    {
        var random = new Random(3);
        var conv = new RealConvolution2D(new TensorShape(6, 6, 1), 4, 3, random, padding: 1, bias: BiasInit.Uniform, inputScale: 1f / 255f,
            kind: RealConvolution2D.ComparisonKindName);                                                             // 6x6x4
        var pool = new RealMaxPool(conv.OutputShape, 2, kind: RealMaxPool.ComparisonKindName);                       // 3x3x4
        var second = new RealConvolution2D(pool.OutputShape, 5, 2, random, stride: 1, padding: 0, bias: BiasInit.None,
            kind: RealConvolution2D.ComparisonKindName);                                                             // 2x2x5
        var flatten = new Flatten(second.OutputShape, bits: false);
        var network = new Network([conv, new Relu(conv.OutputShape), pool, second, flatten, new RealLinear(flatten.OutputShape, 10, random)]);
        // As the old writer: channels, bias, input-scale, then the geometry it recovered; the pool's window.
        CheckLoadsAndPredicts(network, record => record.Kind switch
        {
            RealConvolution2D.ComparisonKindName when record.InputShape == conv.InputShape => WithParameters(Record(record.Kind, record.InputShape, record.OutputShape,
                ("channels", 4L), ("bias", 1L), ("input-scale", (double)(1f / 255f)), ("kernel", 3L), ("stride", 1L), ("padding", 1L)), conv),
            RealConvolution2D.ComparisonKindName => WithParameters(Record(record.Kind, record.InputShape, record.OutputShape,
                ("channels", 5L), ("bias", 0L), ("input-scale", 1.0), ("kernel", 2L), ("stride", 1L), ("padding", 0L)), second),
            RealMaxPool.ComparisonKindName => Record(record.Kind, record.InputShape, record.OutputShape, ("window", 2L)),
            _ => null,
        }, [RealConvolution2D.ComparisonKindName, RealMaxPool.ComparisonKindName]);
    }

    [Test]
    public void BooleanCnnKindsRealConv2dAndRealMaxPoolLoadAndPredictIdentically()
    {
        var random = new Random(4);
        // 4 output channels: a narrow real-conv2d sums in the dot8 order, as that kind always did.
        var conv = new RealConvolution2D(new TensorShape(7, 7, 2), 4, 3, random, stride: 2, padding: 1, bias: BiasInit.Zero, inputScale: 1f / 255f); // 4x4x4
        for (int i = 0; i < 4; i++) conv.Bias!.Value[i] = (float)random.NextDouble() - 0.5f;
        var pool = new RealMaxPool(conv.OutputShape, 3, 1);                                                          // 2x2x4
        var flatten = new Flatten(pool.OutputShape, bits: false);
        var network = new Network([conv, pool, flatten, new RealLinear(flatten.OutputShape, 10, random)]);
        Assert.That(conv.SumOrder, Is.EqualTo(FloatSumOrder.Dot8));
        // As the old writer: kernel, stride, padding, channels, bias, input-scale; kernel and stride.
        CheckLoadsAndPredicts(network, record => record.Kind switch
        {
            RealConvolution2D.KindName => WithParameters(Record(record.Kind, record.InputShape, record.OutputShape,
                ("kernel", 3L), ("stride", 2L), ("padding", 1L), ("channels", 4L), ("bias", 1L), ("input-scale", (double)(1f / 255f))), conv),
            RealMaxPool.KindName => Record(record.Kind, record.InputShape, record.OutputShape, ("kernel", 3L), ("stride", 1L)),
            _ => null,
        }, [RealConvolution2D.KindName, RealMaxPool.KindName]);
    }

    [Test]
    public void EachConvolutionKindKeepsItsSummationOrder()
    {
        // real-conv2d computed y = columns W^T with row dot products below 16 outputs (dot8); real-convolution
        // always used one fma chain per output. y equals the GEMM reference of the lowered input in that order.
        foreach ((string kind, int outputs, FloatSumOrder order) in new[]
        {
            (RealConvolution2D.KindName, 5, FloatSumOrder.Dot8), (RealConvolution2D.KindName, 16, FloatSumOrder.Chain),
            (RealConvolution2D.ComparisonKindName, 5, FloatSumOrder.Chain),
        })
        {
            var random = new Random(outputs);
            var shape = new TensorShape(5, 6, 9);
            var layer = new RealConvolution2D(shape, outputs, 3, random, padding: 1, kind: kind);
            Assert.That(layer.SumOrder, Is.EqualTo(order));
            float[] x = Enumerable.Range(0, 2 * shape.Size).Select(_ => (float)random.NextDouble() * 255).ToArray();
            float[] y = layer.Forward(Batch.FromReal(x, 2, shape), new LayerContext()).Real!;
            int rows = 2 * layer.Geometry.OutputPositions, depth = layer.Geometry.FanIn;
            var columns = new float[rows * depth];
            FloatConvolution.Lower(x, 2, layer.Geometry, 1f, columns, 1);
            var expected = new float[rows * outputs];
            FloatGemm.MultiplyReference(columns, false, layer.Weight.Value, true, expected, rows, outputs, depth, order);
            Assert.That(y.Take(expected.Length), Is.EqualTo(expected), $"{kind} with {outputs} outputs");
        }
    }

    [Test]
    public void ComparisonPoolKindHasTheStrideOfItsWindow()
    {
        Assert.Throws<ArgumentException>(() => new RealMaxPool(new TensorShape(6, 6, 1), 3, 2, RealMaxPool.ComparisonKindName));
        Assert.Throws<ArgumentException>(() => new RealConvolution2D(new TensorShape(6, 6, 1), 2, 3, new Random(1), kind: "conv"));
        var geometry = new ConvolutionGeometry(6, 6, 1, 3, 3, 2, 1);
        var conv = new RealConvolution2D(new TensorShape(6, 6, 1), 2, 3, new Random(1), 2, 1);
        Assert.That((conv.Kernel, conv.Stride, conv.Padding, conv.OutputChannels, conv.Geometry), Is.EqualTo((3, 2, 1, 2, geometry)));
    }
}
