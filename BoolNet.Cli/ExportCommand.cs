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
            string from = parseResult.GetValue(source)!;
            CheckTarget(path, from, onnx);
            InferenceModel folded = ModelSource.Load(from, preferCheckpoint: true);
            if (onnx) OnnxExporter.Save(path, folded);
            else ModelCodec.Save(path, folded);
            var written = new FileInfo(Resolve(path)); // a symbolic link's own length is its target's name
            Console.WriteLine($"wrote {path}: {written.Length:N0} bytes, {folded.Layers.Count} layers");
            return 0;
        }));
        root.Subcommands.Add(export);
    }

    /// <summary>
    /// Refuses an output that would destroy something: the export's own input (or the checkpoint of the run
    /// folder it reads), a training checkpoint, or an existing file that is not a BoolNet model file. A
    /// symbolic link is followed (the file it points to is checked and then replaced, the link kept).
    /// </summary>
    internal static void CheckTarget(string output, string source, bool onnx = false)
    {
        string target = Resolve(output);
        string input = Resolve(Directory.Exists(source) ? Path.Combine(source, TrainRunner.CheckpointFile) : source);
        if (string.Equals(target, input, StringComparison.Ordinal))
            throw new ArgumentException($"-o {output}: is the export's own input {source}; choose another output file");
        if (Directory.Exists(target)) throw new ArgumentException($"-o {output}: is a folder; name the model file to write, e.g. {Path.Combine(output, "model.bnm")}");
        if (!File.Exists(target)) return;
        Span<byte> head = stackalloc byte[20];
        int read;
        try
        {
            if (Core.IO.InputFile.NotRegular(target) is string what) throw new ArgumentException($"-o {output}: is {what}; export writes regular files");
            using var stream = new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // unreadable: the write reports what is wrong
        }
        if (read >= 19 && head[..19].SequenceEqual("BOOLNET-CHECKPOINT-"u8))
            throw new ArgumentException($"-o {output}: is a training checkpoint; export writes model files (.bnm), choose another name");
        if (onnx)
        {
            // ONNX files carry no magic: an existing file is replaced only when it is named as one.
            if (!target.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"-o {output}: exists and is not named .onnx; remove it first or choose another name");
            return;
        }
        if (read > 0 && !(read >= 8 && head[..8].SequenceEqual(ModelFile.Magic)))
            throw new ArgumentException($"-o {output}: exists and is not a BoolNet model file; remove it first or choose another name");
    }

    private static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        try { return new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full; }
        catch (IOException) { return full; }
    }
}

