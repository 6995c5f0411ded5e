using BoolNet.Commands;
using BoolNet.Inference;
using BoolNet.Inference.Serialization;
using BoolNet.Layers;

namespace BoolNet.Tests.Deploy;

/// <summary>
/// The fully discrete MLP (int8 first layer on raw pixels + BN + threshold, Boolean hidden layer + BN +
/// threshold, int8 head on the bits + layer norm) folds to integer-only layers: the same classes as the
/// training network in inference mode, the head's integer scores equal to the training head's outputs,
/// and a model file with no float32 tensor. The loader refuses damaged int8 layers naming the layer.
/// </summary>
[Category("Isa")]
public sealed class Int8FoldingTests
{
    /// <summary>
    /// IntegerLinear int8 (bytes, 1/255) + BN + threshold, [IntegerLinear int8 on bits + BN + threshold,]
    /// BooleanLinear + BN + threshold, IntegerLinear int8 head + layer norm. Batch norm statistics come from
    /// training-mode forwards; then some scales are set to zero (constant neurons) or negative (flipped).
    /// </summary>
    internal static Network DiscreteNetwork(int seed, TensorShape image, int first, int hidden, bool headBias, int integerHidden = 0)
    {
        var random = new Random(seed);
        var layers = new List<ILayer>
        {
            new IntegerLinear(image, first, random, 127, bias: false, inputScale: 1f / 255f, range: IntegerRange.Int8),
            new BatchNorm(TensorShape.Vector(first)), new ThresholdActivation(TensorShape.Vector(first)),
        };
        int width = first;
        if (integerHidden > 0)
        {
            var integer = new IntegerLinear(TensorShape.Vector(width), integerHidden, random, 127, bias: true, range: IntegerRange.Int8);
            for (int j = 0; j < integerHidden; j++) integer.Bias!.Value[j] = random.Next(-200, 201);
            layers.AddRange([integer, new BatchNorm(TensorShape.Vector(integerHidden)), new ThresholdActivation(TensorShape.Vector(integerHidden))]);
            width = integerHidden;
        }
        layers.AddRange([new BooleanLinear(width, hidden, random), new BatchNorm(TensorShape.Vector(hidden)), new ThresholdActivation(TensorShape.Vector(hidden))]);
        var head = new IntegerLinear(TensorShape.Vector(hidden), 10, random, 127, bias: headBias, range: IntegerRange.Int8);
        if (headBias) for (int j = 0; j < 10; j++) head.Bias!.Value[j] = random.Next(-300, 301);
        layers.AddRange([head, new LayerNorm(TensorShape.Vector(10))]);
        var network = new Network(layers);

        var context = new LayerContext { Training = true, Threads = 1, NeedInputGradient = false };
        for (int batch = 0; batch < 30; batch++)
            network.Forward(Batch.FromReal(Reals(FoldingTests.RandomImages(32, seed * 1000 + batch, image.Size)), 32, image), context);
        FoldingTests.AwkwardScales(layers.OfType<BatchNorm>(), random);
        return network;
    }

    private static float[] Reals(byte[] pixels) => pixels.Select(p => (float)p).ToArray();

    public static IEnumerable<TestCaseData> Shapes()
    {
        yield return new TestCaseData(new TensorShape(5, 7, 1), 70, 67, true, 0).SetName("35 pixels, 70 -> 67 -> 10, head bias");
        yield return new TestCaseData(new TensorShape(10, 13, 1), 33, 40, false, 0).SetName("130 pixels, 33 -> 40 -> 10, no bias");
        yield return new TestCaseData(new TensorShape(4, 4, 2), 64, 16, true, 21).SetName("32 bytes, 64 -> int8 21 on bits -> 16 -> 10");
    }

    [TestCaseSource(nameof(Shapes))]
    public void TheFoldedModelIsIntegerOnlyAndPredictsTheTrainingClasses(TensorShape image, int first, int hidden, bool headBias, int integerHidden)
    {
        for (int seed = 1; seed <= 3; seed++)
        {
            Network network = DiscreteNetwork(seed, image, first, hidden, headBias, integerHidden);
            const int count = 150;
            byte[] pixels = FoldingTests.RandomImages(count, seed + 100, image.Size);
            pixels.AsSpan(0, image.Size).Fill(255);      // the extremes of the first layer's sums
            pixels.AsSpan(image.Size, image.Size).Clear();
            float[] normalized = FoldingTests.Reference(network, pixels, count);
            float[] scores = ScoresBeforeTheNorm(network, pixels, count);

            InferenceModel folded = NetworkFolder.Fold(network);
            string[] kinds = integerHidden > 0 ? ["int8-dense", "int8-dense", "boolean-dense", "int8-dense"] : ["int8-dense", "boolean-dense", "int8-dense"];
            Assert.That(folded.Layers.Select(l => l.Kind), Is.EqualTo(kinds));
            Assert.That(folded.Layers[0].Output, Is.EqualTo(ValueKind.Bits));
            Assert.That(folded.Layers[^1].Source, Does.Contain("layer-norm"));

            var predicted = new float[count * 10];
            folded.Predict(pixels, count, predicted, threads: 2);
            FoldingTests.AssertBitIdentical(scores, predicted, $"seed {seed}: integer scores against the training head");
            for (int s = 0; s < count; s++)
                Assert.That(InferenceModel.ArgMax(predicted.AsSpan(s * 10, 10)), Is.EqualTo(InferenceModel.ArgMax(normalized.AsSpan(s * 10, 10))), $"seed {seed} sample {s}");

            ModelDocument document = ModelCodec.ToDocument(folded);
            List<TensorRecord> tensors = document.Layers.SelectMany(l => l.Tensors).ToList();
            Assert.That(tensors.Where(t => t.Type == TensorType.Float32).Select(t => t.Name), Is.Empty, "no float32 tensor in the file");
            Assert.That(document.Layers.Where(l => l.Kind == "int8-dense").Select(l => l.GetTensor("weight", TensorType.Int8, l.OutputShape.Channels, l.InputShape.Size)), Has.Exactly(kinds.Count(k => k == "int8-dense")).Items);

            InferenceModel loaded = ModelCodec.FromDocument(ModelFile.Parse(ModelFile.Serialize(document), "memory"), "memory");
            Array.Clear(predicted);
            loaded.Predict(pixels, count, predicted, threads: 1);
            FoldingTests.AssertBitIdentical(scores, predicted, $"seed {seed} reloaded");
            var single = new float[10];
            for (int s = 0; s < 4; s++)
            {
                loaded.Predict(pixels.AsSpan(s * image.Size, image.Size), single);
                FoldingTests.AssertBitIdentical(scores.AsSpan(s * 10, 10).ToArray(), single, $"seed {seed} image {s} alone");
            }
        }
    }

    /// <summary>The training network's head outputs (inference mode), the layer norm left out.</summary>
    private static float[] ScoresBeforeTheNorm(Network network, byte[] pixels, int count)
    {
        var context = new LayerContext { Training = false, Threads = 1 };
        Batch batch = Batch.FromReal(Reals(pixels), count, network.InputShape);
        foreach (ILayer layer in network.Layers.Take(network.Layers.Count - 1)) batch = layer.Forward(batch, context);
        return batch.RequireReal("test");
    }

    [Test]
    public void CostCountsInt8ParametersAndMacs()
    {
        InferenceModel model = NetworkFolder.Fold(DiscreteNetwork(2, new TensorShape(5, 7, 1), 70, 67, headBias: true));
        LayerCost first = model.Layers[0].Cost, head = model.Layers[2].Cost;
        Assert.That(first.ParametersByBits, Is.EquivalentTo(new Dictionary<int, long> { [1] = 70, [8] = 70 * 35, [32] = 70 }));
        Assert.That(first.IntegerMacs, Is.EqualTo(70 * 35));
        Assert.That((first.BinaryMacs, first.MixedMacs, first.FloatMacs), Is.EqualTo((0L, 0L, 0L)));
        Assert.That(head.ParametersByBits, Is.EquivalentTo(new Dictionary<int, long> { [8] = 670, [32] = 10 }));
        Assert.That(head.IntegerMacs, Is.EqualTo(670));
        Assert.That(model.Layers[1].Cost.IntegerMacs, Is.Zero);
        string summary = SummaryReport.Format(model, "discrete.bnm");
        Assert.That(summary, Does.Contain("int8-dense").And.Contain("integer-linear + batch-norm + threshold"));
    }

    // 512 -> 64: the Boolean layer's K of 8 words takes the prefix-packed XOR path on AVX2 and AVX-512.
    [TestCase(33, 40)]
    [TestCase(512, 64)]
    public void BatchOfOnePredictionAllocatesNothing(int first, int hidden)
    {
        InferenceModel model = NetworkFolder.Fold(DiscreteNetwork(5, new TensorShape(10, 13, 1), first, hidden, headBias: true));
        byte[] image = FoldingTests.RandomImages(1, 9, 130);
        var scores = new float[10];
        for (int i = 0; i < 100; i++) model.Predict(image, scores);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) model.Predict(image, scores);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void ARangeHoldingMinus128IsNotFoldedToInt8()
    {
        var random = new Random(1);
        var layer = new IntegerLinear(TensorShape.Vector(8), 10, random, 100, range: new IntegerRange(-128, 127));
        InferenceModel model = NetworkFolder.Fold(new Network([layer]));
        Assert.That(model.Layers[0].Kind, Is.EqualTo("integer-linear"));
    }

    private static IEnumerable<TestCaseData> Damage()
    {
        yield return new TestCaseData(0, (Action<LayerRecord>)(r => ((sbyte[])r.Tensors.Single(t => t.Name == "weight").Data)[40] = sbyte.MinValue), "weight [1, 5] is -128, outside -127..127").SetName("a weight of -128");
        yield return new TestCaseData(2, (Action<LayerRecord>)(r => ((sbyte[])r.Tensors.Single(t => t.Name == "weight").Data)[0] = sbyte.MinValue), "weight [0, 0] is -128").SetName("a head weight of -128");
        yield return new TestCaseData(0, (Action<LayerRecord>)(r => r.Tensors.RemoveAll(t => t.Name == "weight")), "tensor 'weight' is missing").SetName("no weight");
        yield return new TestCaseData(0, (Action<LayerRecord>)(r => r.Tensors.RemoveAll(t => t.Name == "flip")), "tensor 'flip' is missing").SetName("a threshold without flips");
        yield return new TestCaseData(0, (Action<LayerRecord>)(r => r.Attributes.RemoveAll(a => a.Name == "input")), "attribute 'input' is missing").SetName("no input kind");
        yield return new TestCaseData(0, (Action<LayerRecord>)(r => r.Attributes.RemoveAll(a => a.Name == "input-scale")), "attribute 'input-scale' is missing").SetName("no input scale on bytes");
        yield return new TestCaseData(0, (Action<LayerRecord>)(r => r.With(new TensorRecord("bias", TensorType.Int32, [70], new int[70]))), "no separate bias").SetName("a bias beside a threshold");
        yield return new TestCaseData(2, (Action<LayerRecord>)(r => Replace(r, "bias", new TensorRecord("bias", TensorType.Float32, [10], new float[10]))), "tensor 'bias' is Float32, expected Int32").SetName("a float bias");
        yield return new TestCaseData(2, (Action<LayerRecord>)(r => Replace(r, "weight", new TensorRecord("weight", TensorType.Int32, [10, 67], new int[670]))), "tensor 'weight' is Int32, expected Int8").SetName("int32 weights");
    }

    private static void Replace(LayerRecord record, string name, TensorRecord tensor)
    {
        record.Tensors.RemoveAll(t => t.Name == name);
        record.With(tensor);
    }

    [TestCaseSource(nameof(Damage))]
    public void TheLoaderNamesTheDamagedLayer(int layer, Action<LayerRecord> damage, string problem)
    {
        InferenceModel model = NetworkFolder.Fold(DiscreteNetwork(3, new TensorShape(5, 7, 1), 70, 67, headBias: true));
        ModelDocument document = ModelCodec.ToDocument(model);
        document.Layers[layer] = Copy(document.Layers[layer]);
        damage(document.Layers[layer]);
        byte[] bytes = ModelFile.Serialize(document);
        var error = Assert.Throws<ModelFormatException>(() => ModelCodec.FromDocument(ModelFile.Parse(bytes, "bad.bnm"), "bad.bnm"))!;
        Assert.That(error.Message, Does.Contain($"layer {layer} (int8-dense)").And.Contain(problem));
    }

    /// <summary>A record with copies of the tensors (the model's own arrays must stay intact).</summary>
    private static LayerRecord Copy(LayerRecord record)
    {
        var copy = new LayerRecord(record.Kind, record.InputShape, record.OutputShape);
        copy.Attributes.AddRange(record.Attributes);
        foreach (TensorRecord t in record.Tensors) copy.With(new TensorRecord(t.Name, t.Type, t.Dimensions, (Array)t.Data.Clone()));
        return copy;
    }
}
