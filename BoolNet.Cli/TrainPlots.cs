using BoolNet.Training;
using BoolNet.Training.IO;

namespace BoolNet.Cli;

/// <summary>Training curves as a PNG: test and train accuracy (%) per epoch, and the losses.</summary>
internal sealed class TrainPlots
{
    private bool _warned; // one warning per run, not one per epoch

    /// <summary>Writes the curves; a plotting problem never stops training (reported once on stderr).</summary>
    public void TryWrite(string path, IReadOnlyList<EpochResult> history, string title)
    {
        if (history.Count == 0) return;
        try
        {
            double[] epochs = history.Select(r => (double)r.Epoch).ToArray();
            CurvePlot.SavePng(path,
            [
                new CurveSeries("test accuracy %", epochs, history.Select(r => 100 * r.TestAccuracy).ToArray()),
                new CurveSeries("train accuracy %", epochs, history.Select(r => 100 * r.TrainAccuracy).ToArray()),
                new CurveSeries("train loss x100", epochs, history.Select(r => 100 * r.TrainLoss).ToArray()),
                new CurveSeries("test loss x100", epochs, history.Select(r => 100 * r.TestLoss).ToArray()),
            ], $"{title}: training curves", "epoch", "percent / loss x100");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (_warned) return;
            _warned = true;
            Console.Error.WriteLine($"warning: could not write {path}: {e.Message}");
        }
    }
}
