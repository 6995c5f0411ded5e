using System.Globalization;
using System.Text;
using BoolNet.Inference;
using BoolNet.Inference.Serialization;

namespace BoolNet.Commands;

/// <summary>
/// The text of <c>summary</c> (larq-style): per layer its shapes, parameters by bit width, memory and MACs, then
/// the totals, the compression against float32, and the training memory per parameter taken from the model's
/// metadata (<c>optimizer.*</c> keys, written when a checkpoint is folded).
/// </summary>
public static class SummaryReport
{
    /// <summary>The report for <paramref name="model"/>, read from <paramref name="path"/>.</summary>
    public static string Format(InferenceModel model, string path)
    {
        var table = new TextTable("#", "layer", "folded from", ">output", ">1-bit", ">8-bit", ">32-bit", ">memory",
            ">binary MACs", ">8x1-bit MACs", ">float MACs");
        long oneBit = 0, eightBit = 0, thirtyTwo = 0, memory = 0, binary = 0, mixed = 0, floating = 0;
        for (int i = 0; i < model.Layers.Count; i++)
        {
            InferenceLayer layer = model.Layers[i];
            LayerCost cost = layer.Cost;
            long Bits(int width) => cost.ParametersByBits.TryGetValue(width, out long v) ? v : 0;
            oneBit += Bits(1); eightBit += Bits(8); thirtyTwo += Bits(32);
            memory += cost.ParameterBytes; binary += cost.BinaryMacs; mixed += cost.MixedMacs; floating += cost.FloatMacs;
            table.Add(i.ToString(CultureInfo.InvariantCulture), layer.Kind, layer.Source, layer.OutputShape.ToString(),
                Count(Bits(1)), Count(Bits(8)), Count(Bits(32)), Size(cost.ParameterBytes),
                Count(cost.BinaryMacs), Count(cost.MixedMacs), Count(cost.FloatMacs));
        }
        table.AddRule();
        table.Add("", "total", "", "", Count(oneBit), Count(eightBit), Count(thirtyTwo), Size(memory), Count(binary), Count(mixed), Count(floating));

        var text = new StringBuilder();
        text.Append($"{model.Get("name") ?? Path.GetFileName(path)}  input {model.InputShape} bytes -> {model.ClassCount} scores");
        if (model.Get("settings") is { } settings) text.Append($"  ({settings})");
        text.Append('\n').Append(table).Append('\n');

        long parameters = oneBit + eightBit + thirtyTwo;
        long fileSize = ModelCodec.FileSize(model);
        long totalMacs = binary + mixed + floating;
        var totals = new List<(string, string)>
        {
            ("model file size", $"{fileSize:N0} bytes ({Size(fileSize)})" +
                (ModelFileSource.IsModelFile(path) ? $", on disk {new FileInfo(path).Length:N0} bytes" : " (as export would write it)")),
            ("parameters (inference)", $"{parameters:N0}: {oneBit:N0} x 1-bit, {eightBit:N0} x 8-bit, {thirtyTwo:N0} x 32-bit = {Size(memory)}"),
            ("float32-equivalent size", $"{Size(parameters * 4)} (compression {(double)parameters * 4 / Math.Max(1, memory):F1}x)"),
            ("MACs per image", $"{totalMacs:N0}; binary {Percent(binary, totalMacs)}, 8x1-bit {Percent(mixed, totalMacs)}, float {Percent(floating, totalMacs)}"),
        };
        AddTrainingMemory(totals, model);
        if (model.Get("test-accuracy") is { } accuracy) totals.Add(("test accuracy (training run)", accuracy));
        int width = totals.Max(t => t.Item1.Length);
        foreach ((string name, string value) in totals) text.Append(name.PadRight(width)).Append("  ").Append(value).Append('\n');
        return text.ToString();
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
