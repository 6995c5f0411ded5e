using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using BoolNet.Inference;
using BoolNet.Inference.Serialization;
using BoolNet.Layers;

namespace BoolNet.Commands;

/// <summary>
/// <c>summary</c> (larq-style): per layer its shapes, stored values by storage type (counted from the
/// layer's tensors, so int32 and float32 apart and any layer kind counted right), memory and MACs, then the
/// totals, the compression against float32, and the training memory per parameter taken from the model's
/// metadata (<c>optimizer.*</c> keys, written when a checkpoint is folded). As text at most
/// <see cref="Width"/> columns wide, or as one JSON object (<see cref="FormatJson"/>).
/// </summary>
public static class SummaryReport
{
    /// <summary>Widest line of the text report.</summary>
    public const int Width = 80;

    /// <summary>The storage types every <c>parameters_by_type</c> object lists (0 when none); others follow when present.</summary>
    public static IReadOnlyList<string> StorageKeys { get; } = ["bit", "int8", "int16", "int32", "float32"];

    /// <summary>The <c>parameters_by_type</c> key of a tensor type: "bit" for packed bits, else the type's name ("int8", "float32").</summary>
    public static string StorageKey(TensorType type) => type == TensorType.Bits ? "bit" : type.ToString().ToLowerInvariant();

    /// <summary>One layer's figures.</summary>
    private sealed record LayerFigures(InferenceLayer Layer, SortedDictionary<string, long> Stored, long Bytes, LayerCost Cost)
    {
        public long Stores(string key) => Stored.GetValueOrDefault(key);
    }

    /// <summary>The whole model's figures.</summary>
    private sealed record ModelFigures(List<LayerFigures> Layers, SortedDictionary<string, long> Stored, long Bytes, long Binary, long Mixed, long Integer, long Floating)
    {
        public long Parameters => Stored.Values.Sum();

        public long Macs => Binary + Mixed + Integer + Floating;

        /// <summary>Storage keys in <see cref="StorageKeys"/> order, then any other, that some layer uses.</summary>
        public IEnumerable<string> UsedKeys => StorageKeys.Concat(Stored.Keys.Except(StorageKeys)).Where(k => Stored.GetValueOrDefault(k) > 0);
    }

    private static ModelFigures Measure(InferenceModel model)
    {
        var layers = new List<LayerFigures>();
        var stored = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long bytes = 0, binary = 0, mixed = 0, integer = 0, floating = 0;
        foreach (InferenceLayer layer in model.Layers)
        {
            LayerRecord record = layer.ToRecord();
            var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach ((TensorType type, long count) in LayerCost.StoredValues(record)) counts[StorageKey(type)] = count;
            var figures = new LayerFigures(layer, counts, LayerCost.StoredBytes(record), layer.Cost);
            layers.Add(figures);
            foreach ((string key, long count) in counts) stored[key] = stored.GetValueOrDefault(key) + count;
            bytes += figures.Bytes;
            binary += figures.Cost.BinaryMacs;
            mixed += figures.Cost.MixedMacs;
            integer += figures.Cost.IntegerMacs;
            floating += figures.Cost.FloatMacs;
        }
        return new ModelFigures(layers, stored, bytes, binary, mixed, integer, floating);
    }

    /// <summary>The text report for <paramref name="model"/>, read from <paramref name="path"/>.</summary>
    public static string Format(InferenceModel model, string path)
    {
        ModelFigures figures = Measure(model);
        var text = new StringBuilder();
        text.Append($"{model.Get("name") ?? Path.GetFileName(path)}  input {model.InputShape} bytes -> {model.ClassCount} scores\n");
        var facts = new List<(string, string)>();
        if (model.Get("description") is { } description) facts.Add(("description", description));
        if (model.Get("settings") is { } settings) facts.Add(("settings", settings));
        if (facts.Count > 0) AppendPairs(text, facts);

        var layers = new TextTable("#", "layer", ">output", "folded from") { MaximumWidth = Width };
        for (int i = 0; i < figures.Layers.Count; i++)
        {
            InferenceLayer layer = figures.Layers[i].Layer;
            layers.Add(Index(i), layer.Kind, $"{layer.OutputShape} {Describe(layer.Output)}", layer.Source);
        }
        text.Append('\n').Append(layers);

        string[] keys = figures.UsedKeys.ToArray();
        var macs = new List<(string Header, Func<LayerCost, long> Value, long Total)>
        {
            ("binary MACs", c => c.BinaryMacs, figures.Binary),
            ("8x1-bit MACs", c => c.MixedMacs, figures.Mixed),
            ("int8 MACs", c => c.IntegerMacs, figures.Integer),
            ("float MACs", c => c.FloatMacs, figures.Floating),
        };
        macs.RemoveAll(m => m.Total == 0);
        TextTable Costs(bool values, bool operations)
        {
            var headers = new List<string> { "#", "layer" };
            if (values) headers.AddRange(keys.Select(k => ">" + k).Append(">memory"));
            if (operations) headers.AddRange(macs.Select(m => ">" + m.Header));
            var table = new TextTable([.. headers]);
            List<string> Row(string index, string name, Func<string, long> stored, long bytes, Func<(string Header, Func<LayerCost, long> Value, long Total), long> work)
            {
                var cells = new List<string> { index, name };
                if (values) cells.AddRange(keys.Select(k => Count(stored(k))).Append(Size(bytes)));
                if (operations) cells.AddRange(macs.Select(m => Count(work(m))));
                return cells;
            }
            for (int i = 0; i < figures.Layers.Count; i++)
            {
                LayerFigures layer = figures.Layers[i];
                table.Add([.. Row(Index(i), layer.Layer.Kind, layer.Stores, layer.Bytes, m => m.Value(layer.Cost))]);
            }
            table.AddRule();
            table.Add([.. Row("", "total", figures.Stored.GetValueOrDefault, figures.Bytes, m => m.Total)]);
            return table;
        }
        TextTable both = Costs(values: true, operations: true);
        text.Append('\n').Append("stored values by type, memory and multiply-accumulates per image\n");
        if (both.LineWidth <= Width) text.Append(both);
        else text.Append(Costs(values: true, operations: false)).Append('\n').Append(Costs(values: false, operations: true));
        text.Append('\n');

        long fileSize = ModelCodec.FileSize(model);
        long parameters = figures.Parameters;
        var totals = new List<(string, string)>
        {
            ("model file size", $"{fileSize:N0} bytes ({Size(fileSize)})" +
                (ModelFileSource.IsModelFile(path) ? $", on disk {new FileInfo(path).Length:N0} bytes" : " (as export would write it)")),
            ("stored values", $"{parameters:N0}: " + string.Join(", ", keys.Select(k => $"{figures.Stored[k]:N0} {k}")) + $" = {Size(figures.Bytes)}"),
            ("float32-equivalent size", $"{Size(parameters * 4)} (compression {(double)parameters * 4 / Math.Max(1, figures.Bytes):F1}x)"),
            ("MACs per image", $"{figures.Macs:N0}; binary {Percent(figures.Binary, figures.Macs)}, 8x1-bit {Percent(figures.Mixed, figures.Macs)}, int8 {Percent(figures.Integer, figures.Macs)}, float {Percent(figures.Floating, figures.Macs)}"),
        };
        AddTrainingMemory(totals, model);
        if (model.Get("weights") is { } weights) totals.Add(("weights", weights));
        if (model.Get("test-accuracy") is { } accuracy) totals.Add(("test accuracy (training run)", accuracy));
        AppendPairs(text, totals);
        return text.ToString();
    }

    /// <summary>
    /// The report as one JSON object: model facts, <c>layers</c> (kind, source, shapes, <c>parameters_by_type</c>,
    /// bytes, MACs by kind, training parameters) and <c>totals</c> with the same keys summed.
    /// </summary>
    public static string FormatJson(InferenceModel model, string path)
    {
        ModelFigures figures = Measure(model);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("model", model.Get("name") ?? Path.GetFileName(path));
            writer.WriteString("path", path);
            WriteShape(writer, "input_shape", model.InputShape);
            writer.WriteNumber("classes", model.ClassCount);
            writer.WriteStartObject("metadata");
            foreach (KeyValuePair<string, string> pair in model.Metadata) writer.WriteString(pair.Key, pair.Value);
            writer.WriteEndObject();
            writer.WriteStartArray("layers");
            for (int i = 0; i < figures.Layers.Count; i++)
            {
                LayerFigures layer = figures.Layers[i];
                InferenceLayer l = layer.Layer;
                writer.WriteStartObject();
                writer.WriteNumber("index", i);
                writer.WriteString("kind", l.Kind);
                writer.WriteString("source", l.Source);
                WriteShape(writer, "input_shape", l.InputShape);
                WriteShape(writer, "output_shape", l.OutputShape);
                writer.WriteString("output", Describe(l.Output));
                WriteCounts(writer, layer.Stored, layer.Bytes, layer.Cost.BinaryMacs, layer.Cost.MixedMacs, layer.Cost.IntegerMacs, layer.Cost.FloatMacs);
                WriteTraining(writer, l.TrainingBooleanParameters, l.TrainingRealParameters, l.TrainingIntegerParameters);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteStartObject("totals");
            WriteCounts(writer, figures.Stored, figures.Bytes, figures.Binary, figures.Mixed, figures.Integer, figures.Floating);
            WriteTraining(writer, model.Layers.Sum(l => l.TrainingBooleanParameters), model.Layers.Sum(l => l.TrainingRealParameters),
                model.Layers.Sum(l => l.TrainingIntegerParameters));
            writer.WriteNumber("float32_equivalent_bytes", figures.Parameters * 4);
            writer.WriteNumber("file_bytes", ModelCodec.FileSize(model));
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteShape(Utf8JsonWriter writer, string name, TensorShape shape)
    {
        writer.WriteStartArray(name);
        writer.WriteNumberValue(shape.Height);
        writer.WriteNumberValue(shape.Width);
        writer.WriteNumberValue(shape.Channels);
        writer.WriteEndArray();
    }

    private static void WriteCounts(Utf8JsonWriter writer, SortedDictionary<string, long> stored, long bytes, long binary, long mixed, long integer, long floating)
    {
        writer.WriteStartObject("parameters_by_type");
        foreach (string key in StorageKeys.Concat(stored.Keys.Except(StorageKeys))) writer.WriteNumber(key, stored.GetValueOrDefault(key));
        writer.WriteEndObject();
        writer.WriteNumber("parameters", stored.Values.Sum());
        writer.WriteNumber("bytes", bytes);
        writer.WriteStartObject("macs");
        writer.WriteNumber("binary", binary);
        writer.WriteNumber("byte_x_bit", mixed);
        writer.WriteNumber("int8", integer);
        writer.WriteNumber("float", floating);
        writer.WriteNumber("total", binary + mixed + integer + floating);
        writer.WriteEndObject();
    }

    private static void WriteTraining(Utf8JsonWriter writer, long boolean, long real, long integer)
    {
        writer.WriteStartObject("training_parameters");
        writer.WriteNumber("boolean", boolean);
        writer.WriteNumber("real", real);
        writer.WriteNumber("integer", integer);
        writer.WriteEndObject();
    }

    /// <summary>Training memory per parameter: value + signal/gradient + optimizer state (from the model's metadata).</summary>
    private static void AddTrainingMemory(List<(string, string)> totals, InferenceModel model)
    {
        long boolean = model.Layers.Sum(l => l.TrainingBooleanParameters), real = model.Layers.Sum(l => l.TrainingRealParameters);
        long integer = model.Layers.Sum(l => l.TrainingIntegerParameters);
        double booleanState = double.TryParse(model.Get("optimizer.boolean.state-bytes"), CultureInfo.InvariantCulture, out double b) ? b : 4;
        double realState = double.TryParse(model.Get("optimizer.real.state-bytes"), CultureInfo.InvariantCulture, out double r) ? r : 8;
        // Boolean: 1 bit weight + float32 signal q + accumulator; real: float32 value + gradient + state.
        double booleanBytes = 0.125 + 4 + booleanState, realBytes = 4 + 4 + realState, integerBytes = 4 + 4;
        string booleanName = model.Get("optimizer.boolean") ?? "flip-with-reset", realName = model.Get("optimizer.real") ?? "adam";
        totals.Add(("training parameters", $"{boolean:N0} Boolean, {real:N0} real" + (integer > 0 ? $", {integer:N0} integer" : "")));
        totals.Add(("training memory / parameter",
            $"Boolean ({booleanName}): 1 bit + 4 B signal + {booleanState:0.#} B accumulator = {booleanBytes:0.###} B; " +
            $"real ({realName}): 4 + 4 gradient + {realState:0.#} B state = {realBytes:0.#} B" +
            (integer > 0 ? $"; integer: 4 + 4 gradient = {integerBytes} B" : "")));
        double trainingBytes = boolean * booleanBytes + real * realBytes + integer * integerBytes;
        double adamBytes = (boolean + real + integer) * 16.0;
        totals.Add(("training memory (parameters)",
            $"{Size((long)trainingBytes)} vs {Size((long)adamBytes)} for float32 + Adam ({adamBytes / Math.Max(1, trainingBytes):F1}x)"));
    }

    /// <summary>"name  value" lines, names padded to the longest; a value too long for <see cref="Width"/> wraps at spaces under itself.</summary>
    private static void AppendPairs(StringBuilder text, IReadOnlyList<(string Name, string Value)> pairs)
    {
        int indent = pairs.Max(p => p.Name.Length) + 2;
        foreach ((string name, string value) in pairs)
        {
            var line = new StringBuilder(name.PadRight(indent));
            foreach (string word in Words(value))
            {
                if (line.Length > indent && line.Length + 1 + word.Length > Width)
                {
                    text.Append(line.ToString().TrimEnd()).Append('\n');
                    line.Clear().Append(' ', indent);
                }
                else if (line.Length > indent) line.Append(' ');
                line.Append(word);
            }
            text.Append(line.ToString().TrimEnd()).Append('\n');
        }
    }

    /// <summary>The words of <paramref name="value"/>, a unit kept with its number ("4 B", "3.07 MiB", "1,024 int32").</summary>
    private static List<string> Words(string value)
    {
        var words = new List<string>();
        foreach (string word in value.Split(' '))
        {
            bool unit = word.TrimEnd(',', ';', ')') is "B" or "KiB" or "MiB" or "bytes" or "bit" || StorageKeys.Contains(word.TrimEnd(',', ';'));
            if (unit && words.Count > 0) words[^1] += " " + word;
            else words.Add(word);
        }
        return words;
    }

    private static string Index(int i) => i.ToString(CultureInfo.InvariantCulture);

    private static string Describe(ValueKind kind) => kind switch
    {
        ValueKind.Bits => "bits",
        ValueKind.Real => "real",
        _ => "bytes",
    };

    private static string Count(long value) => value == 0 ? "-" : value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Percent(long part, long total) => total == 0 ? "-" : $"{100.0 * part / total:F1}%";

    private static string Size(long bytes) => bytes switch
    {
        0 => "-",
        < 1024 => $"{bytes} B",
        < 1 << 20 => $"{bytes / 1024.0:F1} KiB",
        _ => $"{bytes / 1048576.0:F2} MiB",
    };
}
