using System.CommandLine;
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
        var epochs = new Option<int?>("--epochs") { Description = "Epochs (default: the model's recommendation, 10 for the MLPs)" };
        var batch = new Option<int?>("--batch") { Description = "Batch size (default 100)" };
        var rate = new Option<double?>("--lr") { Description = "Boolean learning rate eta (accumulator step per unit signal)" };
        var realRate = new Option<double?>("--real-lr") { Description = "Learning rate of float parameters (Adam 1e-3 by default)" };
        var seed = new Option<int?>("--seed") { Description = "Seed (weights, shuffling, stochastic rounding)" };
        var threads = new Option<int?>("--threads") { Description = "Threads (default: all cores); results do not depend on it" };
        var output = new Option<string?>("--out", "-o") { Description = "Output folder for metrics.json, curves.png, checkpoint.bin (default runs/<model>)" };
        var resume = new Option<string?>("--resume") { Description = "Resume from a run folder (or checkpoint file) written by a previous train; with --epochs N, go on to N epochs" };
        var trainLimit = new Option<int?>("--train-limit") { Description = "Use only the first N training images (quick runs)" };
        var testLimit = new Option<int?>("--test-limit") { Description = "Use only the first N test images" };
        var hidden = new Option<string?>("--hidden") { Description = "Hidden widths, e.g. 1024,1024" };
        var first = new Option<string?>("--first") { Description = "First layer: bitplane | real | thermometer" };
        var head = new Option<string?>("--head") { Description = "Head: real | boolean" };
        var planes = new Option<int?>("--planes") { Description = "Signal bit-planes P in the Boolean backward (0 = exact float path)" };
        var inputPlanes = new Option<int?>("--input-planes") { Description = "Signal bit-planes of the input signal g in the Boolean backward (default: as --planes, which then sets the weight signal q)" };
        var firstPlanes = new Option<int?>("--first-planes") { Description = "Signal planes of the bit-plane first layer's weight signal (0 = exact)" };
        var firstRate = new Option<float?>("--first-lr-scale") { Description = "Bit-plane first layer: factor on the Boolean eta for its weights (with or without --normalize-signal)" };
        var inputBits = new Option<int?>("--input-bits") { Description = "Bit-plane first layer: input planes kept (1..8)" };
        var levels = new Option<int?>("--thermometer") { Description = "Thermometer first layer: bits per pixel" };
        var rounding = new Option<string?>("--rounding") { Description = "Signal rounding: nearest | stochastic" };
        var surrogate = new Option<string?>("--surrogate") { Description = "Threshold surrogate: tanh | box" };
        var surrogateWidth = new Option<float?>("--surrogate-width") { Description = "tanh alpha or box radius" };
        var noBatchNorm = new Option<bool>("--no-bn") { Description = "No batch normalisation" };
        var accumulator = new Option<string?>("--accumulator") { Description = "Boolean accumulator: float32 | int16" };
        var clip = new Option<double?>("--clip") { Description = "Clip |m| <= kappa (0 = off)" };
        var normalize = new Option<bool?>("--normalize-signal") { Description = "Boolean optimizer: divide eta by the RMS of each tensor's signal (its previous step's), so --lr is the RMS push as a fraction of the flip threshold (true/false)" };
        var beta = new Option<double?>("--beta") { Description = "Boolean optimizer: constant accumulator decay beta (default: adaptive 1 - flip ratio)" };
        var schedule = new Option<string?>("--schedule") { Description = "Learning-rate schedule: cosine | constant" };
        var integerRate = new Option<double?>("--int-lr") { Description = "Integer layers (step with reset): accumulator push per step of a unit signal" };
        var integerNormalization = new Option<string?>("--int-normalization") { Description = "Integer layers: signal normalised per tensor | element" };
        var initScale = new Option<double?>("--int-init") { Description = "Integer layers: weights start as round(A U(-1, 1)), A this value" };
        var headScale = new Option<float?>("--head-scale") { Description = "Boolean head: logit scale; integer head: fixed gain of its LayerNorm (softmax temperature)" };
        var augment = new Option<string?>("--augment") { Description = "Training-image augmentation: none | flip | flip-shift (mirror, +-2 pixel shifts)" };
        var command = new Command("train", "Train a model (default: the Boolean MLP on Fashion-MNIST)")
        {
            model, dataset, data, epochs, batch, rate, realRate, seed, threads, output, resume, trainLimit, testLimit,
            hidden, first, head, planes, inputPlanes, firstPlanes, firstRate, inputBits, levels, rounding, surrogate, surrogateWidth, noBatchNorm,
            accumulator, clip, schedule, normalize, beta, augment, integerRate, integerNormalization, initScale, headScale,
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
                EditSettings = s => s with
                {
                    Hidden = ParseWidths(parse.GetValue(hidden)) ?? s.Hidden,
                    First = Parse(parse.GetValue(first), s.First),
                    Head = Parse(parse.GetValue(head), s.Head),
                    SignalPlanes = parse.GetValue(planes) ?? s.SignalPlanes,
                    InputSignalPlanes = parse.GetValue(inputPlanes) ?? s.InputSignalPlanes,
                    FirstLayerSignalPlanes = parse.GetValue(firstPlanes) ?? s.FirstLayerSignalPlanes,
                    FirstLayerLearningRateScale = parse.GetValue(firstRate) ?? s.FirstLayerLearningRateScale,
                    InputBits = parse.GetValue(inputBits) ?? s.InputBits,
                    ThermometerLevels = parse.GetValue(levels) ?? s.ThermometerLevels,
                    Rounding = Parse(parse.GetValue(rounding), s.Rounding),
                    Surrogate = Parse(parse.GetValue(surrogate), s.Surrogate),
                    SurrogateWidth = parse.GetValue(surrogateWidth) ?? s.SurrogateWidth,
                    BatchNorm = !parse.GetValue(noBatchNorm) && s.BatchNorm,
                    IntegerInitialScale = parse.GetValue(initScale) ?? s.IntegerInitialScale,
                    HeadScale = parse.GetValue(headScale) ?? s.HeadScale,
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

    internal static int[]? ParseWidths(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            int[] widths = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
            if (widths.Length == 0 || widths.Any(w => w < 1)) throw new FormatException();
            return widths;
        }
        catch (FormatException)
        {
            throw new ArgumentException($"--hidden '{text}': expected positive widths separated by commas, e.g. 1024,1024");
        }
    }

    internal static T Parse<T>(string? text, T fallback) where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        string key = text.Replace("-", "").Replace("_", "");
        foreach (T value in Enum.GetValues<T>())
            if (string.Equals(value.ToString(), key, StringComparison.OrdinalIgnoreCase)) return value;
        throw new ArgumentException($"'{text}' is not one of: {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");
    }
}
