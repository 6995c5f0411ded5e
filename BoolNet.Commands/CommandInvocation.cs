using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace BoolNet.Commands;

/// <summary>
/// Parses and runs a command line for both binaries. A line that does not parse gets one
/// "error: ..." line per problem on standard error (plain words for the expected value, never a .NET
/// type name; the option meant, where one is close) and a pointer to the command's help, exit code 1.
/// An unknown option is an error even where a path argument would take it (<c>predict M --thread 1 x</c>).
/// </summary>
public static partial class CommandInvocation
{
    /// <summary>Parses <paramref name="args"/> against <paramref name="root"/> and runs the command, or reports why it cannot.</summary>
    public static int Invoke(RootCommand root, string[] args, string program)
    {
        ParseResult parse = root.Parse(args);
        List<string> errors = Errors(parse);
        if (errors.Count == 0) return parse.Invoke();
        foreach (string error in errors) Console.Error.WriteLine($"error: {error}");
        string command = string.Join(' ', CommandPath(parse.CommandResult));
        Console.Error.WriteLine($"see `{program}{(command.Length > 0 ? " " + command : "")} --help` for its options");
        return 1;
    }

    /// <summary>The problems of <paramref name="parse"/>, reworded (empty when it can run).</summary>
    public static List<string> Errors(ParseResult parse)
    {
        Command command = parse.CommandResult.Command;
        var errors = parse.Errors.Select(e => Reword(e.Message, OptionNames(command))).ToList();
        foreach (Token token in parse.Tokens)
        {
            if (token.Type != TokenType.Argument || !LooksLikeOption(token.Value)) continue;
            if (File.Exists(token.Value) || Directory.Exists(token.Value)) continue; // a file may be named "--x"
            if (errors.Any(e => e.Contains($"'{token.Value}'", StringComparison.Ordinal))) continue;
            errors.Add(Unknown(token.Value, OptionNames(command)));
        }
        return errors.Distinct().ToList();
    }

    /// <summary>A parser message in plain words: "System.Nullable`1[System.Int32]" becomes "a whole number".</summary>
    public static string Reword(string message) => Reword(message, []);

    /// <summary>As <see cref="Reword(string)"/>, suggesting the closest of <paramref name="options"/> for an unknown option.</summary>
    public static string Reword(string message, IEnumerable<string> options)
    {
        string flat = string.Join(' ', message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        Match cannot = CannotParse().Match(flat);
        if (cannot.Success)
            return $"{cannot.Groups["what"].Value} '{cannot.Groups["name"].Value}': '{cannot.Groups["value"].Value}' is not {Describe(cannot.Groups["type"].Value)}";
        Match unmatched = NotMatched().Match(flat);
        if (unmatched.Success)
        {
            string token = unmatched.Groups["token"].Value;
            string[] near = unmatched.Groups["near"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return LooksLikeOption(token) ? Unknown(token, near.Concat(options)) : $"unexpected argument '{token}'";
        }
        Match unrecognized = Unrecognized().Match(flat);
        if (unrecognized.Success)
        {
            string token = unrecognized.Groups["token"].Value;
            return LooksLikeOption(token) ? Unknown(token, options) : $"unexpected argument '{token}'";
        }
        return flat.TrimEnd('.');
    }

    /// <summary>What a .NET type name asks for, in words.</summary>
    public static string Describe(string typeName)
    {
        string name = NullableOf().Match(typeName) is { Success: true } m ? m.Groups[1].Value : typeName;
        return name switch
        {
            "System.Int32" or "System.Int64" or "System.Int16" or "System.UInt32" or "System.Byte" => "a whole number",
            "System.Double" or "System.Single" or "System.Decimal" => "a number",
            "System.Boolean" => "true or false",
            _ => "a value of the expected kind",
        };
    }

    private static string Unknown(string token, IEnumerable<string> options)
    {
        string[] near = options.Where(o => o.StartsWith("--", StringComparison.Ordinal) && Close(token, o)).Distinct().ToArray();
        return $"unknown option '{token}'" + (near.Length > 0 ? $" (did you mean {string.Join(" or ", near)}?)" : "");
    }

    private static bool LooksLikeOption(string token) =>
        token.Length > 2 && token.StartsWith("--", StringComparison.Ordinal) && char.IsLetter(token[2])
        || token.Length == 2 && token[0] == '-' && char.IsLetter(token[1]);

    /// <summary>One name is a prefix of the other, or they differ by at most two edits.</summary>
    private static bool Close(string a, string b) =>
        a.StartsWith(b, StringComparison.Ordinal) || b.StartsWith(a, StringComparison.Ordinal) || Distance(a, b) <= 2;

    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    private static IEnumerable<string> OptionNames(Command command) =>
        command.Options.SelectMany(o => o.Aliases.Prepend(o.Name));

    private static List<string> CommandPath(CommandResult? result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c && c.Parent is not null; r = c.Parent) names.Insert(0, c.Command.Name);
        return names;
    }

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (?<what>option|command|argument) '(?<name>[^']*)' as expected type '(?<type>[^']*)'\.?$")]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"^'(?<token>[^']*)' was not matched\.(?: Did you mean one of the following\?)?\s*(?<near>.*)$")]
    private static partial Regex NotMatched();

    [GeneratedRegex(@"^Unrecognized command or argument '(?<token>[^']*)'\.?$")]
    private static partial Regex Unrecognized();

    [GeneratedRegex(@"^System\.Nullable`1\[(.+)\]$")]
    private static partial Regex NullableOf();
}
