using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Bench;

/// <summary>
/// <c>cpp-gemm [--m M --k K --n N] [--rounds R] [--reference DIR] [--kernel NAME]... [--reps 5] [--ms 20]</c>: the C++ reference
/// kernels (<c>bgemm_avx2.cpp</c>, <c>bgemm_avx512.cpp</c> in DIR, default the first <c>shared/reference</c> in or
/// above the current folder), built
/// here with g++ and, when installed, clang++ (the best kernel of either build counts), beside BoolNet's binary GEMM on its AVX2 and AVX-512 paths, single thread, in alternating
/// rounds in one command: each round runs every contender once (the C++ binaries as child processes, each
/// verifying its kernels bit for bit; the C# paths in process, checked against the scalar reference), the
/// order flipping from round to round so load from other processes hits all alike; within a round a
/// contender runs --reps repetitions of at least --ms milliseconds (many short ones let the best dodge
/// the time slices of other processes on a shared machine). Prints the median over
/// rounds of each contender's GOPS (m * n * k / seconds / 1e9) and the median of the per-round ratios.
/// The AVX-512 reference is written for 256x4096x64 only and runs at that shape alone.
/// </summary>
public static partial class CppReferenceBench
{
    /// <summary>Repetitions per contender per round, and the least milliseconds of one (--reps, --ms).</summary>
    private static int repetitionsPerRound = 5;
    private static double repetitionSeconds = 0.02;
    private const string Best = "best ";

    /// <summary>The AVX2 reference kernels run by default: the best prefix-XOR designs and the C# port.</summary>
    private static readonly string[] DefaultKernels = ["pfx_bc_1x2", "pfx_bc4_1x2", "pfx_bc_1x3", "hs_packed"];

    /// <summary>Runs the mode; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        int m = 256, k = 4096, n = 64, rounds = 5;
        string? reference = null;
        var kernels = new List<string>();
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                if (i + 1 >= args.Length) throw new ArgumentException($"option {args[i]} needs a value");
                string value = args[i + 1];
                switch (args[i++])
                {
                    case "--m": m = Positive(value); break;
                    case "--k": k = Positive(value); break;
                    case "--n": n = Positive(value); break;
                    case "--rounds": rounds = Positive(value); break;
                    case "--reference": reference = value; break;
                    case "--kernel": kernels.Add(value); break;
                    case "--reps": repetitionsPerRound = Positive(value); break;
                    case "--ms": repetitionSeconds = Positive(value) / 1000.0; break;
                    default: throw new ArgumentException($"unknown option '{args[i - 1]}'");
                }
            }
            if (k % 64 != 0) throw new ArgumentException($"--k must be a multiple of 64 (the reference's rows are whole words), got {k}");
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"cpp-gemm: {exception.Message}");
            Console.Error.WriteLine("usage: cpp-gemm [--m 256] [--k 4096] [--n 64] [--rounds 5] [--reference DIR] [--kernel NAME]... [--reps 5] [--ms 20]");
            return 2;
        }
        if (kernels.Count == 0) kernels.AddRange(DefaultKernels);
        reference ??= FindReference();

        // Each reference built by every compiler found (g++, clang++): the same source differs by up to 6 %
        // between them (clang's AVX2 prefix kernels are faster here, g++'s VPOPCNTQ ones), so the ratios are
        // to the best kernel of either build.
        var compilers = Compilers().ToList();
        var avx2Binaries = compilers.Select(compiler => (compiler.Tag, Binary: Build(reference, "bgemm_avx2", compiler))).ToList();
        bool fixedShape = m == 256 && k == 4096 && n == 64;
        bool hasAvx512 = IsaSelection.Supported.Contains(Isa.Avx512);
        var avx512Binaries = fixedShape && hasAvx512
            ? compilers.Select(compiler => (compiler.Tag, Binary: Build(reference, "bgemm_avx512", compiler))).Where(b => b.Binary != null).ToList()
            : [];
        if (avx2Binaries.Any(b => b.Binary == null)) return 1;

        Isa[] isas = IsaSelection.Supported.Where(isa => isa != Isa.Scalar).ToArray();
        var csharp = new ManagedContender(m, k, n);
        if (!csharp.Verify(isas)) return 1;

        // results[name] = GOPS per round
        var results = new Dictionary<string, List<double>>();
        void Record(string name, double gops)
        {
            if (!results.TryGetValue(name, out List<double>? list)) results[name] = list = [];
            list.Add(gops);
        }
        Console.WriteLine($"# cpp-gemm m={m} k={k} n={n}, single thread, {rounds} alternating rounds; load {LoadAverage()}");
        for (int round = 0; round < rounds; round++)
        {
            var steps = new List<Action>();
            foreach (var (tag, binary) in avx2Binaries)
                steps.Add(() => { foreach (var (name, gops) in RunAvx2Reference(binary!, m, k, n, kernels)) Record(name + " " + tag, gops); });
            foreach (var (tag, binary) in avx512Binaries)
                steps.Add(() => { foreach (var (name, gops) in RunAvx512Reference(binary!)) Record(name + " " + tag, gops); });
            foreach (Isa isa in isas)
                foreach (bool packedAhead in new[] { false, true })
                    steps.Add(() =>
                    {
                        string name = $"C# {IsaSelection.Name(isa)}"
                            + (packedAhead ? " B prepacked" : $" ({BinaryGemm.PathName(n, k / 64, isa)})");
                        var (median, best) = csharp.Time(isa, packedAhead);
                        Record(name, median);
                        Record(Best + name, best);
                    });
            if (round % 2 == 1) steps.Reverse();
            foreach (Action step in steps) step();
        }

        Console.WriteLine("GOPS over rounds of each round's median repetition (best: of its fastest one)");
        Console.WriteLine($"{"contender",-36} {"median",7} {"min",7} {"max",7} {"best",7}");
        foreach (var (name, list) in results.Where(pair => !pair.Key.StartsWith(Best, StringComparison.Ordinal)))
            Console.WriteLine($"{name,-36} {Median(list),7:F1} {list.Min(),7:F1} {list.Max(),7:F1} {Median(results[Best + name]),7:F1}");
        Console.WriteLine("ratio, the median over rounds of C# / the best matching C++ kernel (per round)");
        foreach (string prefix in new[] { "", Best })
        {
            string kind = prefix == "" ? "median" : "best";
            PrintRatio(results, prefix + "C# avx2", name => name.StartsWith(prefix + "cpp avx2 pfx", StringComparison.Ordinal), $"C++ AVX2 pfx ({kind})", rounds);
            PrintRatio(results, prefix + "C# avx2", name => name.StartsWith(prefix + "cpp avx2 hs_packed", StringComparison.Ordinal), $"C++ hs_packed ({kind})", rounds);
            PrintRatio(results, prefix + "C# avx512", name => name.StartsWith(prefix + "cpp avx512 vpopcntq", StringComparison.Ordinal), $"C++ VPOPCNTQ ({kind})", rounds);
            PrintRatio(results, prefix + "C# avx512 B prepacked", name => name.StartsWith(prefix + "cpp avx512 vpopcntq", StringComparison.Ordinal), $"C++ VPOPCNTQ ({kind})", rounds);
        }
        Console.WriteLine($"# load average after: {LoadAverage()}");
        return 0;
    }

    /// <summary>Median over rounds of (C# GOPS / the best matching C++ kernel's GOPS in the same round).</summary>
    private static void PrintRatio(Dictionary<string, List<double>> results, string ours, Func<string, bool> theirs,
        string label, int rounds)
    {
        string? mine = results.Keys.FirstOrDefault(name => name == ours || name.StartsWith(ours + " (", StringComparison.Ordinal));
        var references = results.Where(pair => theirs(pair.Key) && pair.Value.Count == rounds).ToList();
        if (mine == null || references.Count == 0) return;
        var ratios = new List<double>();
        for (int r = 0; r < rounds; r++) ratios.Add(results[mine][r] / references.Max(pair => pair.Value[r]));
        Console.WriteLine($"{ours.Replace(Best, ""),-21} / {label,-22} {Median(ratios),5:F2}  ({string.Join(" ", ratios.Select(x => x.ToString("F2", CultureInfo.InvariantCulture)))})");
    }

    /// <summary>The first shared/reference folder in the current directory or above it (the repository's sibling).</summary>
    private static string FindReference()
    {
        for (DirectoryInfo? folder = new(Directory.GetCurrentDirectory()); folder != null; folder = folder.Parent)
        {
            string candidate = Path.Combine(folder.FullName, "shared", "reference");
            if (Directory.Exists(candidate)) return candidate;
        }
        return "../shared/reference";
    }

    /// <summary>The compilers found: g++ (tag gcc) and the first of clang++, clang++-14 (tag clang).</summary>
    internal static IEnumerable<(string Tag, string Command)> Compilers()
    {
        if (Found("g++")) yield return ("gcc", "g++");
        string? clang = new[] { "clang++", "clang++-14" }.FirstOrDefault(Found);
        if (clang != null) yield return ("clang", clang);

        static bool Found(string command)
        {
            try
            {
                return Execute(command, ["--version"]).Code == 0;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return false;
            }
        }
    }

    /// <summary>Builds DIR/NAME.cpp with a compiler into a temp folder unless a binary newer than the source is there.</summary>
    private static string? Build(string directory, string name, (string Tag, string Command) compiler)
    {
        string source = Path.Combine(directory, name + ".cpp");
        if (!File.Exists(source))
        {
            Console.Error.WriteLine($"cpp-gemm: no reference source {source} (pass --reference DIR)");
            return null;
        }
        string folder = Path.Combine(Path.GetTempPath(), "boolnet-cpp-reference");
        Directory.CreateDirectory(folder);
        string binary = Path.Combine(folder, $"{name}-{compiler.Tag}");
        if (File.Exists(binary) && File.GetLastWriteTimeUtc(binary) > File.GetLastWriteTimeUtc(source)) return binary;
        var (code, output) = Execute(compiler.Command, ["-std=c++17", "-O3", "-march=native", "-o", binary, source]);
        if (code == 0) return binary;
        Console.Error.WriteLine($"cpp-gemm: {compiler.Command} failed on {source}:\n{output}");
        return null;
    }

    /// <summary>One run of the AVX2 reference: its JSON lines, median GOPS over 5 repetitions per kernel.</summary>
    private static IEnumerable<(string Name, double Gops)> RunAvx2Reference(string binary, int m, int k, int n, List<string> kernels)
    {
        var arguments = new List<string> { "json", "--m", $"{m}", "--k", $"{k}", "--n", $"{n}", "--reps", $"{repetitionsPerRound}",
            "--ms", (repetitionSeconds * 1000).ToString(CultureInfo.InvariantCulture) };
        foreach (string kernel in kernels) { arguments.Add("--kernel"); arguments.Add(kernel); }
        var (code, output) = Execute(binary, arguments);
        if (code != 0) throw new InvalidOperationException($"{binary} failed ({code}):\n{output}");
        foreach (string line in output.Split('\n'))
        {
            if (!line.StartsWith('{')) continue;
            using JsonDocument document = JsonDocument.Parse(line);
            string isa = document.RootElement.GetProperty("isa").GetString()!;
            string name = "cpp avx2 " + isa["cpp_avx2_".Length..];
            yield return (name, document.RootElement.GetProperty("gops").GetDouble());
            yield return (Best + name, document.RootElement.GetProperty("best_gops").GetDouble());
        }
    }

    /// <summary>One run of the AVX-512 reference's GEMM mode: "gemm NAME ... -> X GOPS (median)" lines.</summary>
    private static IEnumerable<(string Name, double Gops)> RunAvx512Reference(string binary)
    {
        var (code, output) = Execute(binary, ["gemm"]);
        if (code != 0 || output.Contains("mismatch", StringComparison.Ordinal))
            throw new InvalidOperationException($"{binary} failed ({code}):\n{output}");
        foreach (Match match in ReferenceLine().Matches(output))
        {
            string name = "cpp avx512 " + match.Groups[1].Value;
            yield return (name, double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
            yield return (Best + name, double.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture));
        }
    }

    [GeneratedRegex(@"^gemm avx512-(\S+).*?->\s+([0-9.]+) GOPS \(median\)\s+([0-9.]+) GOPS \(best\)", RegexOptions.Multiline)]
    private static partial Regex ReferenceLine();

    /// <summary>Runs a program to its end: its exit code and its standard output followed by its standard error.</summary>
    internal static (int Code, string Output) Execute(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }

    /// <summary>
    /// BoolNet's public entry points on fixed random operands, one thread: <c>BinaryGemm.Count</c> (B's
    /// packing inside the time) and, "B prepacked", <see cref="BinaryGemm.CountXor"/> against
    /// <see cref="BinaryGemm.PackWeights"/> made once (the inference path; only A's packing inside the time,
    /// as the C++ kernels pack their weight operand before timing).
    /// </summary>
    private sealed class ManagedContender(int m, int k, int n)
    {
        private readonly BitMatrix a = Random(m, k, 1);
        private readonly BitMatrix b = Random(n, k, 2);
        private readonly int[] c = new int[m * n];
        private readonly Dictionary<(Isa, bool), int> calls = [];
        private readonly Dictionary<Isa, PackedWeights> packed = [];

        private static BitMatrix Random(int rows, int columns, int seed)
        {
            var matrix = new BitMatrix(rows, columns);
            matrix.Randomize(new Random(seed));
            return matrix;
        }

        /// <summary>Every path against the scalar reference before timing.</summary>
        public bool Verify(Isa[] isas)
        {
            var expected = new int[m * n];
            BinaryGemm.Count(CountOperation.Xor, a, b, expected, 1, Isa.Scalar);
            foreach (Isa isa in isas)
            {
                packed[isa] = BinaryGemm.PackWeights(b, isa);
                foreach (bool packedAhead in new[] { false, true })
                {
                    Array.Fill(c, -1);
                    Call(isa, packedAhead);
                    if (!c.AsSpan().SequenceEqual(expected))
                    {
                        Console.Error.WriteLine($"cpp-gemm: C# {IsaSelection.Name(isa)}{(packedAhead ? " B prepacked" : "")} differs from the scalar reference");
                        return false;
                    }
                }
            }
            return true;
        }

        /// <summary>Median and best GOPS of 5 repetitions of at least 20 ms (warm-up and calibration on first use).</summary>
        public (double Median, double Best) Time(Isa isa, bool packedAhead)
        {
            var clock = Stopwatch.StartNew();
            if (!calls.TryGetValue((isa, packedAhead), out int count))
            {
                for (int i = 0; i < 3 || clock.Elapsed.TotalSeconds < 0.2; i++) Call(isa, packedAhead);
                clock.Restart();
                int probe = 0;
                do { Call(isa, packedAhead); probe++; } while (clock.Elapsed.TotalSeconds < 0.005);
                calls[(isa, packedAhead)] = count = Math.Max(1, (int)Math.Ceiling(repetitionSeconds / (clock.Elapsed.TotalSeconds / probe)));
            }
            var seconds = new double[repetitionsPerRound];
            for (int r = 0; r < seconds.Length; r++)
            {
                clock.Restart();
                for (int i = 0; i < count; i++) Call(isa, packedAhead);
                seconds[r] = clock.Elapsed.TotalSeconds / count;
            }
            double ops = (double)m * n * k;
            return (ops / Median(seconds) / 1e9, ops / seconds.Min() / 1e9);
        }

        private void Call(Isa isa, bool packedAhead)
        {
            if (packedAhead) BinaryGemm.CountXor(a.Words, m, packed[isa], c, 1);
            else BinaryGemm.Count(CountOperation.Xor, a, b, c, 1, isa);
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static int Positive(string value)
    {
        int parsed = int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);
        return parsed > 0 ? parsed : throw new ArgumentException($"expected a positive integer, got {value}");
    }

    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
    }
}
