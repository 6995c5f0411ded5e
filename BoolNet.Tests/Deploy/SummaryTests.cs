using System.Text.Json;
using BoolNet.Commands;
using BoolNet.Core.Operators;
using BoolNet.Inference;
using BoolNet.Inference.Serialization;
using BoolNet.Layers;

namespace BoolNet.Tests.Deploy;

/// <summary><c>summary</c>: values counted by storage type, the JSON object, 80 columns, catalogue models by name.</summary>
[NonParallelizable]
public sealed class SummaryTests
{
    private static readonly TensorShape Image = new(5, 7, 1);

    /// <summary>
    /// float-dense (float32 weights and thresholds, bit flips), boolean-dense (bit weights and flips, int32
    /// thresholds) and a wrapped integer head (int32 weights and bias).
    /// </summary>
    private static InferenceModel MixedModel()
    {
        var random = new Random(5);
        var first = new RealLinear(Image, 40, random, bias: false, inputScale: 1f / 255f);
        var norm1 = new BatchNorm(TensorShape.Vector(40));
        FoldingTests.Randomize(norm1, random, 0.5f);
        var hidden = new BooleanLinear(40, 33, random, BinaryLogic.Xnor);
        var norm2 = new BatchNorm(TensorShape.Vector(33));
        FoldingTests.Randomize(norm2, random, 6f);
        var head = new IntegerLinear(TensorShape.Vector(33), 10, random, 3, bias: true);
        var network = new Network([first, norm1, new ThresholdActivation(TensorShape.Vector(40)), hidden, norm2,
            new ThresholdActivation(TensorShape.Vector(33)), head]);
        return NetworkFolder.Fold(network, [new("name", "mixed")]);
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        TextWriter output = Console.Out, error = Console.Error;
        var captured = new StringWriter();
        var capturedError = new StringWriter();
        Console.SetOut(captured);
        Console.SetError(capturedError);
        try
        {
            return (BoolNet.Cli.Program.Main(args), captured.ToString(), capturedError.ToString());
        }
        finally
        {
            Console.SetOut(output);
            Console.SetError(error);
        }
    }

    private static long Stored(JsonElement element, string type) => element.GetProperty("parameters_by_type").GetProperty(type).GetInt64();

    [Test]
    public void StoredValuesCountEveryTensorByTypeAndBitsOneByOne()
    {
        var record = new LayerRecord("anything", Image, TensorShape.Vector(3)).With("scale", 0.5)
            .With(new TensorRecord("w", TensorType.Bits, [3, 70], new ulong[3 * 2]))
            .With(new TensorRecord("q", TensorType.Int8, [5], new sbyte[5]))
            .With(new TensorRecord("t", TensorType.Int32, [2, 3], new int[6]))
            .With(new TensorRecord("f", TensorType.Float32, [4], new float[4]))
            .With(new TensorRecord("g", TensorType.Bits, [1, 3], new ulong[1]));
        IReadOnlyDictionary<TensorType, long> counts = LayerCost.StoredValues(record);
        Assert.That(counts, Is.EquivalentTo(new Dictionary<TensorType, long>
        {
            [TensorType.Bits] = 213, [TensorType.Int8] = 5, [TensorType.Int32] = 6, [TensorType.Float32] = 4,
        }), "bits counted one by one, not as words; the scalar attribute is not a stored value");
        Assert.That(LayerCost.StoredBytes(record), Is.EqualTo(7 * 8 + 5 + 6 * 4 + 4 * 4));
        Assert.That(SummaryReport.StorageKey(TensorType.Bits), Is.EqualTo("bit"));
        Assert.That(SummaryReport.StorageKey(TensorType.Int8), Is.EqualTo("int8"));
    }

    [Test]
    public void JsonTellsFloat32Int32AndBitApartPerLayerAndInTotal()
    {
        InferenceModel model = MixedModel();
        using JsonDocument json = JsonDocument.Parse(SummaryReport.FormatJson(model, "mixed.bnm"));
        JsonElement root = json.RootElement;
        JsonElement[] layers = root.GetProperty("layers").EnumerateArray().ToArray();
        Assert.That(layers.Select(l => l.GetProperty("kind").GetString()), Is.EqualTo(new[] { "float-dense", "boolean-dense", "integer-linear" }));

        // float-dense: 40x35 float32 weights, 40 float32 thresholds, 40 flip bits.
        Assert.That((Stored(layers[0], "float32"), Stored(layers[0], "int32"), Stored(layers[0], "bit")), Is.EqualTo((1440L, 0L, 40L)));
        // boolean-dense: 33x40 weight bits and 33 flip bits, 33 int32 thresholds.
        Assert.That((Stored(layers[1], "float32"), Stored(layers[1], "int32"), Stored(layers[1], "bit")), Is.EqualTo((0L, 33L, 1353L)));
        // integer head: 10x33 int32 weights and 10 int32 biases.
        Assert.That((Stored(layers[2], "float32"), Stored(layers[2], "int32"), Stored(layers[2], "bit")), Is.EqualTo((0L, 340L, 0L)));

        JsonElement totals = root.GetProperty("totals");
        foreach ((string type, long expected) in new[] { ("bit", 1393L), ("int8", 0L), ("int16", 0L), ("int32", 373L), ("float32", 1440L) })
            Assert.That(Stored(totals, type), Is.EqualTo(expected), type);
        Assert.That(totals.GetProperty("parameters").GetInt64(), Is.EqualTo(1393 + 373 + 1440));
        Assert.That(totals.GetProperty("macs").GetProperty("binary").GetInt64(), Is.EqualTo(33 * 40));
        Assert.That(totals.GetProperty("macs").GetProperty("float").GetInt64(), Is.EqualTo(layers.Sum(l => l.GetProperty("macs").GetProperty("float").GetInt64())));
        Assert.That(totals.GetProperty("bytes").GetInt64(), Is.EqualTo(layers.Sum(l => l.GetProperty("bytes").GetInt64())));
        Assert.That(root.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(new[] { 5, 7, 1 }));
        Assert.That(layers[1].GetProperty("training_parameters").GetProperty("boolean").GetInt64(), Is.EqualTo(33 * 40));
    }

    [Test]
    public void TextFitsEightyColumnsAndNamesTheStorageTypes()
    {
        string text = SummaryReport.Format(MixedModel(), "mixed.bnm");
        Assert.That(text.Split('\n').Max(line => line.Length), Is.LessThanOrEqualTo(SummaryReport.Width), text);
        Assert.That(text, Does.Contain("1,393 bit").And.Contain("373 int32").And.Contain("1,440 float32"));
    }

    [Test]
    public void LongLastColumnWrapsWithinTheMaximumWidth()
    {
        var table = new TextTable("#", "layer", "folded from") { MaximumWidth = 34 };
        table.Add("0", "boolean-dense", "boolean-linear + batch-norm + threshold");
        string text = table.ToString();
        string[] lines = text.TrimEnd('\n').Split('\n');
        Assert.That(lines.Max(l => l.Length), Is.LessThanOrEqualTo(34), text);
        Assert.That(lines.Skip(2).Select(l => l.Length > 18 ? l[18..] : ""), Is.EqualTo(new[] { "boolean-linear +", "batch-norm +", "threshold" }),
            "every word is kept, in order, under the column");
        Assert.That(table.LineWidth, Is.EqualTo(lines.Max(l => l.Length)));
    }

    [Test]
    public void CatalogueModelIsDescribedUntrainedWithItsBooleanWeights()
    {
        var (code, output, error) = Run("summary", "bold-compare-mlp", "--json");
        Assert.That(code, Is.Zero, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement totals = json.RootElement.GetProperty("totals");
        Assert.That(Stored(totals, "bit"), Is.EqualTo(128 * 784 + 128 + 10 * 128), "bit-plane weights, flips and the Boolean head");
        Assert.That(Stored(totals, "float32"), Is.Zero);
        Assert.That(json.RootElement.GetProperty("metadata").GetProperty("weights").GetString(), Does.StartWith("untrained"));
        Assert.That(json.RootElement.GetProperty("layers")[0].GetProperty("kind").GetString(), Is.EqualTo("bitplane-dense"));

        (code, output, error) = Run("summary", "bold-compare-cnn");
        Assert.That(code, Is.Zero, error);
        Assert.That(output.Split('\n').Max(line => line.Length), Is.LessThanOrEqualTo(SummaryReport.Width), output);
    }

    [Test]
    public void UnknownNameSaysWhatWasTried()
    {
        var (code, _, error) = Run("summary", "no-such-model-or-file");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("no-such-model-or-file").And.Contain("model file").And.Contain("run folder")
            .And.Contain("catalogue").And.Contain("bold-mlp"));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1), "one line");
    }
}
