namespace BoolNet.Train;

/// <summary>The boolnet command line (commands are added by the training issues).</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("boolnet: no commands yet");
        return args.Length == 0 ? 0 : 1;
    }
}
