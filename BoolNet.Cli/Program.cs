using System.CommandLine;
using BoolNet.Commands;

namespace BoolNet.Cli;

/// <summary>The <c>boolnet</c> command line.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("BoolNet: Boolean neural networks on packed bits (train, evaluate, summary, predict, bench, compare)");
        TrainingCommands.AddAll(root);
        return CommandInvocation.Invoke(root, args, "boolnet");
    }
}
