namespace BoolNet.Training;

/// <summary>
/// A training checkpoint that cannot be used: missing, truncated, wrong magic, unknown version, bad
/// checksum, a header value out of range, state that does not match the network, or non-finite
/// numbers where they are not legal. The message always names the file and the fault ("PATH: ...").
/// </summary>
public sealed class CheckpointFormatException : IOException
{
    /// <summary>Creates the error for <paramref name="path"/>.</summary>
    public CheckpointFormatException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The checkpoint at fault.</summary>
    public string Path { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}
