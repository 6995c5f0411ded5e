using BoolNet.Commands;
using Spectre.Console;

namespace BoolNet.Cli;

/// <summary>Error handling and markup escaping for the training commands.</summary>
internal static class CliErrors
{
    /// <summary>Runs <paramref name="body"/> under the shared error policy (<see cref="CommandErrors.Run"/>).</summary>
    public static int Run(Func<int> body) => CommandErrors.Run(body);

    /// <summary>Escapes text for Spectre markup.</summary>
    public static string Escape(string text) => Markup.Escape(text);
}
