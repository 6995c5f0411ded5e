using BoolNet.Train.Data;
using BoolNet.Train.Models;
using Spectre.Console;

namespace BoolNet.Train.Cli;

/// <summary>Runs a command body and turns expected failures into one clear line and exit code 1.</summary>
internal static class CliErrors
{
    /// <summary>Runs <paramref name="body"/>; expected exceptions print "error: message" and return 1.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is DataException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException
                                      or UnknownModelException or ArgumentException or IOException or UnauthorizedAccessException
                                      or InvalidOperationException or OperationCanceledException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Escapes text for Spectre markup.</summary>
    public static string Escape(string text) => Markup.Escape(text);
}
