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

    /// <inheritdoc />
    public override string ToString()
    {
        var widths = new int[_headers.Length];
        foreach (string[]? row in _rows.Prepend(_headers))
            for (int c = 0; row is not null && c < row.Length; c++) widths[c] = Math.Max(widths[c], row[c].Length);
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
        Line(_headers);
        text.Append(rule).Append('\n');
        foreach (string[]? row in _rows)
        {
            if (row is null) text.Append(rule).Append('\n');
            else Line(row);
        }
        return text.ToString();
    }
}
