namespace BoolNet.Training.Data;

/// <summary>
/// A data file or folder that cannot be used: missing, truncated, wrong magic, wrong shape.
/// The message always names the file and the fault.
/// </summary>
public class DataException : IOException
{
    /// <summary>Creates the error for <paramref name="path"/>.</summary>
    public DataException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The file or folder at fault.</summary>
    public string Path { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}

/// <summary>A dataset that is not installed, with the command that installs it.</summary>
public sealed class DatasetNotFoundException : DataException
{
    /// <summary>Creates the error.</summary>
    public DatasetNotFoundException(string path, string dataset, string installHint)
        : base(path, $"dataset '{dataset}' not found. {installHint}")
    {
        Dataset = dataset;
        InstallHint = installHint;
    }

    /// <summary>The dataset name.</summary>
    public string Dataset { get; }

    /// <summary>How to install it.</summary>
    public string InstallHint { get; }
}
