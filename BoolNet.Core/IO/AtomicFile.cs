using System.Text;

namespace BoolNet.Core.IO;

/// <summary>
/// Writes files atomically: the content goes to a temporary file in the target's folder, is flushed
/// to disk (fsync), then renamed over the target. A reader sees the old file or the complete new one,
/// never a partial write; a writer that throws leaves the old file untouched and no temporary file.
/// The rename is atomic because both names are in one folder, hence on one file system.
/// A target that is a symbolic link is followed: the file it points to is replaced and the link kept.
/// The temporary file's name holds the writer's process id; a write that was killed leaves it behind,
/// and the next write of the same target removes those of processes no longer running.
/// </summary>
public static class AtomicFile
{
    static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(path, stream => stream.Write(bytes));
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark) to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        WriteAllBytes(path, Utf8NoBom.GetBytes(text));
    }

    /// <summary>
    /// Lets <paramref name="write"/> fill a fresh stream, then puts it in place of <paramref name="path"/>
    /// atomically. Creates the target's folder if missing. If <paramref name="write"/> throws, the
    /// exception propagates, the temporary file is deleted and the old file (if any) is unchanged.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        string target = FollowLinks(Path.GetFullPath(path));
        string folder = Path.GetDirectoryName(target) ?? throw new ArgumentException($"{path}: has no parent folder", nameof(path));
        if (Directory.Exists(target)) throw new IOException($"{path}: is a directory");
        Directory.CreateDirectory(folder);
        RemoveStaleTemporaries(folder, Path.GetFileName(target));
        string temporary = Path.Combine(folder, $".{Path.GetFileName(target)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Writes through a <see cref="StreamWriter"/> (UTF-8, no byte-order mark), atomically.</summary>
    public static void WriteText(string path, Action<TextWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, Utf8NoBom, 1 << 16, leaveOpen: true);
            write(writer);
            writer.Flush();
        });
    }

    /// <summary>The final target of <paramref name="path"/> when it is a symbolic link (even a dangling one), else the path.</summary>
    static string FollowLinks(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is null) return path;
        FileSystemInfo? final = info.ResolveLinkTarget(returnFinalTarget: true);
        return final is null ? path : Path.GetFullPath(final.FullName);
    }

    /// <summary>
    /// Deletes ".NAME.PID.GUID.tmp" files in <paramref name="folder"/> whose process is no longer running
    /// (left by a killed write); those of running processes, and names of another form, are kept.
    /// </summary>
    public static int RemoveStaleTemporaries(string folder, string name)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(name);
        int removed = 0;
        string prefix = $".{name}.";
        try
        {
            foreach (string file in Directory.EnumerateFiles(folder, $".{name}.*.tmp"))
            {
                string middle = Path.GetFileName(file)[prefix.Length..^".tmp".Length];
                int dot = middle.IndexOf('.', StringComparison.Ordinal);
                if (dot <= 0 || !int.TryParse(middle.AsSpan(0, dot), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int process)) continue;
                if (process == Environment.ProcessId || IsRunning(process)) continue;
                TryDelete(file);
                removed++;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a folder that cannot be listed fails the write itself with a clearer message.
        }
        return removed;
    }

    static bool IsRunning(int process)
    {
        if (Directory.Exists("/proc/self")) return Directory.Exists($"/proc/{process}");
        try
        {
            using var running = System.Diagnostics.Process.GetProcessById(process);
            return !running.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the original exception matters more than a leftover temporary file.
        }
    }
}
