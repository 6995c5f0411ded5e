using System.CommandLine;
using BoolNet.Layers;
using BoolNet.Layers.Inference;
using BoolNet.Layers.Serialization;
using BoolNet.Train.Models;
using BoolNet.Train.Optimizers;
using BoolNet.Train.Training;
using Spectre.Console;

namespace BoolNet.Train.Cli;

/// <summary>
/// <c>boolnet summary MODEL</c> (larq-style model summary) and <c>boolnet export CHECKPOINT -o FILE</c>
/// (fold a training checkpoint into a model file). MODEL is a model file, a checkpoint or a run folder.
/// </summary>
internal static partial class Commands
{
    static partial void AddSummary(RootCommand root)
    {
        var model = new Argument<string>("model") { Description = "Model file (.bnm), training checkpoint or run folder" };
        var summary = new Command("summary", "Per-layer shapes, parameters by bit width, memory and MACs of a model");
        summary.Arguments.Add(model);
        summary.SetAction(parseResult => CliErrors.Run(() => RunSummary(parseResult.GetValue(model)!)));
        root.Subcommands.Add(summary);

        var source = new Argument<string>("checkpoint") { Description = "Training checkpoint or run folder" };
        var output = new Option<string>("--out", "-o") { Description = "Model file to write", DefaultValueFactory = _ => "model.bnm" };
        var export = new Command("export", "Fold a training checkpoint (BN + threshold -> integer thresholds) into a model file for inference");
        export.Arguments.Add(source);
        export.Options.Add(output);
        export.SetAction(parseResult => CliErrors.Run(() =>
        {
            string path = parseResult.GetValue(output)!;
            InferenceModel folded = ModelSource.Load(parseResult.GetValue(source)!, preferCheckpoint: true);
            ModelCodec.Save(path, folded);
            Console.WriteLine($"wrote {path}: {new FileInfo(path).Length:N0} bytes, {folded.Layers.Count} layers");
            return 0;
        }));
        root.Subcommands.Add(export);
    }

    private static int RunSummary(string path)
    {
        InferenceModel model = ModelSource.Load(path);
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 170); // logs and pipes: no wrapping
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("#").AddColumn("layer").AddColumn("folded from").AddColumn(new TableColumn("output").RightAligned())
            .AddColumn(new TableColumn("1-bit").RightAligned()).AddColumn(new TableColumn("8-bit").RightAligned())
            .AddColumn(new TableColumn("32-bit").RightAligned()).AddColumn(new TableColumn("memory").RightAligned())
            .AddColumn(new TableColumn("binary MACs").RightAligned()).AddColumn(new TableColumn("8x1-bit MACs").RightAligned())
            .AddColumn(new TableColumn("float MACs").RightAligned());
        long oneBit = 0, eightBit = 0, thirtyTwo = 0, memory = 0, binary = 0, mixed = 0, floating = 0;
        for (int i = 0; i < model.Layers.Count; i++)
        {
            InferenceLayer layer = model.Layers[i];
            LayerCost cost = layer.Cost;
            long Bits(int width) => cost.ParametersByBits.TryGetValue(width, out long v) ? v : 0;
            oneBit += Bits(1); eightBit += Bits(8); thirtyTwo += Bits(32);
            memory += cost.ParameterBytes; binary += cost.BinaryMacs; mixed += cost.MixedMacs; floating += cost.FloatMacs;
            table.AddRow(i.ToString(), layer.Kind, Markup.Escape(layer.Source), layer.OutputShape.ToString(),
                Count(Bits(1)), Count(Bits(8)), Count(Bits(32)), Size(cost.ParameterBytes),
                Count(cost.BinaryMacs), Count(cost.MixedMacs), Count(cost.FloatMacs));
        }
        table.AddEmptyRow();
        table.AddRow("", "[bold]total[/]", "", "", Count(oneBit), Count(eightBit), Count(thirtyTwo), Size(memory), Count(binary), Count(mixed), Count(floating));
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(model.Get("name") ?? Path.GetFileName(path))}[/]  input {model.InputShape} bytes -> {model.ClassCount} scores" +
                               (model.Get("settings") is { } settings ? $"  ({Markup.Escape(settings)})" : ""));
        AnsiConsole.Write(table);

        long parameters = oneBit + eightBit + thirtyTwo;
        long fileSize = ModelCodec.FileSize(model);
        long totalMacs = binary + mixed + floating;
        var totals = new Table().Border(TableBorder.Simple).HideHeaders().AddColumn("").AddColumn("");
        totals.AddRow("model file size", $"{fileSize:N0} bytes ({Size(fileSize)})" + (IsModelFile(path) ? $", on disk {new FileInfo(path).Length:N0} bytes" : " (as export would write it)"));
        totals.AddRow("parameters (inference)", $"{parameters:N0}: {oneBit:N0} x 1-bit, {eightBit:N0} x 8-bit, {thirtyTwo:N0} x 32-bit = {Size(memory)}");
        totals.AddRow("float32-equivalent size", $"{Size(parameters * 4)} (compression {(double)parameters * 4 / Math.Max(1, memory):F1}x)");
        totals.AddRow("MACs per image", $"{totalMacs:N0}; binary {Percent(binary, totalMacs)}, 8x1-bit {Percent(mixed, totalMacs)}, float {Percent(floating, totalMacs)}");
        AddTrainingMemory(totals, model);
        if (model.Get("test-accuracy") is { } accuracy) totals.AddRow("test accuracy (training run)", accuracy);
        AnsiConsole.Write(totals);
        return 0;
    }

    /// <summary>Training memory per parameter: value + signal/gradient + optimizer state (from the model's metadata).</summary>
    private static void AddTrainingMemory(Table totals, InferenceModel model)
    {
        long boolean = model.Layers.Sum(l => l.TrainingBooleanParameters), real = model.Layers.Sum(l => l.TrainingRealParameters);
        long integer = model.Layers.Sum(l => l.TrainingIntegerParameters);
        double booleanState = double.TryParse(model.Get("optimizer.boolean.state-bytes"), out double b) ? b : 4;
        double realState = double.TryParse(model.Get("optimizer.real.state-bytes"), out double r) ? r : 8;
        // Boolean: 1 bit weight + float32 signal q + accumulator; real: float32 value + gradient + state.
        double booleanBytes = 0.125 + 4 + booleanState, realBytes = 4 + 4 + realState, integerBytes = 4 + 4;
        string booleanName = model.Get("optimizer.boolean") ?? "flip-with-reset", realName = model.Get("optimizer.real") ?? "adam";
        totals.AddRow("training parameters", $"{boolean:N0} Boolean, {real:N0} real" + (integer > 0 ? $", {integer:N0} integer" : ""));
        totals.AddRow("training memory / parameter",
            $"Boolean ({Markup.Escape(booleanName)}): 1 bit + 4 B signal + {booleanState:0.#} B accumulator = {booleanBytes:0.###} B; " +
            $"real ({Markup.Escape(realName)}): 4 + 4 gradient + {realState:0.#} B state = {realBytes:0.#} B" +
            (integer > 0 ? $"; integer: 4 + 4 gradient = {integerBytes} B" : ""));
        double trainingBytes = boolean * booleanBytes + real * realBytes + integer * integerBytes;
        double adamBytes = (boolean + real + integer) * 16.0;
        totals.AddRow("training memory (parameters)", $"{Size((long)trainingBytes)} vs {Size((long)adamBytes)} for float32 + Adam ({adamBytes / Math.Max(1, trainingBytes):F1}x)");
    }

    private static bool IsModelFile(string path) => ModelSource.IsModelFile(path);

    private static string Count(long value) => value == 0 ? "-" : value.ToString("N0");

    private static string Percent(long part, long total) => total == 0 ? "-" : $"{100.0 * part / total:F1}%";

    private static string Size(long bytes) => bytes switch
    {
        0 => "-",
        < 1024 => $"{bytes} B",
        < 1 << 20 => $"{bytes / 1024.0:F1} KiB",
        _ => $"{bytes / 1048576.0:F2} MiB",
    };
}

/// <summary>Opens what the user names as MODEL: a model file, a training checkpoint (folded on the fly) or a run folder.</summary>
internal static class ModelSource
{
    private static readonly Dictionary<string, string> ClassNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["fashion-mnist"] = "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot",
        ["mnist"] = "0,1,2,3,4,5,6,7,8,9",
        ["cifar10"] = "airplane,automobile,bird,cat,deer,dog,frog,horse,ship,truck",
    };

    /// <summary>True when the file starts with the model-file magic.</summary>
    public static bool IsModelFile(string path)
    {
        if (!File.Exists(path)) return false;
        using FileStream stream = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[8];
        return stream.Read(magic) == 8 && magic.SequenceEqual(ModelFile.Magic);
    }

    /// <summary>Loads a model file, or folds a checkpoint (a run folder means its checkpoint.bin or model.bnm).</summary>
    public static InferenceModel Load(string path, bool preferCheckpoint = false)
    {
        if (Directory.Exists(path))
        {
            string model = Path.Combine(path, "model.bnm"), checkpoint = Path.Combine(path, TrainRunner.CheckpointFile);
            path = File.Exists(model) && !(preferCheckpoint && File.Exists(checkpoint)) ? model : File.Exists(checkpoint) ? checkpoint
                : throw new ModelFormatException(path, $"folder holds neither model.bnm nor {TrainRunner.CheckpointFile}");
        }
        if (!File.Exists(path)) throw new ModelFormatException(path, "model file not found");
        if (IsModelFile(path)) return ModelCodec.Load(path);
        return FoldCheckpoint(path);
    }

    /// <summary>Rebuilds the checkpoint's network and folds it, with the run's facts as metadata.</summary>
    public static InferenceModel FoldCheckpoint(string path)
    {
        CheckpointHeader header = Checkpoint.ReadHeader(path);
        if (header.InputShape.Length != 3) throw new ModelFormatException(path, "checkpoint header has no input shape");
        ModelEntry entry = ModelCatalog.Get(header.Model);
        var shape = new TensorShape(header.InputShape[0], header.InputShape[1], header.InputShape[2]);
        Network network = entry.Build(shape, header.Classes, header.Options.Seed, header.Settings);
        Checkpoint.LoadNetwork(path, network);
        var metadata = new List<KeyValuePair<string, string>>
        {
            new("name", header.Model),
            new("settings", header.Settings.Describe()),
            new("dataset", header.Dataset),
            new("epochs", header.History.Count.ToString()),
            new("optimizer.boolean", "flip-with-reset"),
            new("optimizer.boolean.state-bytes", header.Options.Boolean.Accumulator == AccumulatorType.Int16 ? "2" : "4"),
            new("optimizer.real", header.Options.Real.Kind.ToString().ToLowerInvariant()),
            new("optimizer.real.state-bytes", header.Options.Real.Kind == RealOptimizerKind.Adam ? "8" : header.Options.Real.Momentum == 0 ? "0" : "4"),
        };
        if (ClassNames.TryGetValue(header.Dataset, out string? names)) metadata.Add(new("classes", names));
        if (header.History.Count > 0) metadata.Add(new("test-accuracy", header.History[^1].TestAccuracy.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)));
        return NetworkFolder.Fold(network, metadata);
    }
}
