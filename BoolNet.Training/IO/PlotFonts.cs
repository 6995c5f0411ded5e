using ScottPlot;

namespace BoolNet.Training.IO;

/// <summary>
/// Makes sure chart text renders on a headless machine. SkiaSharp's "NoDependencies" native build
/// (the one ScottPlot brings on Linux) has no fontconfig, so it may find no system font by family name;
/// this registers a TrueType file from the usual Linux font folders as ScottPlot's default font.
/// </summary>
internal static class PlotFonts
{
    static readonly Lazy<bool> Configured = new(Configure);

    /// <summary>Candidate font files, best first.</summary>
    static readonly string[] Candidates =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
    ];

    /// <summary>Configures fonts once; returns whether a font file was registered.</summary>
    public static bool EnsureUsable() => Configured.Value;

    static bool Configure()
    {
        string? file = Candidates.FirstOrDefault(File.Exists) ?? FindAnyTrueType();
        if (file is null) return false;
        const string family = "BoolNetPlotFont";
        Fonts.AddFontFile(family, file, bold: false, italic: false);
        // The bold face (titles) if it sits beside the regular one, e.g. DejaVuSans-Bold.ttf.
        string boldFile = file.Replace("-Regular.ttf", "-Bold.ttf", StringComparison.Ordinal).Replace("Sans.ttf", "Sans-Bold.ttf", StringComparison.Ordinal);
        Fonts.AddFontFile(family, File.Exists(boldFile) && boldFile != file ? boldFile : file, bold: true, italic: false);
        Fonts.Default = family;
        return true;
    }

    static string? FindAnyTrueType()
    {
        foreach (string folder in new[] { "/usr/share/fonts", "/usr/local/share/fonts" })
        {
            if (!Directory.Exists(folder)) continue;
            try
            {
                return Directory.EnumerateFiles(folder, "*.ttf", SearchOption.AllDirectories).FirstOrDefault();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // An unreadable font folder: fall through to the next.
            }
        }
        return null;
    }
}
