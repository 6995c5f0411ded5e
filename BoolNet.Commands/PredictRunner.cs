using System.Globalization;
using System.Text;
using System.Text.Json;
using BoolNet.Core.IO;
using BoolNet.Inference;
using BoolNet.Layers;

namespace BoolNet.Commands;

/// <summary>Decodes an image file's bytes to interleaved pixels with the requested channel count (1 grey, 3 RGB).</summary>
public delegate (byte[] Pixels, int Width, int Height) ImageDecoder(byte[] file, int channels);

/// <summary>One input image ready for the model, with where it came from.</summary>
public sealed record InputImage(string Name, byte[] Pixels, int? Label = null);

/// <summary>
/// The body of <c>predict</c>, shared by <c>boolnet</c> and the inference-only <c>boolnet-infer</c>:
/// reads IDX files or image files into the model's input shape, runs the model, and formats the
/// top classes as text or JSON.
/// </summary>
public static class PredictRunner
{
    /// <summary>
    /// Reads inputs: an IDX image file gives its images (at most <paramref name="limit"/>, 0 = all;
    /// labels from <paramref name="labelsPath"/> when given); any other file is decoded as an image
    /// (PNG/JPEG) and resized to the model's input. Only regular files are read; declared sizes (IDX
    /// header, image header) and the model's memory for the whole batch are checked before allocating.
    /// </summary>
    public static List<InputImage> ReadInputs(IEnumerable<string> paths, InferenceModel model, ImageDecoder decoder,
        int limit = 0, bool invert = false, string? labelsPath = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(decoder);
        var inputs = new List<InputImage>();
        TensorShape shape = model.InputShape;
        foreach (string path in paths)
        {
            if (InputFile.NotRegular(path) is string what) throw new InvalidDataException($"{path}: is {what}, not a regular file; inputs must be IDX or image files");
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: input file not found", path);
            if (IsIdx(path))
            {
                var (pixels, count, idxShape) = ImageInput.ReadIdx(path);
                byte[]? labels = labelsPath is null ? null : ReadLabels(labelsPath, count);
                if (labels is not null && labels.Take(count).Any(l => l >= model.ClassCount))
                    throw new InvalidDataException($"{labelsPath}: a label is outside 0..{model.ClassCount - 1}");
                int take = limit > 0 ? Math.Min(limit, count) : count;
                CheckBatch(model, path, inputs.Count + (long)take);
                for (int i = 0; i < take; i++)
                {
                    byte[] image = pixels.AsSpan(i * idxShape.Size, idxShape.Size).ToArray();
                    if (idxShape != shape) image = ImageInput.Fit(image, idxShape.Width, idxShape.Height, idxShape.Channels, shape);
                    if (invert) for (int p = 0; p < image.Length; p++) image[p] = (byte)(255 - image[p]);
                    inputs.Add(new InputImage($"{Path.GetFileName(path)}[{i}]", image, labels?[i]));
                }
            }
            else
            {
                byte[] file = InputFile.ReadAllBytes(path, ImageInput.MaximumImageFileBytes);
                ImageInput.CheckDeclaredSize(path, file);
                ImageInput.CheckIntegrity(path, file);
                CheckBatch(model, path, inputs.Count + 1L);
                (byte[] pixels, int width, int height) decoded;
                try { decoded = decoder(file, shape.Channels); }
                catch (Exception e) when (e is not OutOfMemoryException) { throw new InvalidDataException($"{path}: cannot decode image: {e.Message}", e); }
                inputs.Add(new InputImage(path, ImageInput.Fit(decoded.pixels, decoded.width, decoded.height, shape.Channels, shape, invert)));
            }
        }
        return inputs;
    }

    /// <summary>Refuses, naming the input, a batch whose prediction would exceed the model's memory budget.</summary>
    private static void CheckBatch(InferenceModel model, string path, long batch)
    {
        try { model.CheckMemory(batch); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message} (--limit takes fewer images)", e); }
    }

    /// <summary>Scores for every input [inputs * classes].</summary>
    public static float[] Score(InferenceModel model, IReadOnlyList<InputImage> inputs, int threads = 0)
    {
        int size = model.InputShape.Size;
        var pixels = new byte[(long)inputs.Count * size];
        for (int i = 0; i < inputs.Count; i++) inputs[i].Pixels.CopyTo(pixels, (long)i * size);
        var scores = new float[(long)inputs.Count * model.ClassCount];
        model.Predict(pixels, inputs.Count, scores, threads);
        return scores;
    }

    /// <summary>Text report: one line per input with its top classes, then accuracy when labels are known.</summary>
    public static string FormatText(InferenceModel model, IReadOnlyList<InputImage> inputs, float[] scores, int top, int maximumLines = 50)
    {
        var text = new StringBuilder();
        int classes = model.ClassCount, correct = 0, labelled = 0;
        // Images of one IDX file are named "file[i]": the file once above the table, "[i]" in it.
        string prefix = inputs.Count > 1 && inputs.All(i => i.Name.EndsWith(']')) ? CommonFile(inputs) : "";
        if (prefix.Length > 0) text.Append(prefix[..^1]).Append('\n');
        bool anyLabel = inputs.Any(i => i.Label is not null);
        string[] headers = anyLabel ? ["image", "prediction", ">prob", ">score", "label", "next"] : ["image", "prediction", ">prob", ">score", "next"];
        var table = new TextTable(headers) { MaximumWidth = 80 };
        for (int i = 0; i < inputs.Count; i++)
        {
            RankedClass[] best = Prediction.Top(scores.AsSpan(i * classes, classes), model.ClassNames, top);
            if (inputs[i].Label is int label)
            {
                labelled++;
                if (best[0].Index == label) correct++;
            }
            if (i < maximumLines)
            {
                var row = new List<string>
                {
                    inputs[i].Name[(prefix.Length > 0 ? prefix.Length - 1 : 0)..], $"{best[0].Name} ({best[0].Index})",
                    best[0].Probability.ToString("P1", CultureInfo.InvariantCulture), best[0].Score.ToString("G6", CultureInfo.InvariantCulture),
                };
                if (anyLabel)
                    row.Add(inputs[i].Label is int l ? $"{model.ClassNames[l]} ({l}){(l == best[0].Index ? "" : " x")}" : "");
                // The runners-up one per line, so no class name is split from its number.
                string[] next = best.Skip(1).Select(c => $"{c.Name} ({c.Index}) {c.Probability.ToString("P1", CultureInfo.InvariantCulture)}").ToArray();
                row.Add(next.Length > 0 ? next[0] : "");
                table.Add([.. row]);
                foreach (string more in next.Skip(1)) table.Add([.. Enumerable.Repeat("", headers.Length - 1), more]);
            }
        }
        text.Append(table);
        if (inputs.Count > maximumLines) text.Append($"... {inputs.Count - maximumLines} more (use --json for all)\n");
        if (labelled > correct) text.Append("x: the prediction is not the label\n");
        if (labelled > 0) text.Append(CultureInfo.InvariantCulture, $"accuracy {correct}/{labelled} = {100.0 * correct / labelled:F2} %\n");
        return text.ToString();
    }

    /// <summary>"file[" when every name is "file[i]" with the same file, else "".</summary>
    private static string CommonFile(IReadOnlyList<InputImage> inputs)
    {
        int open = inputs[0].Name.LastIndexOf('[');
        if (open <= 0) return "";
        string prefix = inputs[0].Name[..(open + 1)];
        return inputs.All(i => i.Name.StartsWith(prefix, StringComparison.Ordinal)) ? prefix : "";
    }

    /// <summary>JSON report: [{ "input", "label"?, "top": [{ "class", "name", "score", "probability" }] }].</summary>
    public static string FormatJson(InferenceModel model, IReadOnlyList<InputImage> inputs, float[] scores, int top)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            int classes = model.ClassCount;
            for (int i = 0; i < inputs.Count; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("input", inputs[i].Name);
                if (inputs[i].Label is int label) writer.WriteNumber("label", label);
                writer.WriteStartArray("top");
                foreach (RankedClass c in Prediction.Top(scores.AsSpan(i * classes, classes), model.ClassNames, top))
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("class", c.Index);
                    writer.WriteString("name", c.Name);
                    writer.WriteNumber("score", c.Score);
                    writer.WriteNumber("probability", Math.Round(c.Probability, 6));
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>JSON of a benchmark result.</summary>
    public static string FormatJson(BenchResult result, string model)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("model", model);
            writer.WriteString("isa", result.Isa);
            writer.WriteNumber("threads", result.Threads);
            writer.WriteNumber("batch", result.Batch);
            writer.WriteNumber("latency_median_us", Math.Round(result.LatencyMedianMicroseconds, 3));
            writer.WriteNumber("latency_p99_us", Math.Round(result.LatencyP99Microseconds, 3));
            writer.WriteNumber("latency_samples", result.LatencySamples);
            writer.WriteNumber("images_per_second", Math.Round(result.ImagesPerSecond, 1));
            writer.WriteNumber("allocated_bytes_per_batch1_call", result.AllocatedBytesPerInference);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Text of a benchmark result.</summary>
    public static string FormatText(BenchResult result)
    {
        (string Label, string Value)[] lines =
        [
            ("kernel path", result.Isa),
            ("batch 1 latency", Invariant($"median {result.LatencyMedianMicroseconds:F1} us, p99 {result.LatencyP99Microseconds:F1} us ({result.LatencySamples:N0} calls, 1 thread)")),
            ("allocated per call", Invariant($"{result.AllocatedBytesPerInference:N0} bytes")),
            (Invariant($"batch {result.Batch:N0} throughput"), Invariant($"{result.ImagesPerSecond:N0} images/s on {result.Threads} thread{(result.Threads == 1 ? "" : "s")}")),
        ];
        int width = lines.Max(l => l.Label.Length) + 2;
        return string.Concat(lines.Select(l => l.Label.PadRight(width) + l.Value + "\n"));
    }

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);

    private static bool IsIdx(string path)
    {
        using FileStream stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        int read = stream.Read(head);
        if (read >= 2 && head[0] == 0x1F && head[1] == 0x8B) return true; // gzip: IDX is the only compressed input we take
        return read == 4 && head[0] == 0 && head[1] == 0 && head[2] == 0x08 && head[3] is 3 or 4;
    }

    private static byte[] ReadLabels(string path, int count)
    {
        if (InputFile.NotRegular(path) is string what) throw new InvalidDataException($"{path}: is {what}, not a regular file; labels must be an IDX file");
        var (dims, labels) = ImageInput.ReadIdxBytes(path, ImageInput.MaximumIdxBytes, rank => rank == 1 ? null : "not an IDX label file (unsigned bytes, rank 1)");
        if (dims[0] != count) throw new InvalidDataException($"{path}: {dims[0]:N0} labels for {count:N0} images; the label file must match the image file");
        return labels;
    }
}
