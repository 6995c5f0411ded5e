using System.Text;

namespace BoolNet.Commands;

/// <summary>
/// A plain-text table: columns padded to their widest cell, two spaces apart, a rule under the header.
/// Plain characters only, so it reads the same in a terminal and in a piped log.
/// </summary>
public sealed class TextTable
{
    private readonly string[] _headers;
    private readonly bool[] _rightAligned;
    private readonly List<string[]?> _rows = [];

    /// <summary>A table with these column headers; a header starting with '>' is right-aligned (the '>' is dropped).</summary>
    public TextTable(params string[] headers)
    {
        _rightAligned = headers.Select(h => h.StartsWith('>')).ToArray();
        _headers = headers.Select(h => h.TrimStart('>')).ToArray();
    }

    /// <summary>Adds a row (missing cells are empty).</summary>
    public TextTable Add(params string[] cells)
    {
        if (cells.Length > _headers.Length) throw new ArgumentException($"{cells.Length} cells for {_headers.Length} columns");
        _rows.Add(cells);
        return this;
    }

    /// <summary>Adds a rule (a line of dashes across the table).</summary>
    public TextTable AddRule()
    {
        _rows.Add(null);
        return this;
    }

    /// <summary>
    /// When set, the last column (if left-aligned) wraps at spaces onto continuation lines so that no line
    /// is wider than this, as long as at least <see cref="MinimumWrapWidth"/> characters are left for it.
    /// </summary>
    public int? MaximumWidth { get; init; }

    /// <summary>Narrowest last column <see cref="MaximumWidth"/> wraps into.</summary>
    public const int MinimumWrapWidth = 12;

    /// <summary>Characters in the widest line of <see cref="ToString"/>.</summary>
    public int LineWidth => ToString().Split('\n').Max(line => line.Length);

    /// <inheritdoc />
    public override string ToString()
    {
        int last = _headers.Length - 1;
        var widths = new int[_headers.Length];
        foreach (string[]? row in _rows.Prepend(_headers))
            for (int c = 0; row is not null && c < row.Length; c++) widths[c] = Math.Max(widths[c], row[c].Length);
        int wrap = int.MaxValue;
        if (MaximumWidth is int maximum && !_rightAligned[last])
        {
            int left = maximum - widths[..last].Sum() - 2 * last;
            if (left >= MinimumWrapWidth && widths[last] > left)
            {
                wrap = left;
                widths[last] = _rows.Prepend(_headers).Where(r => r is not null && r.Length > last)
                    .SelectMany(r => Wrap(r![last], left)).Append(_headers[last]).Max(piece => piece.Length);
            }
        }
        var text = new StringBuilder();
        string rule = new('-', widths.Sum() + 2 * (widths.Length - 1));
        void Line(string[] cells)
        {
            var line = new StringBuilder();
            for (int c = 0; c < widths.Length; c++)
            {
                string cell = c < cells.Length ? cells[c] : "";
                if (c > 0) line.Append("  ");
                line.Append(_rightAligned[c] ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]));
            }
            text.Append(line.ToString().TrimEnd()).Append('\n');
        }
        void Row(string[] cells)
        {
            if (cells.Length <= last || cells[last].Length <= wrap) { Line(cells); return; }
            List<string> pieces = Wrap(cells[last], wrap);
            for (int p = 0; p < pieces.Count; p++)
            {
                var row = p == 0 ? (string[])cells.Clone() : new string[cells.Length];
                for (int c = 0; p > 0 && c < last; c++) row[c] = "";
                row[last] = pieces[p];
                Line(row);
            }
        }
        Row(_headers);
        text.Append(rule).Append('\n');
        foreach (string[]? row in _rows)
        {
            if (row is null) text.Append(rule).Append('\n');
            else Row(row);
        }
        return text.ToString();
    }

    /// <summary>Splits <paramref name="cell"/> at spaces into pieces of at most <paramref name="width"/> (a longer word stays whole).</summary>
    private static List<string> Wrap(string cell, int width)
    {
        var pieces = new List<string>();
        var piece = new StringBuilder();
        foreach (string word in cell.Split(' '))
        {
            if (piece.Length > 0 && piece.Length + 1 + word.Length > width)
            {
                pieces.Add(piece.ToString());
                piece.Clear();
            }
            if (piece.Length > 0) piece.Append(' ');
            piece.Append(word);
        }
        pieces.Add(piece.ToString());
        return pieces;
    }
}
