using System.CommandLine;
using System.Text.Json.Nodes;
using BoolNet.Cli;
using BoolNet.Commands;
using BoolNet.Inference.Serialization;
using BoolNet.Training.Models;

namespace BoolNet.Tests.Training;

/// <summary>
/// The command line reads well at 80 columns and never shows .NET internals: <c>models</c>, <c>show</c>,
/// parse errors of both binaries, a training checkpoint given to the inference tool, <c>--resume --epochs</c>.
/// </summary>
public class CommandLineTextTests
{
    private static (int Code, string Out, string Error) Run(Func<int> body)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        TextWriter savedOut = Console.Out, savedError = Console.Error;
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            return (body(), output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedError);
        }
    }

    private static (int Code, string Out, string Error) Boolnet(params string[] args) => Run(() => BoolNet.Cli.Program.Main(args));

    private static (int Code, string Out, string Error) Infer(params string[] args) => Run(() =>
    {
        var root = new RootCommand("boolnet-infer");
        InferenceCommands.AddTo(root, new ModelFileSource());
        return CommandInvocation.Invoke(root, args, "boolnet-infer");
    });

    private static void AssertFitsEightyColumns(string text)
    {
        foreach (string line in text.Split('\n')) Assert.That(line.Length, Is.LessThanOrEqualTo(80), line);
    }

    [Test]
    public void ModelsListsEachCatalogueModelOnOneLineUnderEightyColumns()
    {
        (int code, string text, _) = Boolnet("models");
        Assert.That(code, Is.EqualTo(0));
        AssertFitsEightyColumns(text);
        string[] lines = text.Split('\n');
        foreach (ModelEntry entry in ModelCatalog.All)
            Assert.That(lines.Count(l => l.StartsWith(entry.Name + " ", StringComparison.Ordinal)), Is.EqualTo(1), entry.Name);
        Assert.That(lines.Single(l => l.StartsWith("bold-mlp ", StringComparison.Ordinal)),
            Does.Contain("MLP").And.Contain("1.05M").And.Contain("Boolean MLP 784-1024-1024-10"));
        Assert.That(lines.Single(l => l.StartsWith("sgd-mlp ", StringComparison.Ordinal)), Does.Contain("102k"));
        Assert.That(lines.Single(l => l.StartsWith(ModelCatalog.DefaultModel + " *", StringComparison.Ordinal)), Does.Contain("813k"));
        (_, string full, _) = Boolnet("models", "--full");
        AssertFitsEightyColumns(full);
        Assert.That(full, Does.Contain("integer-only inference"));
    }

    [Test]
    public void CompactCountsAndFirstPhrases()
    {
        Assert.That(new[] { 0L, 950, 7_860, 814_090, 1_048_576, 15_200_000 }.Select(ModelList.Compact),
            Is.EqualTo(new[] { "-", "950", "7.9k", "814k", "1.05M", "15.2M" }));
        Assert.That(ModelList.FirstPhrase("Boolean MLP 784-1024-1024-10: float first layer, more"), Is.EqualTo("Boolean MLP 784-1024-1024-10"));
        Assert.That(ModelList.FirstPhrase("The small CNN (3 bits) with a conv"), Is.EqualTo("The small CNN"));
    }

    [Test]
    public void ParseErrorsNameTheExpectedValueInWordsAndPointAtHelp()
    {
        (int code, string output, string error) = Boolnet("train", "--epochs", "abc");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Is.Empty);
        Assert.That(error, Does.Contain("error: option '--epochs': 'abc' is not a whole number"));
        Assert.That(error, Does.Contain("see `boolnet train --help`"));
        Assert.That(error, Does.Not.Contain("System.").And.Not.Contain("Nullable"));
        Assert.That(CommandInvocation.Reword("Cannot parse argument 'x' for option '--lr' as expected type 'System.Nullable`1[System.Double]'."),
            Is.EqualTo("option '--lr': 'x' is not a number"));
    }

    [Test]
    public void TheInferenceToolRejectsUnknownFlagsEvenWherePathsAreExpected()
    {
        (int code, string _, string error) = Infer("bench", "model.bnm", "--thread", "1");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("unknown option '--thread' (did you mean --threads?)"));
        (code, _, error) = Infer("predict", "model.bnm", "--thread", "1", "images.idx");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("unknown option '--thread' (did you mean --threads?)"));
        Assert.That(error, Does.Contain("see `boolnet-infer predict --help`"));
    }

    [Test]
    public void TheInferenceToolSendsATrainingCheckpointToExport()
    {
        string folder = Directory.CreateTempSubdirectory("boolnet-ckpt").FullName;
        try
        {
            string checkpoint = Path.Combine(folder, "checkpoint.bin");
            File.WriteAllBytes(checkpoint, [.. "BOOLNET-CHECKPOINT-2"u8, .. new byte[64]]);
            var e = Assert.Throws<ModelFormatException>(() => new ModelFileSource().Load(checkpoint));
            Assert.That(e!.Message, Does.Contain("training checkpoint").And.Contain("boolnet export"));
            e = Assert.Throws<ModelFormatException>(() => new ModelFileSource().Load(folder));
            Assert.That(e!.Message, Does.Contain("only a training checkpoint").And.Contain("boolnet export"));
            (int code, _, string error) = Infer("summary", folder);
            Assert.That(code, Is.EqualTo(1));
            Assert.That(error, Does.Contain("boolnet export").And.Not.Contain("magic"));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Test]
    public void ShowFormatsAFinishedRunAndFailsClearlyOnAFolderWithoutOne()
    {
        string folder = Directory.CreateTempSubdirectory("boolnet-show").FullName;
        try
        {
            (int code, _, string error) = Boolnet("show", folder);
            Assert.That(code, Is.EqualTo(1));
            Assert.That(error, Does.StartWith("error:").And.Contain("metrics.json"));
            File.WriteAllText(Path.Combine(folder, "metrics.json"), "{ not json");
            (code, _, error) = Boolnet("show", folder);
            Assert.That(code, Is.EqualTo(1));
            Assert.That(error, Does.Contain("not a metrics.json"));
            var metrics = new JsonObject
            {
                ["model"] = "bold-mlp", ["dataset"] = "fashion-mnist", ["command_line"] = "boolnet train --epochs 2",
                ["version"] = "1.0.0", ["started_utc"] = "2026-12-05T00:00:00Z", ["written_utc"] = "2026-12-05T00:01:00Z",
                ["layers"] = "28x28x1 > real-linear 1024 > batch-norm > threshold > boolean-linear 1024 > batch-norm > threshold > real-linear 10",
                ["parameters_by_type"] = new JsonObject { ["boolean"] = 1_048_576, ["integer"] = 0, ["float"] = 817_162 },
                ["options"] = new JsonObject { ["batch_size"] = 100, ["seed"] = 1, ["epochs"] = 2 },
                ["steps_per_epoch"] = 600, ["threads"] = 2, ["isa"] = "avx512",
                ["final"] = new JsonObject
                {
                    ["epochs"] = 2, ["test_accuracy"] = 0.8412, ["test_loss"] = 0.45, ["mean_epoch_seconds"] = 23.4, ["weights_sha256"] = "ab12",
                    ["boolean_tensors"] = new JsonObject { ["3.boolean-linear.weight"] = new JsonObject { ["flipped_fraction"] = 0.06, ["stalled_epochs"] = 0 } },
                },
                ["memory"] = new JsonObject { ["peak_rss_bytes"] = 400 << 20, ["bytes_per_boolean_weight"] = 8.125 },
                ["epochs"] = new JsonArray(
                    new JsonObject { ["epoch"] = 1, ["train_loss"] = 0.55, ["train_accuracy"] = 0.8, ["test_loss"] = 0.5, ["test_accuracy"] = 0.82, ["seconds"] = 23.0 },
                    new JsonObject { ["epoch"] = 2, ["train_loss"] = 0.41, ["train_accuracy"] = 0.85, ["test_loss"] = 0.45, ["test_accuracy"] = 0.8412, ["seconds"] = 23.8 }),
            };
            File.WriteAllText(Path.Combine(folder, "metrics.json"), metrics.ToJsonString());
            string output;
            (code, output, _) = Boolnet("show", folder);
            Assert.That(code, Is.EqualTo(0));
            AssertFitsEightyColumns(output);
            Assert.That(output, Does.Contain("command: boolnet train --epochs 2").And.Contain("1,048,576 Boolean"));
            Assert.That(output, Does.Contain("final test accuracy 84.12 % after 2 epochs").And.Contain("6.000 %"));
            Assert.That(output.Split('\n').Single(l => l.TrimStart().StartsWith("2 ")), Does.Contain("84.12 %").And.Contain("39.7"));
            Assert.That(output, Does.Contain("no curves.png"));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Test]
    public void ResumeWithEpochsExtendsARunAndMetricsRecordHowItRan()
    {
        string folder = Path.Combine(Directory.CreateTempSubdirectory("boolnet-extend").FullName, "run");
        try
        {
            string[] common = ["--threads", "1", "--out", folder];
            (int code, string output, string error) = Boolnet(["train", "--model", "sgd-mlp", "--epochs", "1", "--train-limit", "256", "--test-limit", "128", .. common]);
            Assert.That(code, Is.EqualTo(0), error);
            AssertFitsEightyColumns(output);
            Assert.That(output, Does.Contain("256 of 60,000 training images, 128 of 10,000 test"));
            Assert.That(output, Does.Contain("layers: 28x28x1 > real-linear 128 > relu > layer-norm > real-linear 10 >"));
            Assert.That(output, Does.Not.Contain("Boolean weight").And.Not.Contain("flipped"));
            (code, output, error) = Boolnet(["train", "--resume", folder, "--epochs", "2", .. common]);
            Assert.That(code, Is.EqualTo(0), error);
            Assert.That(output, Does.Contain("resuming after epoch 1, extended from 1 to 2 epochs"));
            Assert.That(output, Does.Contain("epoch 2/2"));
            var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json")))!.AsObject();
            Assert.That(metrics["epochs"]!.AsArray(), Has.Count.EqualTo(2));
            Assert.That(metrics["command_line"]!.GetValue<string>(), Does.StartWith("boolnet train --resume").And.Contain("--epochs 2"));
            Assert.That(metrics["version"]!.GetValue<string>(), Is.Not.Empty);
            Assert.That(DateTime.Parse(metrics["started_utc"]!.GetValue<string>()), Is.Not.EqualTo(default(DateTime)));
            Assert.That(metrics["epochs"]![0]!.AsObject().ContainsKey("flip_ratio"), Is.False, "no Boolean weights, no flip fields");
            Assert.That(metrics["memory"]!.AsObject().ContainsKey("bytes_per_boolean_weight"), Is.False);
            (code, _, error) = Boolnet(["train", "--resume", folder, "--epochs", "1", .. common]);
            Assert.That(code, Is.EqualTo(1));
            Assert.That(error, Does.Contain("already done 2 epochs"));
            (code, output, _) = Boolnet("show", folder);
            Assert.That(code, Is.EqualTo(0));
            Assert.That(output, Does.Contain("after 2 epochs").And.Contain("curves: "));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(folder)!, true);
        }
    }
}
