using System.CommandLine;

namespace BoolNet.Train.Cli;

/// <summary>
/// The command catalogue. Each command lives in its own file and implements one of these partial
/// methods (an unimplemented one compiles away), so commands are added without touching this file.
/// </summary>
internal static partial class Commands
{
    /// <summary>Adds every command to <paramref name="root"/>.</summary>
    public static void AddAll(RootCommand root)
    {
        AddTrain(root);
        AddEvaluate(root);
        AddCompare(root);
        AddSummary(root);
        AddPredict(root);
        AddBench(root);
    }

    static partial void AddTrain(RootCommand root);
    static partial void AddEvaluate(RootCommand root);
    static partial void AddCompare(RootCommand root);
    static partial void AddSummary(RootCommand root);
    static partial void AddPredict(RootCommand root);
    static partial void AddBench(RootCommand root);
}
