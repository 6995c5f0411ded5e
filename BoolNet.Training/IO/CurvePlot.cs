using BoolNet.Core.IO;
using ScottPlot;

namespace BoolNet.Training.IO;

/// <summary>
/// One named curve: points (X[i], Y[i]) and optionally a spread (e.g. the standard deviation over
/// seeds) drawn as a band Y +- Spread around the line.
/// </summary>
public sealed record CurveSeries(string Name, double[] X, double[] Y, double[]? Spread = null)
{
    /// <summary>Checks lengths and values, naming the series in the error.</summary>
    internal void Validate()
    {
        if (X.Length != Y.Length) throw new ArgumentException($"series '{Name}': {X.Length} x values but {Y.Length} y values");
        if (Spread is not null && Spread.Length != Y.Length)
            throw new ArgumentException($"series '{Name}': {Spread.Length} spread values for {Y.Length} points");
    }

    /// <summary>
    /// The mean and sample standard deviation over repeated runs at each x: <paramref name="runs"/>[r][i]
    /// is run r at X[i]. Runs must have equal length (one run gives a zero spread).
    /// </summary>
    public static CurveSeries MeanAndSpread(string name, double[] x, IReadOnlyList<double[]> runs)
    {
        if (runs.Count == 0) throw new ArgumentException($"series '{name}': no runs");
        foreach (var run in runs)
            if (run.Length != x.Length) throw new ArgumentException($"series '{name}': a run has {run.Length} values for {x.Length} x values");
        var mean = new double[x.Length];
        var spread = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double sum = 0;
            foreach (var run in runs) sum += run[i];
            mean[i] = sum / runs.Count;
            if (runs.Count < 2) continue;
            double squares = 0;
            foreach (var run in runs) squares += (run[i] - mean[i]) * (run[i] - mean[i]);
            spread[i] = Math.Sqrt(squares / (runs.Count - 1));
        }
        return new CurveSeries(name, x, mean, spread);
    }
}

/// <summary>One chart of a figure: its series, title, axis labels and where its legend goes.</summary>
/// <param name="Series">the curves</param>
/// <param name="Title">chart title</param>
/// <param name="XLabel">x axis label</param>
/// <param name="YLabel">y axis label</param>
/// <param name="LegendAbove">legend in the upper right corner (for falling curves) instead of the lower right</param>
public sealed record CurvePanel(IReadOnlyList<CurveSeries> Series, string Title, string XLabel, string YLabel, bool LegendAbove = false)
{
    /// <summary>Ticks on whole x values only (epochs).</summary>
    public bool IntegerX { get; init; }

    /// <summary>The y axis from this value (null: fitted to the data).</summary>
    public double? YMinimum { get; init; }

    /// <summary>The y axis up to this value, points above it left out of view (null: fitted to the data).</summary>
    public double? YMaximum { get; init; }

    /// <summary>The legend beside the chart, outside the data area, instead of in a corner of it.</summary>
    public bool LegendOutside { get; init; }
}

/// <summary>
/// Line charts of named series saved as PNG (ScottPlot 5 on SkiaSharp, headless). Spreads are filled
/// bands in the series colour at 20% opacity. The PNG is written atomically.
/// </summary>
public static class CurvePlot
{
    /// <summary>Default size in pixels.</summary>
    public const int DefaultWidth = 900, DefaultHeight = 560;

    /// <summary>Renders the chart and writes it to <paramref name="path"/> atomically.</summary>
    public static void SavePng(string path, IReadOnlyList<CurveSeries> series, string title, string xLabel, string yLabel,
        int width = DefaultWidth, int height = DefaultHeight)
    {
        byte[] png = RenderPng(series, title, xLabel, yLabel, width, height);
        AtomicFile.WriteAllBytes(path, png);
    }

    /// <summary>Renders the chart to PNG bytes.</summary>
    public static byte[] RenderPng(IReadOnlyList<CurveSeries> series, string title, string xLabel, string yLabel,
        int width = DefaultWidth, int height = DefaultHeight) =>
        RenderPanelsPng([new CurvePanel(series, title, xLabel, yLabel)], width, height);

    /// <summary>Renders the charts side by side, left to right, and writes them to <paramref name="path"/> atomically.</summary>
    public static void SavePanelsPng(string path, IReadOnlyList<CurvePanel> panels, int width, int height)
    {
        byte[] png = RenderPanelsPng(panels, width, height);
        AtomicFile.WriteAllBytes(path, png);
    }

    /// <summary>Renders the charts side by side, left to right, to PNG bytes of <paramref name="width"/> x <paramref name="height"/> in all.</summary>
    public static byte[] RenderPanelsPng(IReadOnlyList<CurvePanel> panels, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(panels);
        if (panels.Count == 0) throw new ArgumentException("no chart to render", nameof(panels));
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 50 * panels.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 50);
        foreach (CurvePanel panel in panels)
        {
            ArgumentNullException.ThrowIfNull(panel.Series);
            foreach (var s in panel.Series) s.Validate();
        }
        PlotFonts.EnsureUsable();

        var plots = panels.Select(_ => new Plot()).ToArray();
        try
        {
            for (int p = 0; p < panels.Count; p++) Draw(plots[p], panels[p]);
            if (plots.Length == 1) return plots[0].GetImageBytes(width, height, ImageFormat.Png);
            var figure = new Multiplot();
            foreach (Plot empty in figure.GetPlots()) figure.RemovePlot(empty); // it starts with one plot of its own
            foreach (Plot plot in plots) figure.AddPlot(plot);
            figure.Layout = new ScottPlot.MultiplotLayouts.Columns();
            return figure.Render(width, height).GetImageBytes(ImageFormat.Png);
        }
        finally
        {
            foreach (Plot plot in plots) plot.Dispose();
        }
    }

    private static void Draw(Plot plot, CurvePanel panel)
    {
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < panel.Series.Count; i++)
        {
            var s = panel.Series[i];
            var color = palette.GetColor(i);
            if (s.Spread is { } spread)
            {
                var lower = s.Y.Select((y, j) => y - spread[j]).ToArray();
                var upper = s.Y.Select((y, j) => y + spread[j]).ToArray();
                var band = plot.Add.FillY(s.X, lower, upper);
                band.FillColor = color.WithAlpha(0.2);
                band.LineWidth = 0;
            }
            var line = plot.Add.Scatter(s.X, s.Y, color);
            line.LegendText = s.Name;
            line.LineWidth = 2;
            line.MarkerSize = s.X.Length <= 40 ? 5 : 0;
        }
        plot.Title(panel.Title);
        plot.XLabel(panel.XLabel);
        plot.YLabel(panel.YLabel);
        if (panel.IntegerX) plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        if (panel.YMinimum is not null || panel.YMaximum is not null)
        {
            double[] ys = panel.Series.SelectMany(s => s.Y).Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
            double low = panel.YMinimum ?? ys.Min(), high = panel.YMaximum ?? ys.Max();
            if (!(high > low)) high = low + 1;
            double margin = 0.05 * (high - low);
            plot.Axes.SetLimitsY(panel.YMinimum ?? low - margin, high + margin);
        }
        if (panel.Series.Count == 0) return;
        if (panel.LegendOutside) plot.ShowLegend(Edge.Right);
        else plot.ShowLegend(panel.LegendAbove ? Alignment.UpperRight : Alignment.LowerRight);
    }
}
