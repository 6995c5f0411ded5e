using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Bench;

/// <summary>
/// <c>cpp-signals [--rounds 5] [--reps 5] [--ms 20] [--kernel NAME]... [--cxx COMPILER]...</c>: the byte products of the
/// Boolean backward that the default model trains on (bold-mlp-int8's 1024 x 1024 Boolean layer, batch
/// 100, 6 signal planes: the input signal g and the weight signal q) in C# beside the C++ reference
/// <c>peers/native/byte_products.cpp</c>, single thread, in alternating rounds like <see cref="CppReferenceBench"/>.
/// The reference is built at -O3 by each compiler (default g++ and, when found, clang++: their code
/// for the same source differs by up to 2x) twice: <c>-march=native</c> (AVX-512 VNNI vpdpbusd zmm and
/// every narrower kernel) and <c>-march=x86-64-v3 -mavxvnni</c> (what an AVX2 machine allows: 16 ymm
/// registers, names with "v3"). The C# AVX2 path is compared with the best v3 kernel and the AVX-512
/// path with the best native one, and each with the best kernel of its own design (vpmaddubsw 4 x 32,
/// 4 x 64) over the compilers.
/// Every C# path is checked against the scalar reference and every C++ kernel against the C# result,
/// bit for bit, before timing. Unit: byte-MACs per second (rows x K x columns / seconds), in G, over
/// wall time and over the calling thread's CPU time (blind to slices lost to other processes: the
/// figure compared on a shared machine); ratios are the median over rounds of the per-round ratio of CPU
/// figures. The peak lines are each binary's register-only throughput of the instruction (the
/// hardware's bound).
/// </summary>
public static class CppSignalProductsBench
{
    private sealed record Case(string Name, bool Input);

    private static readonly Case[] Cases = [new("g 1024x1024", Input: true), new("q 1024x1024", Input: false)];
    private const int Batch = 100, Width = 1024, Planes = 6;

    /// <summary>The C# paths timed: the operator's choice on each vector ISA.</summary>
    private static readonly (string Name, Isa Isa, SignalAlgorithm Path)[] Paths =
    [
        ("C# avx2 dense", Isa.Avx2, SignalAlgorithm.DenseBytes),
        ("C# avx512 dense", Isa.Avx512, SignalAlgorithm.DenseBytes),
    ];

    /// <summary>Runs the mode; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        int rounds = 5, reps = 5, ms = 20;
        var kernels = new List<string>();
        var compilers = new List<string>();
        for (int i = 0; i + 1 < args.Length; i += 2)
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--reps": reps = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--ms": ms = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--kernel": kernels.Add(args[i + 1]); break;
                case "--cxx": compilers.Add(args[i + 1]); break;
                default: Console.Error.WriteLine($"cpp-signals: unknown option {args[i]}"); return 2;
            }
        string? source = FindSource();
        if (source is null)
        {
            Console.Error.WriteLine("cpp-signals: no BoolNet.Bench/peers/native/byte_products.cpp in or above this folder");
            return 2;
        }
        if (compilers.Count == 0)
            compilers.AddRange(CppReferenceBench.Compilers().Select(compiler => compiler.Command));
        if (compilers.Count == 0)
        {
            Console.Error.WriteLine("cpp-signals: no C++ compiler found (g++, clang++); pass --cxx COMPILER");
            return 2;
        }
        // (label, binary): "gcc", "gcc v3", "clang", "clang v3"
        var binaries = new List<(string Label, string Binary)>();
        foreach (string compiler in compilers)
        {
            string tag = compiler.StartsWith("clang", StringComparison.Ordinal) ? "clang" : compiler == "g++" ? "gcc" : Path.GetFileName(compiler);
            string? native = Build(compiler, source, "native", "-march=native");
            string? avx2 = Build(compiler, source, "avx2", "-march=x86-64-v3", "-mavxvnni");
            if (native is null || avx2 is null) return 1;
            binaries.Add((tag, native));
            binaries.Add((tag + " v3", avx2));
        }
        var paths = Paths.Where(path => IsaSelection.IsSupported(path.Isa)).ToArray();
        Console.WriteLine($"# cpp-signals: batch {Batch}, {Width}x{Width}, {Planes} planes, 1 thread, {rounds} rounds, load {LoadAverage()}");
        foreach ((string label, string binary) in binaries.Where(binary => !binary.Label.EndsWith(" v3", StringComparison.Ordinal)))
            foreach (string line in Execute(binary, ["peak"]).Split('\n').Where(line => line.StartsWith('{')))
            {
                using JsonDocument peak = JsonDocument.Parse(line);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"peak {label,-6} {peak.RootElement.GetProperty("peak").GetString(),-24} {peak.RootElement.GetProperty("gmacs").GetDouble(),6:F0} G MACs/s"));
            }
        foreach (Case c in Cases)
            if (!Measure(c, paths, binaries, kernels, rounds, reps, ms / 1000.0)) return 1;
        Console.WriteLine($"# load average after: {LoadAverage()}");
        return 0;
    }

    private static bool Measure(Case c, (string Name, Isa Isa, SignalAlgorithm Path)[] paths, List<(string Label, string Binary)> binaries,
        List<string> kernels, int rounds, int reps, double seconds)
    {
        var random = new Random(Batch + 2 * Width);
        SignalLevels z = SignalProductsBench.Signal(random, Batch, Width, Planes);
        var bits = new BitMatrix(c.Input ? Width : Batch, Width);
        bits.Randomize(random);
        int rows = c.Input ? Batch : Width;
        var expected = new float[rows * Width];
        var output = new float[rows * Width];
        var cache = new PairedBitsCache();
        void Call(Isa isa, SignalAlgorithm path)
        {
            if (c.Input) SignalProducts.InputSignal(z, bits, 0.5f, output, 1, cache, isa, path);
            else SignalProducts.WeightSignal(z, bits, null, 0.5f, output, 1, default(NoRowEpilogue), isa, path);
        }
        Call(Isa.Scalar, SignalAlgorithm.Reference);
        output.CopyTo(expected, 0);
        foreach (var path in paths)
        {
            Call(path.Isa, path.Path);
            if (!output.AsSpan().SequenceEqual(expected))
            {
                Console.Error.WriteLine($"cpp-signals: {path.Name} differs from the scalar reference on {c.Name}");
                return false;
            }
        }
        string folder = Directory.CreateTempSubdirectory("boolnet-cpp-signals").FullName;
        string input = Path.Combine(folder, "input.bin"), truth = Path.Combine(folder, "expected.bin");
        WriteInput(input, c.Input, z, bits, 0.5f);
        File.WriteAllBytes(truth, System.Runtime.InteropServices.MemoryMarshal.AsBytes(expected.AsSpan()).ToArray());
        double macs = (double)rows * (c.Input ? Width : Batch) * Width;

        var results = new Dictionary<string, List<(double Wall, double Cpu)>>();
        void Record(string name, (double Wall, double Cpu) gmacs)
        {
            if (!results.TryGetValue(name, out List<(double, double)>? list)) results[name] = list = [];
            list.Add(gmacs);
        }
        var arguments = new List<string> { "run", "--input", input, "--expected", truth, "--reps", $"{reps}",
            "--ms", (seconds * 1000).ToString(CultureInfo.InvariantCulture) };
        foreach (string kernel in kernels) arguments.AddRange(["--kernel", kernel]);
        var steps = binaries.Select(binary => (Action)(() =>
        {
            foreach (var (name, g) in RunReference(binary.Binary, binary.Label + " ", arguments)) Record(name, g);
        })).ToList();
        foreach (var path in paths)
            steps.Add(() =>
            {
                (double wall, double cpu) = TimeManaged(() => Call(path.Isa, path.Path), reps, seconds);
                Record(path.Name, (macs / wall / 1e9, macs / cpu / 1e9));
            });
        foreach (Action step in steps) step(); // warm-up round, not recorded
        results.Clear();
        for (int round = 0; round < rounds; round++)
        {
            if (round % 2 == 1) steps.Reverse();
            foreach (Action step in steps) step();
            if (round % 2 == 1) steps.Reverse();
        }
        Directory.Delete(folder, recursive: true);

        Console.WriteLine($"{c.Name}: rows {rows}, K {(c.Input ? Width : Batch)}, columns {Width}; G MACs/s over rounds (verified)");
        Console.WriteLine($"  {"contender",-22} {"wall",7} {"cpu",7} {"cpu min",7} {"cpu max",7}");
        foreach (var (name, list) in results)
        {
            List<double> cpu = list.Select(x => x.Cpu).ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-22} {Median(list.Select(x => x.Wall).ToList()),7:F1} {Median(cpu),7:F1} {cpu.Min(),7:F1} {cpu.Max(),7:F1}"));
        }
        foreach (var path in paths)
        {
            bool v3 = path.Isa != Isa.Avx512;
            string design = v3 ? "madd_4x2" : "madd512_4x2";
            PrintRatio(results, path.Name, v3 ? "best v3" : "best native", name => name.Contains(" v3 ", StringComparison.Ordinal) == v3, rounds);
            PrintRatio(results, path.Name, design, name => name.Contains(" v3 ", StringComparison.Ordinal) == v3 && name.EndsWith(" " + design, StringComparison.Ordinal), rounds);
        }
        return true;
    }

    /// <summary>Median over rounds of ours / the best reference kernel that <paramref name="matches"/> (per round).</summary>
    private static void PrintRatio(Dictionary<string, List<(double Wall, double Cpu)>> results, string ours, string label,
        Func<string, bool> matches, int rounds)
    {
        var references = results.Where(pair => !pair.Key.StartsWith("C#", StringComparison.Ordinal) && matches(pair.Key)
            && pair.Value.Count == rounds).ToList();
        if (!results.TryGetValue(ours, out List<(double Wall, double Cpu)>? mine) || references.Count == 0) return;
        var ratios = Enumerable.Range(0, rounds).Select(r => mine[r].Cpu / references.Max(pair => pair.Value[r].Cpu)).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratio {ours} / {label}: {Median(ratios):F2}"));
    }

    /// <summary>Wall and thread-CPU seconds per call: medians of <paramref name="reps"/> repetitions of at least <paramref name="seconds"/>.</summary>
    private static (double Wall, double Cpu) TimeManaged(Action call, int reps, double seconds)
    {
        var clock = Stopwatch.StartNew();
        int probe = 0;
        do { call(); probe++; } while (clock.Elapsed.TotalSeconds < 0.005);
        int count = Math.Max(1, (int)(seconds / (clock.Elapsed.TotalSeconds / probe)));
        List<double> wall = [], cpu = [];
        for (int r = 0; r < reps; r++)
        {
            double start = CpuClock.ThreadSeconds();
            clock.Restart();
            for (int i = 0; i < count; i++) call();
            wall.Add(clock.Elapsed.TotalSeconds / count);
            cpu.Add((CpuClock.ThreadSeconds() - start) / count);
        }
        return (Median(wall), Median(cpu));
    }

    /// <summary>The reference's input file (format in byte_products.cpp's header).</summary>
    private static void WriteInput(string path, bool input, SignalLevels z, BitMatrix bits, float scale)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write("BPIN"u8);
        foreach (int value in new[] { input ? 0 : 1, z.Rows, z.Columns, bits.Columns, bits.WordsPerRow }) writer.Write(value);
        writer.Write(scale);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(z.Levels.AsSpan(0, z.Rows * z.Columns)));
        for (int row = 0; row < bits.Rows; row++)
            foreach (ulong word in bits.Row(row)) writer.Write(word);
    }

    private static IEnumerable<(string Name, (double Wall, double Cpu) Gmacs)> RunReference(string binary, string prefix, List<string> arguments)
    {
        foreach (string line in Execute(binary, arguments).Split('\n').Where(line => line.StartsWith('{')))
        {
            using JsonDocument document = JsonDocument.Parse(line);
            if (!document.RootElement.GetProperty("verified").GetBoolean()) throw new InvalidOperationException($"{binary}: unverified");
            yield return (prefix + document.RootElement.GetProperty("kernel").GetString(),
                (document.RootElement.GetProperty("gmacs").GetDouble(), document.RootElement.GetProperty("cpu_gmacs").GetDouble()));
        }
    }

    /// <summary>BoolNet.Bench/peers/native/byte_products.cpp in the current folder or above it.</summary>
    private static string? FindSource()
    {
        for (DirectoryInfo? folder = new(Directory.GetCurrentDirectory()); folder != null; folder = folder.Parent)
        {
            string candidate = Path.Combine(folder.FullName, "BoolNet.Bench", "peers", "native", "byte_products.cpp");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>The compiler at -O3 with the given target options into a temp folder, unless a binary newer than the source is there.</summary>
    private static string? Build(string compiler, string source, string name, params string[] target)
    {
        string folder = Path.Combine(Path.GetTempPath(), "boolnet-cpp-reference");
        Directory.CreateDirectory(folder);
        string binary = Path.Combine(folder, $"byte_products_{name}_{Path.GetFileName(compiler)}");
        if (File.Exists(binary) && File.GetLastWriteTimeUtc(binary) > File.GetLastWriteTimeUtc(source)) return binary;
        try
        {
            Execute(compiler, ["-std=c++17", "-O3", .. target, "-o", binary, source]);
            return binary;
        }
        catch (Exception exception) when (exception is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"cpp-signals: {compiler} failed on {source}:\n{exception.Message}");
            return null;
        }
    }

    /// <summary>Runs a program; its output (<see cref="CppReferenceBench.Execute"/>), or an exception with it when it fails.</summary>
    private static string Execute(string file, IEnumerable<string> arguments)
    {
        (int code, string output) = CppReferenceBench.Execute(file, arguments);
        if (code != 0) throw new InvalidOperationException($"{file} exited {code}:\n{output}");
        return output;
    }

    private static double Median(List<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
    }
}
