namespace BoolNet.Inference.Serialization;

/// <summary>
/// A model file that cannot be used: missing, truncated, wrong magic, unknown version, bad checksum,
/// malformed section or inconsistent shapes. The message always names the file and the fault.
/// </summary>
public sealed class ModelFormatException : IOException
{
    /// <summary>Creates the error for <paramref name="path"/>.</summary>
    public ModelFormatException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The file at fault (or a description of the stream when there is no file).</summary>
    public string Path { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}
