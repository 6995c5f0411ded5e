using BoolNet.Training;
using BoolNet.Training.IO;

namespace BoolNet.Cli;

/// <summary>
/// Training curves as a PNG: two panels side by side, accuracy (%) and loss, per whole epoch, legends
/// beside the charts. A loss spike does not flatten the loss panel: its axis stops at
/// <see cref="LossAxisLimit"/> and the panel's title says how many points lie above.
/// </summary>
internal sealed class TrainPlots
{
    private bool _warned; // one warning per run, not one per epoch

    /// <summary>Figure size in pixels.</summary>
    public const int Width = 1400, Height = 520;

    /// <summary>Writes the curves; a plotting problem never stops training (reported once on stderr).</summary>
    public void TryWrite(string path, IReadOnlyList<EpochResult> history, string title)
    {
        if (history.Count == 0) return;
        try
        {
            CurvePlot.SavePanelsPng(path, Panels(history, title), Width, Height);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (_warned) return;
            _warned = true;
            Console.Error.WriteLine($"warning: could not write {path}: {e.Message}");
        }
    }

    /// <summary>The accuracy and loss panels of <paramref name="history"/>.</summary>
    public static CurvePanel[] Panels(IReadOnlyList<EpochResult> history, string title)
    {
        double[] epochs = history.Select(r => (double)r.Epoch).ToArray();
        double[] trainLoss = history.Select(r => r.TrainLoss).ToArray(), testLoss = history.Select(r => r.TestLoss).ToArray();
        double? limit = LossAxisLimit([.. trainLoss, .. testLoss]);
        int above = limit is double l ? trainLoss.Concat(testLoss).Count(v => v > l) : 0;
        string lossTitle = limit is double top
            ? FormattableString.Invariant($"loss (axis cut at {top:G3}: {above} point{(above == 1 ? "" : "s")} above)")
            : "loss";
        return
        [
            new CurvePanel(
            [
                new CurveSeries("train", epochs, history.Select(r => 100 * r.TrainAccuracy).ToArray()),
                new CurveSeries("test", epochs, history.Select(r => 100 * r.TestAccuracy).ToArray()),
            ], $"{title}: accuracy", "epoch", "accuracy (%)") { IntegerX = true, LegendOutside = true },
            new CurvePanel(
            [
                new CurveSeries("train", epochs, trainLoss),
                new CurveSeries("test", epochs, testLoss),
            ], lossTitle, "epoch", "cross-entropy") { IntegerX = true, LegendOutside = true, YMinimum = 0, YMaximum = limit },
        ];
    }

    /// <summary>
    /// Where the loss axis stops when some losses are spikes: 4 x the 75th percentile of the finite losses,
    /// when the largest loss is above that (null otherwise: the axis fits every point). A normal falling
    /// curve (2.3 down to 0.3) stays whole; a loss of 27 among losses near 0.5 is cut off.
    /// </summary>
    public static double? LossAxisLimit(IReadOnlyList<double> losses)
    {
        double[] finite = losses.Where(double.IsFinite).Order().ToArray();
        if (finite.Length == 0) return null;
        double percentile = finite[(int)Math.Ceiling(0.75 * finite.Length) - 1];
        double limit = 4 * percentile;
        bool spike = finite[^1] > limit || finite.Length < losses.Count;
        return spike && limit > 0 ? limit : null;
    }
}
