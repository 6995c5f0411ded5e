using System.Buffers.Binary;
using System.IO.Compression;
using BoolNet.Commands;
using BoolNet.Inference;
using BoolNet.Layers;
using StbImageWriteSharp;

namespace BoolNet.Tests.Deploy;

/// <summary>Input files for predict: IDX images, PNG round trip, resizing and bad files.</summary>
public sealed class ImageInputTests
{
    private static string TempPath(string name) => Path.Combine(Path.GetTempPath(), $"boolnet-deploy-{Guid.NewGuid():N}-{name}");

    private static byte[] Idx(byte[] pixels, int count, int height, int width)
    {
        var bytes = new byte[16 + pixels.Length];
        bytes[2] = 0x08;
        bytes[3] = 3;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), height);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), width);
        pixels.CopyTo(bytes, 16);
        return bytes;
    }

    [Test]
    public void IdxFilesReadRawAndGzippedAndRejectDamage()
    {
        byte[] pixels = FoldingTests.RandomImages(3, 1, 28 * 28);
        string raw = TempPath("images.idx"), zipped = TempPath("images.idx.gz"), bad = TempPath("bad.idx");
        try
        {
            File.WriteAllBytes(raw, Idx(pixels, 3, 28, 28));
            using (var gzip = new GZipStream(File.Create(zipped), CompressionLevel.Fastest)) gzip.Write(Idx(pixels, 3, 28, 28));
            foreach (string path in new[] { raw, zipped })
            {
                var (read, count, shape) = ImageInput.ReadIdx(path);
                Assert.That(count, Is.EqualTo(3));
                Assert.That(shape, Is.EqualTo(new TensorShape(28, 28, 1)));
                Assert.That(read, Is.EqualTo(pixels));
            }
            File.WriteAllBytes(bad, Idx(pixels, 3, 28, 28)[..100]);
            Assert.That(Assert.Throws<InvalidDataException>(() => ImageInput.ReadIdx(bad))!.Message, Does.Contain(bad));
            File.WriteAllBytes(bad, [1, 2, 3, 4, 5]);
            Assert.That(Assert.Throws<InvalidDataException>(() => ImageInput.ReadIdx(bad))!.Message, Does.Contain("not an IDX file"));
        }
        finally
        {
            foreach (string path in new[] { raw, zipped, bad }) if (File.Exists(path)) File.Delete(path);
        }
    }

    [Test]
    public void PngRoundTripGivesThePixelsAndTheSamePrediction()
    {
        var model = NetworkFolder.Fold(FoldingTests.BitPlaneNetwork(3));
        TensorShape shape = model.InputShape;
        byte[] image = FoldingTests.RandomImages(1, 4, shape.Size);
        string png = TempPath("image.png");
        try
        {
            using (var stream = File.Create(png))
                new ImageWriter().WritePng(image, shape.Width, shape.Height, ColorComponents.Grey, stream);
            var (decoded, width, height) = ImageInput.Decode(File.ReadAllBytes(png), 1);
            Assert.That((width, height), Is.EqualTo((shape.Width, shape.Height)));
            Assert.That(decoded, Is.EqualTo(image));
            List<InputImage> inputs = PredictRunner.ReadInputs([png], model, ImageInput.Decode);
            float[] fromPng = PredictRunner.Score(model, inputs);
            var direct = new float[model.ClassCount];
            model.Predict(image, direct);
            Assert.That(fromPng, Is.EqualTo(direct));
            string json = PredictRunner.FormatJson(model, inputs, fromPng, 2);
            Assert.That(json, Does.Contain("\"top\"").And.Contain(png.Replace("\\", "\\\\")));
        }
        finally
        {
            File.Delete(png);
        }
    }

    [Test]
    public void AreaResizeInvertsPixelReplicationAndBilinearKeepsConstants()
    {
        var random = new Random(5);
        var small = new byte[7 * 5];
        random.NextBytes(small);
        var big = new byte[14 * 10];
        for (int y = 0; y < 10; y++)
            for (int x = 0; x < 14; x++) big[y * 14 + x] = small[(y / 2) * 7 + x / 2];
        Assert.That(ImageInput.Fit(big, 14, 10, 1, new TensorShape(5, 7, 1)), Is.EqualTo(small));
        byte[] grey = Enumerable.Repeat((byte)77, 3 * 4).ToArray();
        Assert.That(ImageInput.Fit(grey, 4, 3, 1, new TensorShape(9, 11, 1)), Is.All.EqualTo(77));
        Assert.That(ImageInput.Fit([0, 255], 2, 1, 1, new TensorShape(1, 2, 1), invert: true), Is.EqualTo(new byte[] { 255, 0 }));
    }
}
