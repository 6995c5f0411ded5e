using System.Text.Json;
using BoolNet.Inference;
using BoolNet.Inference.Serialization;
using StbImageWriteSharp;

namespace BoolNet.Tests.Deploy;

/// <summary>The <c>boolnet export | summary | predict | bench</c> commands end to end on a small model.</summary>
[NonParallelizable]
public sealed class DeployCommandTests
{
    private string _folder = "";

    [SetUp]
    public void CreateFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), "boolnet-deploy-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
    }

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        TextWriter output = Console.Out, error = Console.Error;
        var captured = new StringWriter();
        var capturedError = new StringWriter();
        Console.SetOut(captured);
        Console.SetError(capturedError);
        try
        {
            int code = BoolNet.Cli.Program.Main(args);
            return (code, captured.ToString(), capturedError.ToString());
        }
        finally
        {
            Console.SetOut(output);
            Console.SetError(error);
        }
    }

    [Test]
    public void EvaluateTakesTheRunPositionallyOrWithTheOldOption()
    {
        string missing = Path.Combine(_folder, "no-such-run");
        foreach (string[] args in new[] { new[] { "evaluate", missing }, new[] { "evaluate", "-c", missing } })
        {
            var (code, _, error) = Run(args);
            Assert.That(code, Is.EqualTo(1));
            Assert.That(error, Does.Contain(missing).And.Not.Contain("Unrecognized"), string.Join(' ', args));
        }
        var (none, _, noneError) = Run("evaluate");
        Assert.That(none, Is.EqualTo(1));
        Assert.That(noneError, Does.Contain("evaluate needs RUN"));
    }

    [Test]
    public void PredictBenchAndSummaryRunOnAModelFile()
    {
        InferenceModel model = NetworkFolder.Fold(FoldingTests.BitPlaneNetwork(2), [new("classes", "a,b,c,d,e,f,g,h,i,j")]);
        string path = Path.Combine(_folder, "model.bnm");
        ModelCodec.Save(path, model);
        byte[] image = FoldingTests.RandomImages(1, 3, model.InputShape.Size);
        string png = Path.Combine(_folder, "image.png");
        using (var stream = File.Create(png))
            new ImageWriter().WritePng(image, model.InputShape.Width, model.InputShape.Height, ColorComponents.Grey, stream);

        var (code, output, error) = Run("predict", path, png, "--json", "--top", "2");
        Assert.That(code, Is.Zero, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement top = json.RootElement[0].GetProperty("top");
        Assert.That(top.GetArrayLength(), Is.EqualTo(2));
        var scores = new float[10];
        model.Predict(image, scores);
        Assert.That(top[0].GetProperty("class").GetInt32(), Is.EqualTo(InferenceModel.ArgMax(scores)));
        Assert.That(top[0].GetProperty("name").GetString(), Is.EqualTo(((char)('a' + InferenceModel.ArgMax(scores))).ToString()));

        (code, output, error) = Run("bench", path, "--batch", "16", "--threads", "2", "--seconds", "0.2", "--json");
        Assert.That(code, Is.Zero, error);
        using JsonDocument bench = JsonDocument.Parse(output);
        Assert.That(bench.RootElement.GetProperty("images_per_second").GetDouble(), Is.GreaterThan(0));
        Assert.That(bench.RootElement.GetProperty("allocated_bytes_per_batch1_call").GetInt64(), Is.Zero);

        Assert.That(Run("summary", path).Code, Is.Zero);
    }

    [Test]
    public void DamagedModelFailsWithOneClearLine()
    {
        string path = Path.Combine(_folder, "model.bnm");
        ModelCodec.Save(path, NetworkFolder.Fold(FoldingTests.BitPlaneNetwork(2)));
        byte[] bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(path, bytes);
        var (code, _, error) = Run("bench", path, "--seconds", "0.1");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain(path).And.Contain("checksum mismatch"));
    }
}
