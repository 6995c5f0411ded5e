using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace BoolNet.Commands;

/// <summary>
/// Numeric command-line options that check their value where it is parsed: a whole number or a finite
/// real number within the range stated next to the option. A bad value (NaN, Infinity, out of range,
/// not a number) is a parse error with one plain message, e.g. "option '--lr': 'NaN' is not a finite number",
/// never a .NET type name and never a value that reaches training or inference.
/// </summary>
public static class NumericOptions
{
    /// <summary>Threads a command may be given (0 = all cores): more would only add idle workers.</summary>
    public const int MaximumThreads = 1024;

    /// <summary>An optional whole-number option in <paramref name="minimum"/>..<paramref name="maximum"/> (null when absent).</summary>
    public static Option<int?> Integer(string name, string description, int minimum, int maximum) =>
        new(name) { Description = description, CustomParser = result => ParseInteger(result, name, minimum, maximum) };

    /// <summary>A whole-number option in <paramref name="minimum"/>..<paramref name="maximum"/> with a default.</summary>
    public static Option<int> Integer(string name, string description, int minimum, int maximum, int defaultValue) =>
        new(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => ParseInteger(result, name, minimum, maximum) ?? defaultValue,
        };

    /// <summary>
    /// An optional finite real option above <paramref name="minimum"/> (or at least it, when
    /// <paramref name="minimumIncluded"/>) and at most <paramref name="maximum"/>.
    /// </summary>
    public static Option<double?> Real(string name, string description, double minimum, bool minimumIncluded, double maximum) =>
        new(name) { Description = description, CustomParser = result => ParseReal(result, name, minimum, minimumIncluded, maximum) };

    /// <summary>As <see cref="Real(string, string, double, bool, double)"/> with a default.</summary>
    public static Option<double> Real(string name, string description, double minimum, bool minimumIncluded, double maximum, double defaultValue) =>
        new(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => ParseReal(result, name, minimum, minimumIncluded, maximum) ?? defaultValue,
        };

    /// <summary>
    /// An optional whole-number option in <paramref name="minimum"/>..<paramref name="maximum"/> that
    /// <paramref name="problem"/> also accepts (null) or refuses (the message).
    /// </summary>
    public static Option<int?> Integer(string name, string description, int minimum, int maximum, Func<int, string?> problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return new(name)
        {
            Description = description,
            CustomParser = result =>
            {
                int? value = ParseInteger(result, name, minimum, maximum);
                if (value is int v && problem(v) is string message)
                {
                    result.AddError($"option '{name}': {message}");
                    return null;
                }
                return value;
            },
        };
    }

    /// <summary>The <c>--threads</c> option as every command spells it: 0 (all cores) to <see cref="MaximumThreads"/>.</summary>
    public static Option<int> Threads(string description) => Integer("--threads", description, 0, MaximumThreads, 0);

    /// <summary>An optional <c>--threads</c>: 0 (all cores) to <see cref="MaximumThreads"/>, null when absent.</summary>
    public static Option<int?> OptionalThreads(string description) => Integer("--threads", description, 0, MaximumThreads);

    /// <summary>The text of the range, as the messages state it: "from 1 to 8", "above 0", "from 0 to 1".</summary>
    public static string RangeText(double minimum, bool minimumIncluded, double maximum)
    {
        string low = minimumIncluded ? $"from {Show(minimum)}" : $"above {Show(minimum)}";
        if (double.IsPositiveInfinity(maximum) || maximum >= double.MaxValue) return minimumIncluded ? $"at least {Show(minimum)}" : low;
        return minimumIncluded ? $"{low} to {Show(maximum)}" : $"{low} and at most {Show(maximum)}";
    }

    private static string Show(double value) => value.ToString("G", CultureInfo.InvariantCulture);

    private static string Token(ArgumentResult result) => result.Tokens.Count == 1 ? result.Tokens[0].Value : "";

    private static int? ParseInteger(ArgumentResult result, string name, int minimum, int maximum)
    {
        string text = Token(result);
        string range = minimum == maximum ? $"{minimum}" : maximum == int.MaxValue ? $"at least {minimum}" : $"from {minimum} to {maximum}";
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out long value))
        {
            result.AddError($"option '{name}': '{Printable(text)}' is not a whole number; expected one {range}");
            return null;
        }
        if (value < minimum || value > maximum)
        {
            result.AddError($"option '{name}': {value} is out of range; expected a whole number {range}");
            return null;
        }
        return (int)value;
    }

    private static double? ParseReal(ArgumentResult result, string name, double minimum, bool minimumIncluded, double maximum)
    {
        string text = Token(result);
        string range = RangeText(minimum, minimumIncluded, maximum);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            result.AddError($"option '{name}': '{Printable(text)}' is not a finite number; expected one {range}");
            return null;
        }
        if (value < minimum || (value == minimum && !minimumIncluded) || value > maximum)
        {
            result.AddError($"option '{name}': {Show(value)} is out of range; expected a number {range}");
            return null;
        }
        return value;
    }

    /// <summary>
    /// <paramref name="text"/> safe to print on one line: control characters (NUL, escape, newlines)
    /// become '?', and more than 64 characters are cut with "...".
    /// </summary>
    public static string Printable(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var clean = new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return clean.Length <= 64 ? clean : clean[..64] + "...";
    }
}
