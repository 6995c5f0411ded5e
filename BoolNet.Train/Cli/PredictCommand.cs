using System.CommandLine;
using BoolNet.Layers.Inference;
using StbImageSharp;

namespace BoolNet.Train.Cli;

/// <summary><c>boolnet predict MODEL INPUT...</c>: top classes for IDX images or PNG/JPEG files.</summary>
internal static partial class Commands
{
    static partial void AddPredict(RootCommand root)
    {
        var model = new Argument<string>("model") { Description = "Model file (.bnm), training checkpoint or run folder" };
        var inputs = new Argument<string[]>("input") { Description = "IDX image file(s) (raw or .gz) or image files (PNG, JPEG)", Arity = ArgumentArity.OneOrMore };
        var top = new Option<int>("--top", "-k") { Description = "Classes to show per image", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "Print JSON (for scripts)" };
        var limit = new Option<int>("--limit") { Description = "At most N images from an IDX file (0 = all)", DefaultValueFactory = _ => 0 };
        var labels = new Option<string?>("--labels") { Description = "IDX label file matching an IDX image file: prints the accuracy" };
        var invert = new Option<bool>("--invert") { Description = "Invert intensities (dark object on light background -> the datasets' light on dark)" };
        var threads = new Option<int>("--threads") { Description = "Threads (0 = all cores)", DefaultValueFactory = _ => 0 };
        var command = new Command("predict", "Classify images with a model file");
        command.Arguments.Add(model);
        command.Arguments.Add(inputs);
        foreach (Option option in new Option[] { top, json, limit, labels, invert, threads }) command.Options.Add(option);
        command.SetAction(parseResult => CliErrors.Run(() =>
        {
            InferenceModel loaded = ModelSource.Load(parseResult.GetValue(model)!);
            List<InputImage> images = PredictRunner.ReadInputs(parseResult.GetValue(inputs)!, loaded, DecodeImage,
                parseResult.GetValue(limit), parseResult.GetValue(invert), parseResult.GetValue(labels));
            float[] scores = PredictRunner.Score(loaded, images, parseResult.GetValue(threads));
            int k = parseResult.GetValue(top);
            Console.Write(parseResult.GetValue(json)
                ? PredictRunner.FormatJson(loaded, images, scores, k) + Environment.NewLine
                : PredictRunner.FormatText(loaded, images, scores, k));
            return 0;
        }));
        root.Subcommands.Add(command);
    }

    /// <summary>PNG/JPEG/BMP/... via StbImageSharp, converted to grey (1 channel) or RGB (3).</summary>
    internal static (byte[] Pixels, int Width, int Height) DecodeImage(byte[] file, int channels)
    {
        ColorComponents components = channels switch
        {
            1 => ColorComponents.Grey,
            3 => ColorComponents.RedGreenBlue,
            4 => ColorComponents.RedGreenBlueAlpha,
            _ => throw new ArgumentException($"models with {channels} input channels cannot take image files"),
        };
        ImageResult image = ImageResult.FromMemory(file, components);
        return (image.Data, image.Width, image.Height);
    }
}
