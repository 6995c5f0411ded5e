using System.Globalization;
using BoolNet.Core.Kernels;
using BoolNet.Layers.Inference;
using BoolNet.Layers.Serialization;
using StbImageSharp;

namespace BoolNet.Infer;

/// <summary>
/// <c>boolnet-infer</c>: the inference-only tool. Loads a model file written by <c>boolnet export</c>
/// and predicts, benchmarks or summarises it, with no training code (Core + Layers only), so it
/// publishes as one NativeAOT binary:
/// <code>dotnet publish BoolNet.Infer -c Release -r linux-x64 -p:PublishAot=true</code>
/// Arguments are parsed by hand (a few flags) to keep the binary small.
/// </summary>
public static class Program
{
    private const string Usage = """
        usage: boolnet-infer predict MODEL INPUT... [--top K] [--json] [--limit N] [--labels IDX] [--invert] [--threads N]
               boolnet-infer bench MODEL [--batch N] [--threads N] [--seconds S] [--json]
               boolnet-infer summary MODEL
        MODEL is a model file (.bnm) from `boolnet export`; INPUT is an IDX image file (raw or .gz) or a PNG/JPEG image.
        """;

    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        if (args.Length < 2 || args[0] is "-h" or "--help")
        {
            Console.Error.WriteLine(Usage);
            return args.Length == 1 && args[0] is "-h" or "--help" ? 0 : 2;
        }
        try
        {
            var options = new Options(args.Skip(1));
            InferenceModel model = ModelCodec.Load(options.Positional[0]);
            switch (args[0])
            {
                case "predict":
                    if (options.Positional.Count < 2) throw new ArgumentException("predict needs at least one INPUT");
                    List<InputImage> inputs = PredictRunner.ReadInputs(options.Positional.Skip(1), model, Decode,
                        options.Int("--limit", 0), options.Flag("--invert"), options.Text("--labels"));
                    float[] scores = PredictRunner.Score(model, inputs, options.Int("--threads", 0));
                    int top = options.Int("--top", 3);
                    Console.Write(options.Flag("--json") ? PredictRunner.FormatJson(model, inputs, scores, top) + "\n" : PredictRunner.FormatText(model, inputs, scores, top));
                    return 0;
                case "bench":
                    int batch = options.Int("--batch", 1000);
                    if (batch < 1) throw new ArgumentException("--batch must be at least 1");
                    double seconds = double.Parse(options.Text("--seconds") ?? "4", CultureInfo.InvariantCulture);
                    BenchResult result = InferenceBenchmark.Run(model, batch, Threading.Resolve(options.Int("--threads", 0)), seconds);
                    Console.Write(options.Flag("--json") ? PredictRunner.FormatJson(result, options.Positional[0]) + "\n" : PredictRunner.FormatText(result));
                    return 0;
                case "summary":
                    Console.WriteLine($"{model.Get("name") ?? options.Positional[0]}: input {model.InputShape} bytes -> {model.ClassCount} scores, file {new FileInfo(options.Positional[0]).Length:N0} bytes");
                    for (int i = 0; i < model.Layers.Count; i++)
                    {
                        InferenceLayer layer = model.Layers[i];
                        LayerCost cost = layer.Cost;
                        Console.WriteLine($"  {i}: {layer.Kind,-15} -> {layer.OutputShape,-8} params {string.Join(" ", cost.ParametersByBits.OrderBy(p => p.Key).Select(p => $"{p.Value:N0}x{p.Key}b")),-32} " +
                                          $"{cost.ParameterBytes,10:N0} B  MACs binary {cost.BinaryMacs:N0} 8x1 {cost.MixedMacs:N0} float {cost.FloatMacs:N0}");
                    }
                    return 0;
                default:
                    throw new ArgumentException($"unknown command '{args[0]}'\n{Usage}");
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException or FormatException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static (byte[] Pixels, int Width, int Height) Decode(byte[] file, int channels)
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

    /// <summary>--name value pairs, bare --flags and positional arguments.</summary>
    private sealed class Options
    {
        private static readonly HashSet<string> Flags = ["--json", "--invert"];
        private readonly Dictionary<string, string> _values = [];
        private readonly HashSet<string> _flags = [];

        public Options(IEnumerable<string> arguments)
        {
            using IEnumerator<string> e = arguments.GetEnumerator();
            while (e.MoveNext())
            {
                string a = e.Current;
                if (Flags.Contains(a)) _flags.Add(a);
                else if (a.StartsWith("--", StringComparison.Ordinal))
                {
                    if (!e.MoveNext()) throw new ArgumentException($"{a} needs a value");
                    _values[a] = e.Current;
                }
                else Positional.Add(a);
            }
            if (Positional.Count == 0) throw new ArgumentException("MODEL is missing");
        }

        public List<string> Positional { get; } = [];

        public bool Flag(string name) => _flags.Contains(name);

        public string? Text(string name) => _values.GetValueOrDefault(name);

        public int Int(string name, int fallback) =>
            _values.TryGetValue(name, out string? text)
                ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : throw new ArgumentException($"{name} takes an integer, got '{text}'")
                : fallback;
    }
}
