using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Bench;

/// <summary>
/// Quick machine-readable GEMM timing: random A [m, k] and B [n, k], warm-up, then several timed
/// repetitions of <see cref="BinaryGemm.Count(CountOperation, BitMatrix, BitMatrix, Span{int}, int, Isa?)"/>
/// (each repetition loops the call until it lasts at least ~10 ms; short repetitions let the best one
/// dodge the time slices other processes take on a shared machine). Prints ONE JSON line whose
/// <c>gops</c> is m * n * k / (median seconds per call) / 1e9: one op is one bit position of one output.
/// </summary>
public static class QuickGemm
{
    private const double MinimumRepetitionSeconds = 0.01;

    /// <summary>Runs the quick mode; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        Options options;
        try
        {
            options = Options.Parse(args);
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException or PlatformNotSupportedException)
        {
            error.WriteLine($"gemm: {exception.Message}");
            error.WriteLine("usage: gemm --m M --k K --n N [--threads T] [--isa scalar|avx2|avx512|all] [--op xor|and] [--repetitions R]");
            return 2;
        }

        var random = new Random(12345);
        var a = new BitMatrix(options.M, options.K); a.Randomize(random);
        var b = new BitMatrix(options.N, options.K); b.Randomize(random);
        var c = new int[options.M * options.N];
        double ops = (double)options.M * options.N * options.K;
        Isa[] isas = options.Isas;
        var clock = new Stopwatch();
        var calls = new int[isas.Length];
        for (int s = 0; s < isas.Length; s++)
        {
            Isa isa = isas[s];
            // Warm-up: at least 3 calls and ~0.2 s, so the JIT's final code and the caches are in place.
            clock.Restart();
            for (int i = 0; i < 3 || clock.Elapsed.TotalSeconds < 0.2; i++) BinaryGemm.Count(options.Operation, a, b, c, options.Threads, isa);
            // Calls per repetition so one repetition lasts at least MinimumRepetitionSeconds.
            clock.Restart();
            BinaryGemm.Count(options.Operation, a, b, c, options.Threads, isa);
            double single = Math.Max(clock.Elapsed.TotalSeconds, 1e-7);
            calls[s] = (int)Math.Clamp(Math.Ceiling(MinimumRepetitionSeconds / single), 1, 1_000_000);
        }

        // Repetitions of the paths interleave, so a burst of load from other processes hits them alike.
        var perCall = new double[isas.Length][];
        var cpuPerCall = new double[isas.Length][];
        var checksums = new long[isas.Length];
        for (int s = 0; s < isas.Length; s++) { perCall[s] = new double[options.Repetitions]; cpuPerCall[s] = new double[options.Repetitions]; }
        for (int r = 0; r < options.Repetitions; r++)
            for (int s = 0; s < isas.Length; s++)
            {
                double cpuStart = CpuSeconds(options.Threads);
                clock.Restart();
                for (int i = 0; i < calls[s]; i++) BinaryGemm.Count(options.Operation, a, b, c, options.Threads, isas[s]);
                perCall[s][r] = clock.Elapsed.TotalSeconds / calls[s];
                cpuPerCall[s][r] = (CpuSeconds(options.Threads) - cpuStart) / calls[s];
                if (r == 0) foreach (int value in c) checksums[s] += value;
            }

        for (int s = 0; s < isas.Length; s++)
        {
            double median = Median(perCall[s]);
            var record = new Dictionary<string, object>
            {
                ["bench"] = "gemm",
                ["isa"] = IsaSelection.Name(isas[s]),
                ["path"] = BinaryGemm.PathName(options.N, BitMatrix.WordsFor(options.K), isas[s]),
                ["op"] = options.Operation == CountOperation.Xor ? "xor" : "and",
                ["m"] = options.M,
                ["k"] = options.K,
                ["n"] = options.N,
                ["threads"] = options.Threads,
                ["gops"] = Math.Round(ops / median / 1e9, 2),
                ["best_gops"] = Math.Round(ops / perCall[s].Min() / 1e9, 2),
                ["worst_gops"] = Math.Round(ops / perCall[s].Max() / 1e9, 2),
                ["median_us"] = Math.Round(median * 1e6, 3),
                // Ops over CPU time, blind to time slices lost to other processes (not to a hypervisor's steal time
                // or to caches flushed by them): the thread's clock for 1 thread, the process's for more, where
                // cpu_gops(T) / cpu_gops(1) is the parallel efficiency (1 = no overhead; includes idle spinning).
                ["cpu_gops"] = CpuClock.Available ? Math.Round(ops / Median(cpuPerCall[s]) / 1e9, 2) : 0,
                ["cpu_clock"] = options.Threads == 1 ? "thread" : "process",
                ["load_average"] = LoadAverage(),
                ["repetitions"] = options.Repetitions,
                ["calls_per_repetition"] = calls[s],
                ["checksum"] = checksums[s],
            };
            output.WriteLine(JsonSerializer.Serialize(record));
        }
        return 0;
    }

    private static double CpuSeconds(int threads) =>
        !CpuClock.Available ? double.NaN : threads == 1 ? CpuClock.ThreadSeconds() : CpuClock.ProcessSeconds();

    private static double Median(double[] values)
    {
        double[] sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The 1-minute load average (Linux), so a reader can judge how contended a figure was.</summary>
    private static double LoadAverage()
    {
        try
        {
            string text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }
    }

    private sealed record Options(int M, int K, int N, int Threads, Isa[] Isas, CountOperation Operation, int Repetitions)
    {
        public static Options Parse(string[] args)
        {
            int m = 256, k = 4096, n = 64, threads = 1, repetitions = 21;
            Isa[] isas = [IsaSelection.Current];
            CountOperation operation = CountOperation.Xor;
            for (int i = 0; i < args.Length; i++)
            {
                string name = args[i];
                if (i + 1 >= args.Length) throw new ArgumentException($"option {name} needs a value");
                string value = args[++i];
                switch (name)
                {
                    case "--m": m = Positive(name, value, allowZero: true); break;
                    case "--k": k = Positive(name, value, allowZero: true); break;
                    case "--n": n = Positive(name, value, allowZero: true); break;
                    case "--threads": threads = Positive(name, value, allowZero: false); break;
                    case "--repetitions": repetitions = Positive(name, value, allowZero: false); break;
                    case "--isa":
                        if (value == "all")
                        {
                            isas = IsaSelection.Supported.ToArray();
                            break;
                        }
                        isas = [IsaSelection.Require(IsaSelection.Parse(value))];
                        break;
                    case "--op":
                        operation = value.ToLowerInvariant() switch
                        {
                            "xor" or "xnor" => CountOperation.Xor,
                            "and" => CountOperation.And,
                            _ => throw new ArgumentException($"--op must be xor or and, got '{value}'"),
                        };
                        break;
                    default: throw new ArgumentException($"unknown option '{name}'");
                }
            }
            if ((long)m * n > int.MaxValue) throw new ArgumentException($"output {m}x{n} is too large");
            return new Options(m, k, n, threads, isas, operation, repetitions);
        }

        private static int Positive(string name, string value, bool allowZero)
        {
            int parsed = int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);
            if (parsed < 0 || (!allowZero && parsed == 0)) throw new ArgumentException($"{name} must be {(allowZero ? "non-negative" : "positive")}, got {parsed}");
            return parsed;
        }
    }
}
