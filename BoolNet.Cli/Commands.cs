using System.CommandLine;
using BoolNet.Commands;

namespace BoolNet.Cli;

/// <summary>
/// The command catalogue. Each command lives in its own file and implements one of these partial
/// methods (an unimplemented one compiles away), so commands are added without touching this file.
/// </summary>
internal static partial class TrainingCommands
{
    /// <summary>Adds every command to <paramref name="root"/>.</summary>
    public static void AddAll(RootCommand root)
    {
        AddTrain(root);
        AddEvaluate(root);
        AddCompare(root);
        AddExport(root);
        InferenceCommands.AddTo(root, new ModelSource());
        AddModels(root);
        AddShow(root);
    }

    static partial void AddTrain(RootCommand root);
    static partial void AddEvaluate(RootCommand root);
    static partial void AddCompare(RootCommand root);
    static partial void AddExport(RootCommand root);
    static partial void AddModels(RootCommand root);
    static partial void AddShow(RootCommand root);
}
