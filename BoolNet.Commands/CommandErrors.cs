namespace BoolNet.Commands;

/// <summary>The error policy of both binaries: an expected failure is one clear line and exit code 1, never a stack trace.</summary>
public static class CommandErrors
{
    /// <summary>Runs <paramref name="body"/>; expected exceptions print "error: message" to standard error and return 1.</summary>
    /// <remarks>
    /// Bad files are <see cref="IOException"/>s (model-file, data and checkpoint faults derive from it) or
    /// <see cref="InvalidDataException"/>s; bad values are <see cref="ArgumentException"/>s (an unknown model name too).
    /// </remarks>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (IsExpected(e))
        {
            Console.Error.WriteLine($"error: {Printable(e.Message)}");
            return 1;
        }
    }

    /// <summary>A message safe for a terminal: control characters other than newline and tab (a decoder's NUL bytes, escapes) become '?'.</summary>
    public static string Printable(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return string.Create(message.Length, message, (span, text) =>
        {
            for (int i = 0; i < text.Length; i++) span[i] = char.IsControl(text[i]) && text[i] is not ('\n' or '\t') ? '?' : text[i];
        });
    }

    /// <summary>True for the failures a user can cause and fix (files, values, permissions), false for bugs.</summary>
    public static bool IsExpected(Exception e) =>
        e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException or FormatException
            or InvalidOperationException or OperationCanceledException;
}
