using System.CommandLine;
using BoolNet.Inference;
using BoolNet.Inference.Serialization;

namespace BoolNet.Cli;

/// <summary><c>boolnet export CHECKPOINT -o FILE</c>: fold a training checkpoint into a model file.</summary>
internal static partial class TrainingCommands
{
    static partial void AddExport(RootCommand root)
    {
        var source = new Argument<string>("checkpoint") { Description = "Training checkpoint or run folder" };
        var output = new Option<string>("--out", "-o") { Description = "Model file to write", DefaultValueFactory = _ => "model.bnm" };
        var export = new Command("export", "Fold a training checkpoint (BN + threshold -> integer thresholds) into a model file for inference");
        export.Arguments.Add(source);
        export.Options.Add(output);
        export.SetAction(parseResult => CliErrors.Run(() =>
        {
            string path = parseResult.GetValue(output)!;
            string from = parseResult.GetValue(source)!;
            CheckTarget(path, from);
            InferenceModel folded = ModelSource.Load(from, preferCheckpoint: true);
            ModelCodec.Save(path, folded);
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
    internal static void CheckTarget(string output, string source)
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

