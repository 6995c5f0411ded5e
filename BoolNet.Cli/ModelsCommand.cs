using System.CommandLine;
using System.Globalization;
using BoolNet.Commands;
using BoolNet.Layers;
using BoolNet.Training.Models;

namespace BoolNet.Cli;

/// <summary><c>boolnet models</c>: the catalogue, one line per model (80 columns).</summary>
internal static partial class TrainingCommands
{
    static partial void AddModels(RootCommand root)
    {
        var full = new Option<bool>("--full") { Description = "Whole descriptions, wrapped under 80 columns" };
        var command = new Command("models", "List the catalogue's models: kind, parameters by type, description") { full };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            Console.Write(ModelList.Format([.. ModelCatalog.All], parse.GetValue(full)));
            return 0;
        }));
        root.Subcommands.Add(command);
    }
}

/// <summary>The text of <c>boolnet models</c>.</summary>
internal static class ModelList
{
    /// <summary>
    /// One line per model: name (* the default), MLP or CNN, its Boolean, integer and float parameters
    /// for its dataset's input, and the description's first phrase (<paramref name="full"/>: then the whole
    /// description, wrapped and indented under the line), e.g.
    /// <code>
    /// model                  kind   bits    int  float  description
    /// bold-mlp               MLP   1.05M      -   814k  Boolean MLP 784-1024-1024-10
    /// </code>
    /// </summary>
    public static string Format(IReadOnlyList<ModelEntry> entries, bool full = false)
    {
        var table = new TextTable("model", "kind", ">bits", ">int", ">float", "description");
        var rows = new List<string[]>();
        foreach (ModelEntry entry in entries)
        {
            Network network = entry.Build(IntendedInput(entry), ModelSource.CatalogueClasses, entry.Defaults.Seed);
            (long boolean, long integer, long real) = TrainHeader.CountParameters(network);
            string kind = network.Layers.Any(l => l.Kind.Contains("conv", StringComparison.Ordinal)) ? "CNN" : "MLP";
            string name = entry.Name == ModelCatalog.DefaultModel ? entry.Name + " *" : entry.Name;
            rows.Add([name, kind, Compact(boolean), Compact(integer), Compact(real), FirstPhrase(entry.Description)]);
        }
        string[] descriptions = entries.Select(e => e.Description).ToArray();
        int fixedWidth = rows.Prepend(["model", "kind", "bits", "int", "float", ""]).Select(r => r[..5]).Aggregate(
            new int[5], (w, r) => w.Zip(r, (a, c) => Math.Max(a, c.Length)).ToArray()).Sum() + 2 * 5;
        int room = TrainReport.Width - fixedWidth;
        foreach (string[] row in rows)
        {
            if (row[5].Length > room) row[5] = row[5][..Math.Max(0, room - 3)].TrimEnd() + "...";
            table.Add(row);
        }
        var text = new System.Text.StringBuilder();
        string[] lines = table.ToString().TrimEnd('\n').Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            text.Append(lines[i]).Append('\n');
            if (!full || i < 2) continue;
            foreach (string piece in TrainReport.Wrap(descriptions[i - 2], TrainReport.Width - 4)) text.Append("    ").Append(piece.TrimStart()).Append('\n');
        }
        return text + "* the default model of `boolnet train`; parameters for a 28x28x1 input (32x32x3\n" +
               "  for the CIFAR-10 models); `boolnet summary MODEL` shows the layers\n";
    }

    /// <summary>The input a catalogue model is meant for: 32x32x3 when its description names CIFAR-10 or 32x32x3, else 28x28x1.</summary>
    public static TensorShape IntendedInput(ModelEntry entry) =>
        entry.Description.Contains("32x32x3", StringComparison.Ordinal) || entry.Description.Contains("CIFAR", StringComparison.Ordinal)
            ? new TensorShape(32, 32, 3) : ModelSource.CatalogueInput;

    /// <summary>The description up to its first ':', ';', ' (' or ', '.</summary>
    public static string FirstPhrase(string description)
    {
        int end = description.Length;
        foreach (string mark in new[] { ":", ";", " (", ", " })
        {
            int at = description.IndexOf(mark, StringComparison.Ordinal);
            if (at > 0) end = Math.Min(end, at);
        }
        return description[..end];
    }

    /// <summary>"-", "950", "7.9k", "814k", "1.05M", "15.2M".</summary>
    public static string Compact(long value) => value switch
    {
        0 => "-",
        < 1_000 => value.ToString(CultureInfo.InvariantCulture),
        < 10_000 => Invariant($"{value / 1e3:F1}k"),
        < 999_500 => Invariant($"{value / 1e3:F0}k"),
        < 9_995_000 => Invariant($"{value / 1e6:F2}M"),
        < 99_950_000 => Invariant($"{value / 1e6:F1}M"),
        _ => Invariant($"{value / 1e6:F0}M"),
    };

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
