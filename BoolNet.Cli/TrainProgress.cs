using System.Diagnostics;
using BoolNet.Training;

namespace BoolNet.Cli;

/// <summary>
/// What <c>boolnet train</c> shows while it trains. In a terminal one live line is redrawn in place
/// (<see cref="TrainReport.ProgressLine"/>, at most ten times a second, never wider than the window),
/// then replaced by the epoch's lines; in a piped log only the epoch's lines are written, so the two read the same.
/// </summary>
internal sealed class TrainProgress(TextWriter output, bool live, int epochs, int batches)
{
    private readonly Stopwatch _sinceDrawn = Stopwatch.StartNew();
    private bool _drawn;

    /// <summary>For standard output: live when it is a terminal.</summary>
    public static TrainProgress ForConsole(int epochs, int batches) =>
        new(Console.Out, !Console.IsOutputRedirected, epochs, batches);

    /// <summary>Redraws the live line (terminal only).</summary>
    public void OnBatch(BatchProgress p)
    {
        if (!live) return;
        bool edge = p.Batch == 1 || p.Batch == p.Batches;
        if (!edge && _sinceDrawn.ElapsedMilliseconds < 100) return;
        _sinceDrawn.Restart();
        output.Write("\r" + TrainReport.ProgressLine(p, epochs, Columns()) + "\u001b[K");
        output.Flush();
        _drawn = true;
    }

    /// <summary>Writes the epoch's lines (over the live line in a terminal) and any extra lines.</summary>
    public void OnEpoch(EpochResult r, IEnumerable<string>? extra = null)
    {
        if (_drawn) output.Write("\r\u001b[K");
        _drawn = false;
        foreach (string line in TrainReport.EpochLines(r, epochs, batches)) output.WriteLine(line);
        foreach (string line in extra ?? []) output.WriteLine(line);
        output.Flush();
    }

    /// <summary>The terminal's width; 80 where it cannot be read.</summary>
    private static int Columns()
    {
        try
        {
            int width = Console.WindowWidth;
            return width > 0 ? width : TrainReport.Width;
        }
        catch (IOException)
        {
            return TrainReport.Width;
        }
    }
}
