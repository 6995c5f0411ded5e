using System.CommandLine;
using BoolNet.Commands;
using BoolNet.Training.Data;
using BoolNet.Training.Models;

namespace BoolNet.Cli;

/// <summary><c>boolnet train</c>: trains a catalogue model, writes metrics.json, curves.png and a resumable checkpoint.</summary>
internal static partial class TrainingCommands
{
    static partial void AddTrain(RootCommand root)
    {
        var model = new Option<string>("--model", "-m") { Description = $"Model from the catalogue ({string.Join(", ", ModelCatalog.All.Select(e => e.Name))})", DefaultValueFactory = _ => ModelCatalog.DefaultModel };
        var dataset = new Option<string>("--dataset") { Description = $"Dataset name ({string.Join(", ", DatasetLoader.Names)})", DefaultValueFactory = _ => DatasetLoader.DefaultDataset };
        var data = new Option<string?>("--data") { Description = "Folder holding the dataset files (default: the dataset's standard folder)" };
        var epochs = NumericOptions.Integer("--epochs", "Epochs, 1..1000000 (default: the model's recommendation, 10 for the MLPs)", 1, 1_000_000);
        var batch = NumericOptions.Integer("--batch", $"Batch size, 1..{MaximumBatch} (default 100)", 1, MaximumBatch);
        var rate = NumericOptions.Real("--lr", "Boolean learning rate eta (accumulator step per unit signal), above 0", 0, false, 1e9);
        var realRate = NumericOptions.Real("--real-lr", "Learning rate of float parameters, above 0 and at most 10 (Adam 1e-3 by default)", 0, false, 10);
        var seed = NumericOptions.Integer("--seed", "Seed (weights, shuffling, stochastic rounding), a whole number", int.MinValue, int.MaxValue);
        var threads = NumericOptions.OptionalThreads($"Threads, 1..{NumericOptions.MaximumThreads} (default or 0: all cores); results do not depend on it");
        var output = new Option<string?>("--out", "-o") { Description = "Output folder for metrics.json, curves.png, checkpoint.bin (default runs/<model>)" };
        var resume = new Option<string?>("--resume") { Description = "Resume from a run folder (or checkpoint file) written by a previous train; with --epochs N, go on to N epochs" };
        var trainLimit = NumericOptions.Integer("--train-limit", "Use only the first N training images (quick runs; 0 = all)", 0, int.MaxValue);
        var testLimit = NumericOptions.Integer("--test-limit", "Use only the first N test images (0 = all)", 0, int.MaxValue);
        var hidden = new Option<string?>("--hidden") { Description = $"Hidden widths, e.g. 1024,1024 (1..{MaximumWidth} each, at most {MaximumHiddenLayers})" };
        var first = new Option<string?>("--first") { Description = "First layer: bitplane | real | thermometer" };
        var head = new Option<string?>("--head") { Description = "Head: real | boolean" };
        var planes = Planes("--planes", "Signal bit-planes P in the Boolean backward (0 = exact float path, or 2..8)");
        var inputPlanes = Planes("--input-planes", "Signal bit-planes of the input signal g in the Boolean backward, 0 or 2..8 (default: as --planes, which then sets the weight signal q)");
        var firstPlanes = Planes("--first-planes", "Signal planes of the bit-plane first layer's weight signal (0 = exact, or 2..8)");
        var firstRate = NumericOptions.Real("--first-lr-scale", "Bit-plane first layer: factor on the Boolean eta for its weights (with or without --normalize-signal), 0..1e6", 0, true, 1e6);
        var inputBits = NumericOptions.Integer("--input-bits", "Bit-plane first layer: input planes kept (1..8)", 1, 8);
        var levels = NumericOptions.Integer("--thermometer", "Thermometer first layer: bits per pixel (1..255)", 1, 255);
        var rounding = new Option<string?>("--rounding") { Description = "Signal rounding: nearest | stochastic" };
        var surrogate = new Option<string?>("--surrogate") { Description = "Threshold surrogate: tanh | box" };
        var surrogateWidth = NumericOptions.Real("--surrogate-width", "tanh alpha or box radius, above 0 and at most 1e6", 0, false, 1e6);
        var noBatchNorm = new Option<bool>("--no-bn") { Description = "No batch normalisation" };
        var accumulator = new Option<string?>("--accumulator") { Description = "Boolean accumulator: float32 | int16" };
        var clip = NumericOptions.Real("--clip", "Clip |m| <= kappa (0 = off), 0..1e9", 0, true, 1e9);
        var normalize = new Option<bool?>("--normalize-signal") { Description = "Boolean optimizer: divide eta by the RMS of each tensor's signal (its previous step's), so --lr is the RMS push as a fraction of the flip threshold (true/false)" };
        var beta = NumericOptions.Real("--beta", "Boolean optimizer: constant accumulator decay beta, above 0 and at most 1 (default: adaptive 1 - flip ratio)", 0, false, 1);
        var schedule = new Option<string?>("--schedule") { Description = "Learning-rate schedule: cosine | constant" };
        var integerRate = NumericOptions.Real("--int-lr", "Integer layers (step with reset): accumulator push per step of a unit signal, above 0", 0, false, 1e9);
        var integerNormalization = new Option<string?>("--int-normalization") { Description = "Integer layers: signal normalised per tensor | element" };
        var initScale = NumericOptions.Real("--int-init", "Integer layers: weights start as round(A U(-1, 1)), A this value (0..127)", 0, true, 127);
        var headScale = NumericOptions.Real("--head-scale", "Boolean head: logit scale; integer head: fixed gain of its LayerNorm (softmax temperature), 0..1e6", 0, true, 1e6);
        var force = new Option<bool>("--force") { Description = "Replace a run already in the output folder (without it, train refuses to overwrite one)" };
        var augment = new Option<string?>("--augment") { Description = "Training-image augmentation: none | flip | flip-shift (mirror, +-2 pixel shifts)" };
        var command = new Command("train", "Train a model (default: the Boolean MLP on Fashion-MNIST)")
        {
            model, dataset, data, epochs, batch, rate, realRate, seed, threads, output, resume, trainLimit, testLimit,
            hidden, first, head, planes, inputPlanes, firstPlanes, firstRate, inputBits, levels, rounding, surrogate, surrogateWidth, noBatchNorm,
            accumulator, clip, schedule, normalize, beta, augment, integerRate, integerNormalization, initScale, headScale, force,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string? resumeFrom = parse.GetValue(resume);
            var request = new TrainRequest
            {
                Model = parse.GetValue(model)!,
                Dataset = parse.GetValue(dataset)!,
                DataDirectory = parse.GetValue(data),
                OutputDirectory = parse.GetValue(output),
                ResumeFrom = resumeFrom,
                Epochs = parse.GetValue(epochs),
                Invocation = RunInvocation.Now(parse.Tokens.Select(t => t.Value)),
                Threads = parse.GetValue(threads),
                Force = parse.GetValue(force),
                EditSettings = s => s with
                {
                    Hidden = ParseWidths(parse.GetValue(hidden)) ?? s.Hidden,
                    First = Parse(parse.GetValue(first), s.First),
                    Head = Parse(parse.GetValue(head), s.Head),
                    SignalPlanes = parse.GetValue(planes) ?? s.SignalPlanes,
                    InputSignalPlanes = parse.GetValue(inputPlanes) ?? s.InputSignalPlanes,
                    FirstLayerSignalPlanes = parse.GetValue(firstPlanes) ?? s.FirstLayerSignalPlanes,
                    FirstLayerLearningRateScale = (float?)parse.GetValue(firstRate) ?? s.FirstLayerLearningRateScale,
                    InputBits = parse.GetValue(inputBits) ?? s.InputBits,
                    ThermometerLevels = parse.GetValue(levels) ?? s.ThermometerLevels,
                    Rounding = Parse(parse.GetValue(rounding), s.Rounding),
                    Surrogate = Parse(parse.GetValue(surrogate), s.Surrogate),
                    SurrogateWidth = (float?)parse.GetValue(surrogateWidth) ?? s.SurrogateWidth,
                    BatchNorm = !parse.GetValue(noBatchNorm) && s.BatchNorm,
                    IntegerInitialScale = parse.GetValue(initScale) ?? s.IntegerInitialScale,
                    HeadScale = (float?)parse.GetValue(headScale) ?? s.HeadScale,
                },
                EditOptions = o => o with
                {
                    Epochs = parse.GetValue(epochs) ?? o.Epochs,
                    BatchSize = parse.GetValue(batch) ?? o.BatchSize,
                    Seed = parse.GetValue(seed) ?? o.Seed,
                    TrainLimit = parse.GetValue(trainLimit) ?? o.TrainLimit,
                    TestLimit = parse.GetValue(testLimit) ?? o.TestLimit,
                    Augmentation = Parse(parse.GetValue(augment), o.Augmentation),
                    Boolean = o.Boolean with
                    {
                        LearningRate = parse.GetValue(rate) ?? o.Boolean.LearningRate,
                        Accumulator = Parse(parse.GetValue(accumulator), o.Boolean.Accumulator),
                        Clip = parse.GetValue(clip) ?? o.Boolean.Clip,
                        NormalizeSignal = parse.GetValue(normalize) ?? o.Boolean.NormalizeSignal,
                        FixedBeta = parse.GetValue(beta) ?? o.Boolean.FixedBeta,
                        Schedule = Parse(parse.GetValue(schedule), o.Boolean.Schedule),
                    },
                    Real = o.Real with
                    {
                        LearningRate = parse.GetValue(realRate) ?? o.Real.LearningRate,
                        Schedule = Parse(parse.GetValue(schedule), o.Real.Schedule),
                    },
                    IntegerStep = o.IntegerStep is null ? null : o.IntegerStep with
                    {
                        LearningRate = parse.GetValue(integerRate) ?? o.IntegerStep.LearningRate,
                        Normalization = Parse(parse.GetValue(integerNormalization), o.IntegerStep.Normalization),
                        Schedule = Parse(parse.GetValue(schedule), o.IntegerStep.Schedule),
                    },
                },
            };
            return TrainRunner.Run(request);
        }));
        root.Subcommands.Add(command);
    }

    /// <summary>Largest training batch (<c>--batch</c>).</summary>
    internal const int MaximumBatch = 65536;

    /// <summary>Widest hidden layer and most hidden layers <c>--hidden</c> takes (a checkpoint's limits).</summary>
    internal const int MaximumWidth = 65536, MaximumHiddenLayers = 64;

    /// <summary>
    /// Most weights between two hidden layers: 2^28 (training holds about 8 bytes per Boolean weight,
    /// so 2 GiB), which refuses 60000,60000 before anything is allocated.
    /// </summary>
    internal const long MaximumLayerWeights = 1L << 28;

    /// <summary>Most values one training batch may hold in its widest hidden layer (batch x width): 2^28 floats, 1 GiB.</summary>
    internal const long MaximumBatchValues = 1L << 28;

    internal static int[]? ParseWidths(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        string shown = NumericOptions.Printable(text);
        string[] parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var widths = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out widths[i])
                || widths[i] < 1 || widths[i] > MaximumWidth)
                throw new ArgumentException($"--hidden '{shown}': widths are whole numbers from 1 to {MaximumWidth} separated by commas, e.g. 1024,1024");
        if (widths.Length == 0 || widths.Length > MaximumHiddenLayers)
            throw new ArgumentException($"--hidden '{shown}': expected 1 to {MaximumHiddenLayers} widths separated by commas, e.g. 1024,1024");
        for (int i = 1; i < widths.Length; i++)
            if ((long)widths[i - 1] * widths[i] > MaximumLayerWeights)
                throw new ArgumentException($"--hidden '{shown}': {widths[i - 1]} x {widths[i]} = {(long)widths[i - 1] * widths[i]:N0} weights between two layers, more than the {MaximumLayerWeights:N0} training can hold in memory");
        return widths;
    }

    /// <summary>A signal-planes option: 0 (the exact float path) or 2..8 (two's complement needs a sign plane).</summary>
    private static Option<int?> Planes(string name, string description) =>
        NumericOptions.Integer(name, description, 0, 8, planes => planes == 1 ? "1 is not allowed; expected 0 (exact) or 2 to 8 planes (one is the sign plane)" : null);

    internal static T Parse<T>(string? text, T fallback) where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        string key = text.Replace("-", "").Replace("_", "");
        foreach (T value in Enum.GetValues<T>())
            if (string.Equals(value.ToString(), key, StringComparison.OrdinalIgnoreCase)) return value;
        throw new ArgumentException($"'{text}' is not one of: {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");
    }
}
