using System.Runtime.InteropServices;

namespace BoolNet.Core.IO;

/// <summary>
/// Guards for files a user names as input: only regular files are read (a FIFO would block on open, a
/// device such as <c>/dev/zero</c> never ends), and never more bytes than a stated limit. The type is
/// asked of the file system (<c>statx</c> on Linux) without opening the file; where that is not
/// available the check passes and the bounded read still stops runaway input.
/// </summary>
public static partial class InputFile
{
    /// <summary>
    /// Null for a regular file (or when the type cannot be asked), else what the path is instead, e.g.
    /// "a FIFO (named pipe)" or "a character device".
    /// </summary>
    public static string? NotRegular(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) return "a directory";
        if (!OperatingSystem.IsLinux()) return null;
        int type;
        try
        {
            type = FileType(path);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        return type switch
        {
            -1 or RegularFile => null, // -1: not found or not allowed; opening it reports that with its own message
            Fifo => "a FIFO (named pipe)",
            CharacterDevice => "a character device",
            BlockDevice => "a block device",
            Socket => "a socket",
            DirectoryType => "a directory",
            _ => "not a regular file",
        };
    }

    /// <summary>
    /// The bytes of the regular file <paramref name="path"/>, at most <paramref name="maximumBytes"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a regular file, or larger than the limit (the message names the file).</exception>
    /// <exception cref="IOException">Missing or unreadable.</exception>
    public static byte[] ReadAllBytes(string path, long maximumBytes)
    {
        if (NotRegular(path) is string what) throw new InvalidDataException($"{path}: is {what}, not a regular file; only regular files are read");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        long length = stream.Length;
        if (length > maximumBytes) throw new InvalidDataException($"{path}: file is {length:N0} bytes, more than the {maximumBytes:N0}-byte limit for this input");
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        if (stream.ReadByte() >= 0) throw new InvalidDataException($"{path}: file grew while it was read");
        return bytes;
    }

    private const int RegularFile = 0x8000, Fifo = 0x1000, CharacterDevice = 0x2000, BlockDevice = 0x6000, Socket = 0xC000, DirectoryType = 0x4000;

    /// <summary>The S_IFMT bits of the file's mode, following links; -1 when statx fails.</summary>
    private static unsafe int FileType(string path)
    {
        // struct statx (linux/stat.h) is the same on every architecture: stx_mode is the u16 at offset 28.
        const int AtCurrentDirectory = -100, StatxType = 1, StatxSize = 256, ModeOffset = 28;
        byte* buffer = stackalloc byte[StatxSize];
        if (Statx(AtCurrentDirectory, path, 0, StatxType, buffer) != 0) return -1;
        return *(ushort*)(buffer + ModeOffset) & 0xF000;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);
}
