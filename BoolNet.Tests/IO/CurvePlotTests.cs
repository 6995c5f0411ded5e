using BoolNet.Training.IO;
using StbImageSharp;

namespace BoolNet.Tests.IO;

public class CurvePlotTests
{
    static CurveSeries[] Sample()
    {
        double[] epochs = [1, 2, 3, 4, 5];
        return
        [
            new CurveSeries("float MLP", epochs, [0.80, 0.84, 0.86, 0.87, 0.88]),
            CurveSeries.MeanAndSpread("BOLD", epochs, [[0.70, 0.78, 0.82, 0.84, 0.85], [0.74, 0.80, 0.83, 0.86, 0.86]]),
        ];
    }

    [Test]
    public void SavesADecodablePngOfTheRequestedSize()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("curves.png");
        CurvePlot.SavePng(path, Sample(), "Test accuracy", "epoch", "accuracy", width: 640, height: 400);

        byte[] bytes = File.ReadAllBytes(path);
        Assert.That(bytes.Length, Is.GreaterThan(1000));
        var image = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue);
        Assert.That(image.Width, Is.EqualTo(640));
        Assert.That(image.Height, Is.EqualTo(400));
        Assert.That(Directory.GetFiles(folder.Path), Is.EqualTo(new[] { path }));

        // The lines use Category10's first two colours; the band is the second at 20% over white.
        Assert.That(CountNear(image, 0x1F, 0x77, 0xB4), Is.GreaterThan(100), "blue line");
        Assert.That(CountNear(image, 0xFF, 0x7F, 0x0E), Is.GreaterThan(100), "orange line");
        Assert.That(CountNear(image, 0xFF, 0xE5, 0xCF), Is.GreaterThan(200), "orange band");
        // Text renders: the title strip (top 8%) holds dark glyph pixels.
        Assert.That(CountDark(image, rows: image.Height * 8 / 100), Is.GreaterThan(30), "title text");
    }

    [Test]
    public void EmptyChartStillRenders()
    {
        byte[] png = CurvePlot.RenderPng([], "nothing yet", "x", "y", 200, 150);
        var image = ImageResult.FromMemory(png, ColorComponents.RedGreenBlue);
        Assert.That((image.Width, image.Height), Is.EqualTo((200, 150)));
    }

    [Test]
    public void MismatchedSeriesAreRejectedByName()
    {
        var bad = new CurveSeries("broken", [1, 2, 3], [1, 2]);
        var error = Assert.Throws<ArgumentException>(() => CurvePlot.RenderPng([bad], "t", "x", "y"));
        Assert.That(error!.Message, Does.Contain("broken"));
        Assert.Throws<ArgumentException>(() => CurveSeries.MeanAndSpread("r", [1, 2], [[1, 2], [1]]));
    }

    [Test]
    public void MeanAndSpreadIsTheSampleStandardDeviation()
    {
        var series = CurveSeries.MeanAndSpread("s", [0, 1], [[1, 10], [3, 10], [5, 10]]);
        Assert.That(series.Y, Is.EqualTo(new[] { 3.0, 10.0 }));
        Assert.That(series.Spread, Is.EqualTo(new[] { 2.0, 0.0 }));
    }

    static int CountNear(ImageResult image, int r, int g, int b)
    {
        int count = 0;
        for (int i = 0; i < image.Data.Length; i += 3)
            if (Math.Abs(image.Data[i] - r) + Math.Abs(image.Data[i + 1] - g) + Math.Abs(image.Data[i + 2] - b) < 24) count++;
        return count;
    }

    static int CountDark(ImageResult image, int rows)
    {
        int count = 0;
        for (int i = 0; i < rows * image.Width * 3; i += 3)
            if (image.Data[i] + image.Data[i + 1] + image.Data[i + 2] < 200) count++;
        return count;
    }
}
