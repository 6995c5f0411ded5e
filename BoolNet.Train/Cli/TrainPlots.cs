using BoolNet.Train.Training;

namespace BoolNet.Train.Cli;

/// <summary>Training curves as a PNG (test accuracy and losses per epoch).</summary>
internal static class TrainPlots
{
    /// <summary>Writes the curves; plotting problems never stop training (reported once on stderr).</summary>
    public static void TryWrite(string path, IReadOnlyList<EpochResult> history, string title)
    {
        // Filled in when the data area's CurvePlot is merged.
    }
}
