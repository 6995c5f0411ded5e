namespace BoolNet.Tests.Training;

/// <summary>The CLI's failure behaviour: one line on stderr, non-zero exit, no stack trace.</summary>
public class TrainCommandTests
{
    [Test]
    public void MissingDatasetFolderFailsWithOneClearLine()
    {
        var error = new StringWriter();
        TextWriter saved = Console.Error;
        Console.SetError(error);
        try
        {
            int code = BoolNet.Cli.Program.Main(["train", "--data", "/nonexistent/boolnet-data", "--epochs", "1", "--out", Path.GetTempPath()]);
            Assert.That(code, Is.Not.EqualTo(0));
        }
        finally
        {
            Console.SetError(saved);
        }
        string text = error.ToString().Trim();
        Assert.That(text, Does.StartWith("error:"));
        Assert.That(text, Does.Contain("/nonexistent/boolnet-data"));
        Assert.That(text, Does.Not.Contain("   at "));
    }

    [Test]
    public void UnknownModelFailsListingTheKnownOnes()
    {
        var error = new StringWriter();
        TextWriter saved = Console.Error;
        Console.SetError(error);
        try
        {
            Assert.That(BoolNet.Cli.Program.Main(["train", "--model", "no-such-model"]), Is.Not.EqualTo(0));
        }
        finally
        {
            Console.SetError(saved);
        }
        Assert.That(error.ToString(), Does.Contain("bold-mlp"));
    }
}
