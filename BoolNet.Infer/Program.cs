using System.CommandLine;
using BoolNet.Commands;

namespace BoolNet.Infer;

/// <summary>
/// <c>boolnet-infer</c>: the inference-only tool. The same <c>predict</c>, <c>bench</c> and <c>summary</c> as
/// <c>boolnet</c> (BoolNet.Commands), on model files written by <c>boolnet export</c>, with no training code,
/// so it publishes as one NativeAOT binary:
/// <code>dotnet publish BoolNet.Infer -c Release -r linux-x64 -p:PublishAot=true</code>
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("boolnet-infer: run BoolNet model files (predict, bench, summary)");
        InferenceCommands.AddTo(root, new ModelFileSource());
        return CommandInvocation.Invoke(root, args, "boolnet-infer");
    }
}
