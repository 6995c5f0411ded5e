namespace BoolNet.Cli;

/// <summary>
/// The output folder of one <c>boolnet train</c>, claimed before any data is read or any epoch runs: the
/// folder is created, a lock file (<c>.lock</c>) is created and held exclusively for the whole run, which
/// proves the folder writable and refuses a second training into the same folder while this one runs (the
/// kernel drops the lock when a process dies, so a killed run leaves nothing to clean up by hand). A
/// folder that already holds a run (<c>checkpoint.bin</c>) is refused unless the training resumes that
/// very run or <c>--force</c> was given.
/// </summary>
internal sealed class RunFolder : IDisposable
{
    /// <summary>The lock file's name inside the run folder.</summary>
    public const string LockFile = ".lock";

    private readonly FileStream _lock;
    private readonly string _lockPath;

    private RunFolder(FileStream handle, string lockPath)
    {
        _lock = handle;
        _lockPath = lockPath;
    }

    /// <summary>
    /// Claims <paramref name="folder"/> for a training; <paramref name="resumePath"/> is the checkpoint
    /// being resumed (null for a new run).
    /// </summary>
    /// <exception cref="ArgumentException">The folder holds another run and neither resuming it nor <paramref name="force"/>.</exception>
    /// <exception cref="IOException">The folder cannot be created or written, or another training holds it.</exception>
    public static RunFolder Claim(string folder, string? resumePath, bool force)
    {
        string full = Path.GetFullPath(folder);
        string existing = Path.Combine(full, TrainRunner.CheckpointFile);
        bool resumesHere = resumePath is not null && SamePath(Path.GetFullPath(resumePath), existing);
        if (!force && !resumesHere && File.Exists(existing))
            throw new ArgumentException(
                $"{folder} already holds a run ({TrainRunner.CheckpointFile}): --resume {folder} continues it, --force replaces it, --out names another folder");
        if (File.Exists(full)) throw new IOException($"--out {folder}: is a file, not a folder");
        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"--out {folder}: cannot create the output folder: {e.Message}", e);
        }
        string lockPath = Path.Combine(full, LockFile);
        FileStream handle;
        try
        {
            // FileShare.None is an exclusive advisory lock (flock) on Unix, held until the stream closes.
            handle = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"--out {folder}: the output folder is not writable: {e.Message}", e);
        }
        catch (IOException e) when (File.Exists(lockPath))
        {
            throw new IOException($"--out {folder}: another training is writing to this folder (it holds {LockFile}); wait for it or choose another --out", e);
        }
        catch (IOException e)
        {
            throw new IOException($"--out {folder}: the output folder is not writable: {e.Message}", e);
        }
        return new RunFolder(handle, lockPath);
    }

    private static bool SamePath(string a, string b)
    {
        static string Resolve(string path)
        {
            try { return File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path; }
            catch (IOException) { return path; }
        }
        return string.Equals(Resolve(a), Resolve(b), StringComparison.Ordinal);
    }

    /// <summary>Removes the lock file (still holding it) and releases the lock.</summary>
    public void Dispose()
    {
        try { File.Delete(_lockPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* the lock itself goes with the handle */ }
        _lock.Dispose();
    }
}
