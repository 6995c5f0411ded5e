using BoolNet.Core.Execution;
using BoolNet.Core.Operators;
using BoolNet.Inference;
using BoolNet.Inference.Serialization;
using BoolNet.Layers;

namespace BoolNet.Tests.Deploy;

/// <summary>
/// The folded inference model gives bit-identical scores to the training network in inference
/// mode, and save + load gives bit-identical scores again, for every layer kind.
/// </summary>
[Category("Isa")]
public sealed class FoldingTests
{
    private static readonly TensorShape Image = new(5, 7, 1); // 35 pixels: not a multiple of 64

    /// <summary>Random running statistics with ties (integer means), negative and zero scales.</summary>
    internal static void Randomize(BatchNorm norm, Random random, float spread)
    {
        for (int c = 0; c < norm.RunningMean.Length; c++)
        {
            norm.RunningMean[c] = c % 3 == 0 ? random.Next(-4, 5) * spread / 4 : (float)(random.NextDouble() - 0.5) * spread;
            norm.RunningVariance[c] = (float)(0.05 + random.NextDouble() * spread);
            if (norm.Scale is null) continue;
            norm.Scale.Value[c] = (c % 7) switch { 0 => 0f, 1 or 2 => -(float)random.NextDouble() - 0.1f, 3 => 1f, _ => (float)random.NextDouble() + 0.1f };
            norm.Shift!.Value[c] = c % 3 == 0 ? 0f : (float)(random.NextDouble() - 0.5);
        }
    }

    internal static Network BitPlaneNetwork(int seed, int bits = 8, bool bias = true)
    {
        var random = new Random(seed);
        var first = new BitPlaneLinear(Image, 70, random, bits);
        var norm1 = new BatchNorm(TensorShape.Vector(70));
        Randomize(norm1, random, 3f);
        var hidden = new BooleanLinear(70, 67, random, BinaryLogic.Xnor, bias);
        var norm2 = new BatchNorm(TensorShape.Vector(67));
        Randomize(norm2, random, 8f);
        return new Network([first, norm1, new ThresholdActivation(TensorShape.Vector(70)), hidden, norm2,
            new ThresholdActivation(TensorShape.Vector(67)), new RealLinear(TensorShape.Vector(67), 10, random)]);
    }

    /// <summary>More neurons than one L1 block of the byte path, and inputs spanning several 64-byte chunks.</summary>
    private static Network WideBitPlaneNetwork(int seed)
    {
        var random = new Random(seed);
        var input = new TensorShape(10, 13, 1);
        var first = new BitPlaneLinear(input, 420, random, 8);
        var norm = new BatchNorm(TensorShape.Vector(420));
        Randomize(norm, random, 40f);
        return new Network([first, norm, new ThresholdActivation(TensorShape.Vector(420)), new RealLinear(TensorShape.Vector(420), 10, random)]);
    }

    /// <summary>Boolean CNN: thermometer map, Boolean conv + BN + threshold, OR pool, flatten, Boolean dense, float head.</summary>
    internal static Network BooleanConvolutionNetwork(int seed)
    {
        var random = new Random(seed);
        var encoder = new ThermometerEncoding(new TensorShape(6, 6, 1), 3, flatten: false);      // 6x6x3 bits
        var conv = new BooleanConvolution2D(encoder.OutputShape, 8, 3, random, padding: 1);       // 6x6x8
        var norm = new BatchNorm(conv.OutputShape);
        Randomize(norm, random, 5f);
        var pool = new BooleanMaxPool(conv.OutputShape, 2);                                        // 3x3x8
        var flatten = new Flatten(pool.OutputShape);                                                // 72 bits
        var dense = new BooleanLinear(flatten.OutputShape.Channels, 40, random);
        var norm2 = new BatchNorm(TensorShape.Vector(40));
        Randomize(norm2, random, 5f);
        return new Network([encoder, conv, norm, new ThresholdActivation(conv.OutputShape), pool, flatten, dense, norm2,
            new ThresholdActivation(TensorShape.Vector(40)), new RealLinear(TensorShape.Vector(40), 10, random)]);
    }

    /// <summary>Float conv + pool, then integer (ZIM) layers with layer norm and ReLU.</summary>
    internal static Network IntegerNetwork(int seed)
    {
        var random = new Random(seed);
        var conv = new RealConvolution2D(new TensorShape(6, 6, 1), 4, 3, random, padding: 1, bias: BiasInit.Zero, inputScale: 1f / 255f);
        var pool = new RealMaxPool(conv.OutputShape, 2);
        var flatten = new Flatten(pool.OutputShape, bits: false);
        var first = new IntegerLinear(flatten.OutputShape, 20, random, 3, bias: true);
        for (int i = 0; i < 20; i++) first.Bias!.Value[i] = random.Next(-3, 4);
        var second = new IntegerLinear(TensorShape.Vector(20), 10, random, 3, bias: true);
        return new Network([conv, pool, flatten, first, new LayerNorm(TensorShape.Vector(20)), new Relu(TensorShape.Vector(20)),
            second, new LayerNorm(TensorShape.Vector(10))]);
    }

    /// <summary>The ZIM convolutional layers: integer and float convolutions (stride 2), max-pool, layer norm.</summary>
    internal static Network ZimConvolutionNetwork(int seed)
    {
        var random = new Random(seed);
        var conv = new IntegerConvolution(new TensorShape(8, 8, 1), 4, 3, random, 3, stride: 1, padding: 1, bias: true, inputScale: 1f / 255f); // 8x8x4
        var pool = new RealMaxPool(conv.OutputShape, 2, kind: RealMaxPool.ComparisonKindName);                                                // 4x4x4
        var real = new RealConvolution2D(pool.OutputShape, 3, 3, random, stride: 2, padding: 1, BiasInit.Uniform,
            kind: RealConvolution2D.ComparisonKindName);                                                                                      // 2x2x3
        var flatten = new Flatten(real.OutputShape, bits: false);
        var head = new IntegerLinear(flatten.OutputShape, 10, random, 3, bias: false);
        return new Network([conv, new Relu(conv.OutputShape), pool, real, flatten, head, new LayerNorm(TensorShape.Vector(10))]);
    }

    private static Network ThermometerNetwork(int seed)
    {
        var random = new Random(seed);
        var encoder = new ThermometerEncoding(Image, 3);
        var hidden = new BooleanLinear(encoder.OutputShape.Channels, 65, random, BinaryLogic.Xor, bias: true);
        var norm = new BatchNorm(TensorShape.Vector(65));
        Randomize(norm, random, 6f);
        var head = new BooleanLinear(65, 10, random, BinaryLogic.Xnor, bias: true, outputScale: 0.37f);
        return new Network([encoder, hidden, norm, new ThresholdActivation(TensorShape.Vector(65)), head]);
    }

    private static Network RealFirstNetwork(int seed)
    {
        var random = new Random(seed);
        var first = new RealLinear(Image, 40, random, bias: true, inputScale: 1f / 255f);
        var norm = new BatchNorm(TensorShape.Vector(40));
        Randomize(norm, random, 0.5f);
        var hidden = new BooleanLinear(40, 33, random, BinaryLogic.Xnor);
        var head = new RealLinear(TensorShape.Vector(33), 10, random);
        var logitNorm = new BatchNorm(TensorShape.Vector(10), affine: false);
        Randomize(logitNorm, random, 1f);
        return new Network([first, norm, new ThresholdActivation(TensorShape.Vector(40)), hidden,
            new ThresholdActivation(TensorShape.Vector(33), threshold: 1f), head, logitNorm]);
    }

    private static Network NoNormNetwork(int seed)
    {
        var random = new Random(seed);
        var first = new BitPlaneLinear(Image, 66, random, inputBits: 4);
        var head = new BooleanLinear(66, 10, random, BinaryLogic.Xor, bias: true, outputScale: 0.5f);
        return new Network([first, new ThresholdActivation(TensorShape.Vector(66), threshold: 2f), head]);
    }

    /// <summary>
    /// Batch-norm scales and shifts that folding must get right: every seventh scale 0, two in seven
    /// negative, a third of the shifts 0 (the running statistics are left as the batches made them).
    /// </summary>
    internal static void AwkwardScales(IEnumerable<BatchNorm> norms, Random random)
    {
        foreach (BatchNorm norm in norms)
            for (int c = 0; c < norm.RunningMean.Length; c++)
            {
                if (c % 7 == 0) norm.Scale!.Value[c] = 0f;
                else if (c % 7 is 1 or 2) norm.Scale!.Value[c] = -(float)random.NextDouble() - 0.1f;
                norm.Shift!.Value[c] = c % 3 == 0 ? 0f : (float)(random.NextDouble() - 0.5);
            }
    }

    internal static byte[] RandomImages(int count, int seed, int size)
    {
        var random = new Random(seed);
        var pixels = new byte[count * size];
        random.NextBytes(pixels);
        for (int i = 0; i < pixels.Length; i += 5) pixels[i] = 0; // background, as in real images
        return pixels;
    }

    /// <summary>The training network's scores in inference mode on raw bytes.</summary>
    internal static float[] Reference(Network network, byte[] pixels, int count)
    {
        var real = new float[pixels.Length];
        for (int i = 0; i < real.Length; i++) real[i] = pixels[i];
        Batch output = network.Forward(Batch.FromReal(real, count, network.InputShape), new LayerContext { Training = false, Threads = 1 });
        return output.RequireReal("test");
    }

    public static IEnumerable<TestCaseData> Networks()
    {
        yield return new TestCaseData("bitplane-8 + xnor-bias + real head", (Func<int, Network>)(s => BitPlaneNetwork(s)));
        yield return new TestCaseData("wide bitplane (420 neurons, 130 pixels)", (Func<int, Network>)WideBitPlaneNetwork);
        yield return new TestCaseData("boolean CNN (conv, BN map, OR pool, flatten)", (Func<int, Network>)BooleanConvolutionNetwork);
        yield return new TestCaseData("float conv + pool + integer layers, layer norm, relu", (Func<int, Network>)IntegerNetwork);
        yield return new TestCaseData("ZIM convolutions (integer conv, max-pool, float conv stride 2)", (Func<int, Network>)ZimConvolutionNetwork);
        yield return new TestCaseData("thermometer + xor-bias + boolean head", (Func<int, Network>)ThermometerNetwork);
        yield return new TestCaseData("real first + no-BN threshold + real head + logit BN", (Func<int, Network>)RealFirstNetwork);
        yield return new TestCaseData("bitplane-4 + threshold only + xor boolean head", (Func<int, Network>)NoNormNetwork);
    }

    [TestCaseSource(nameof(Networks))]
    public void FoldedAndReloadedModelsGiveBitIdenticalScores(string name, Func<int, Network> build)
    {
        for (int seed = 1; seed <= 3; seed++)
        {
            Network network = build(seed);
            const int count = 150;
            byte[] pixels = RandomImages(count, seed + 100, network.InputShape.Size);
            float[] expected = Reference(network, pixels, count);

            InferenceModel folded = NetworkFolder.Fold(network, [new("name", name)]);
            var scores = new float[count * 10];
            folded.Predict(pixels, count, scores, threads: 2);
            AssertBitIdentical(expected, scores, $"{name} seed {seed} folded");

            byte[] file = ModelFile.Serialize(ModelCodec.ToDocument(folded));
            InferenceModel loaded = ModelCodec.FromDocument(ModelFile.Parse(file, "memory"), "memory");
            Array.Clear(scores);
            loaded.Predict(pixels, count, scores, threads: 1);
            AssertBitIdentical(expected, scores, $"{name} seed {seed} reloaded");
            Assert.That(loaded.Layers.Select(l => l.Kind), Is.EqualTo(folded.Layers.Select(l => l.Kind)));
            Assert.That(ModelCodec.FileSize(loaded), Is.EqualTo(file.Length));

            // Every path of the bit-plane product (u8 x s8 bytes on AVX-512 and AVX2, plane popcounts on scalar)
            // gives the first layer's integers D of this model; the process ISA's path gave the scores above.
            if (loaded.Layers[0] is BitPlaneDenseLayer first)
            {
                int[] reference = BitPlaneSums(first, pixels, count, Isa.Scalar);
                foreach (Isa isa in IsaSelection.Supported)
                    Assert.That(BitPlaneSums(first, pixels, count, isa), Is.EqualTo(reference), $"{name} seed {seed} bit-plane path {isa}");
            }

            // One image at a time (the batch-1 path) agrees too.
            var single = new float[10];
            for (int k = 0; k < 5; k++)
            {
                loaded.Predict(pixels.AsSpan(k * network.InputShape.Size, network.InputShape.Size), single);
                AssertBitIdentical(expected.AsSpan(k * 10, 10).ToArray(), single, $"{name} seed {seed} image {k}");
            }
        }
    }

    [Test]
    public void BatchOfOnePredictionAllocatesNothing()
    {
        InferenceModel model = NetworkFolder.Fold(BitPlaneNetwork(5));
        byte[] image = RandomImages(1, 9, Image.Size);
        var scores = new float[10];
        for (int i = 0; i < 100; i++) model.Predict(image, scores); // buffers grow once
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) model.Predict(image, scores);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void NegativeBatchNormScaleFlipsTheOutput()
    {
        Network network = BitPlaneNetwork(4);
        InferenceModel folded = NetworkFolder.Fold(network);
        var norm = (BatchNorm)network.Layers[1];
        var rule = ((BitPlaneDenseLayer)folded.Layers[0]).Rule!;
        for (int j = 0; j < rule.Count; j++)
        {
            float gamma = norm.Scale!.Value[j];
            if (gamma > 0) Assert.That(rule.Flip(j), Is.True, $"neuron {j}: D grows with a, so a positive scale turns TRUE above T");
            if (gamma < 0) Assert.That(rule.Flip(j), Is.False, $"neuron {j}");
        }
        Assert.That(Enumerable.Range(0, rule.Count).Any(j => norm.Scale!.Value[j] < 0));
    }

    [Test]
    public void FloatKeysPreserveOrder()
    {
        float[] values = [-float.MaxValue, -1e30f, -1f, -float.Epsilon, 0f, float.Epsilon, 1f, 3.5f, float.MaxValue];
        for (int i = 0; i + 1 < values.Length; i++)
            Assert.That(NetworkFolder.Key(values[i]), Is.LessThan(NetworkFolder.Key(values[i + 1])));
        foreach (float v in values) Assert.That(NetworkFolder.FromKey(NetworkFolder.Key(v)), Is.EqualTo(v));
        Assert.That(NetworkFolder.Key(-0f), Is.EqualTo(0));
    }

    /// <summary>D [count, n] of a folded bit-plane layer on the path of <paramref name="isa"/>.</summary>
    private static int[] BitPlaneSums(BitPlaneDenseLayer layer, byte[] pixels, int count, Isa isa)
    {
        BitPlaneDense.PreparedWeights prepared = BitPlaneDense.Prepare(layer.Weights, layer.InputBits, isa);
        (long words, long ints) = BitPlaneDense.ScratchSize(prepared, count);
        var sums = new int[count * layer.Weights.Rows];
        BitPlaneDense.Sums(prepared, pixels, count, sums, new ulong[words], new int[ints]);
        return sums;
    }

    internal static void AssertBitIdentical(float[] expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.That(actual.Length, Is.GreaterThanOrEqualTo(expected.Length));
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: score {i} is {actual[i]:R}, expected {expected[i]:R}");
    }
}
