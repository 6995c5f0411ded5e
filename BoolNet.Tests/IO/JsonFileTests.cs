using BoolNet.Training.Data;
using BoolNet.Training.IO;

namespace BoolNet.Tests.IO;

public class JsonFileTests
{
    public enum Method { FloatBaseline, Bold }

    public sealed record EpochMetrics(int Epoch, double TestAccuracy, double Seconds, Method Method, double[] Losses);

    [Test]
    public void RoundTripsIndentedCamelCase()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("metrics.json");
        var metrics = new EpochMetrics(3, 0.875, double.NaN, Method.Bold, [1.5, 0.25]);
        JsonFile.Write(path, metrics);

        string text = File.ReadAllText(path);
        Assert.That(text, Does.Contain("\n  \"epoch\": 3,").And.Contain("\"testAccuracy\": 0.875").And.Contain("\"method\": \"bold\"").And.Contain("\"NaN\""));
        var read = JsonFile.Read<EpochMetrics>(path);
        Assert.That(read.Epoch, Is.EqualTo(3));
        Assert.That(read.Seconds, Is.NaN);
        Assert.That(read.Method, Is.EqualTo(Method.Bold));
        Assert.That(read.Losses, Is.EqualTo(new[] { 1.5, 0.25 }));
        Assert.That(JsonFile.SerializeLine(metrics), Does.Not.Contain("\n").And.StartWith("{\"epoch\":3,"));
    }

    [Test]
    public void ReadErrorsNameTheFile()
    {
        using var folder = new TemporaryFolder();
        string missing = folder.File("none.json");
        var notFound = Assert.Throws<DataException>(() => JsonFile.Read<EpochMetrics>(missing))!;
        Assert.That(notFound.Message, Does.StartWith(missing + ": ").And.Contain("not found"));

        string broken = folder.File("broken.json");
        File.WriteAllText(broken, "{\n  \"epoch\": 3,\n  \"testAccuracy\": oops\n}");
        var invalid = Assert.Throws<DataException>(() => JsonFile.Read<EpochMetrics>(broken))!;
        Assert.That(invalid.Message, Does.StartWith(broken + ": ").And.Contain("invalid JSON").And.Contain("line 3"));

        string nothing = folder.File("null.json");
        File.WriteAllText(nothing, "null");
        Assert.That(Assert.Throws<DataException>(() => JsonFile.Read<EpochMetrics>(nothing))!.Message, Does.Contain("null"));
    }

    [Test]
    public void JsonLinesAppendAndReadBack()
    {
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, "run", "epochs.jsonl");
        JsonFile.AppendLine(path, new EpochMetrics(1, 0.5, 2.0, Method.FloatBaseline, []));
        JsonFile.AppendLine(path, new EpochMetrics(2, 0.6, 1.5, Method.FloatBaseline, [0.1]));
        Assert.That(File.ReadAllLines(path), Has.Length.EqualTo(2));
        var lines = JsonFile.ReadLines<EpochMetrics>(path);
        Assert.That(lines.Select(l => l.Epoch), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(lines[1].Losses, Is.EqualTo(new[] { 0.1 }));

        File.AppendAllText(path, "{\"epoch\": 3,\n");
        var error = Assert.Throws<DataException>(() => JsonFile.ReadLines<EpochMetrics>(path))!;
        Assert.That(error.Message, Does.StartWith(path + ": ").And.Contain("line 3"));
    }
}
