using System.CommandLine;
using BoolNet.Inference;
using BoolNet.Inference.Onnx;
using BoolNet.Inference.Serialization;

namespace BoolNet.Cli;

/// <summary>
/// <c>boolnet export CHECKPOINT -o FILE [--format bnm|onnx]</c>: fold a training checkpoint into a model file,
/// or into an ONNX graph (<see cref="OnnxExporter"/>).
/// </summary>
internal static partial class TrainingCommands
{
    static partial void AddExport(RootCommand root)
    {
        var source = new Argument<string>("checkpoint") { Description = "Training checkpoint or run folder" };
        var output = new Option<string>("--out", "-o") { Description = "Model file to write [default: model.bnm, or model.onnx with --format onnx]" };
        var format = new Option<string>("--format") { Description = "bnm (BoolNet model file) or onnx (ONNX graph, opset 13)", DefaultValueFactory = _ => "bnm" };
        format.AcceptOnlyFromAmong("bnm", "onnx");
        var export = new Command("export", "Fold a training checkpoint (BN + threshold -> integer thresholds) into a model file for inference");
        export.Arguments.Add(source);
        export.Options.Add(output);
        export.Options.Add(format);
        export.SetAction(parseResult => CliErrors.Run(() =>
        {
            bool onnx = parseResult.GetValue(format) == "onnx";
            string path = parseResult.GetValue(output) ?? (onnx ? "model.onnx" : "model.bnm");
            InferenceModel folded = ModelSource.Load(parseResult.GetValue(source)!, preferCheckpoint: true);
            if (onnx) OnnxExporter.Save(path, folded);
            else ModelCodec.Save(path, folded);
            Console.WriteLine($"wrote {path}: {new FileInfo(path).Length:N0} bytes, {folded.Layers.Count} layers");
            return 0;
        }));
        root.Subcommands.Add(export);
    }
}

