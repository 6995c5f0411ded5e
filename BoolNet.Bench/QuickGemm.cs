using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BoolNet.Core.Bits;
using BoolNet.Core.Kernels;

namespace BoolNet.Bench;

/// <summary>
/// Quick machine-readable GEMM timing: random A [m, k] and B [n, k], warm-up, then several timed
/// repetitions of <see cref="BinaryGemm.Count(CountOperation, BitMatrix, BitMatrix, Span{int}, int, Isa?)"/>
/// (each repetition loops the call until it lasts at least ~40 ms). Prints ONE JSON line whose
/// <c>gops</c> is m * n * k / (median seconds per call) / 1e9: one op is one bit position of one output.
/// </summary>
public static class QuickGemm
{
    private const double MinimumRepetitionSeconds = 0.04;

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
            error.WriteLine("usage: gemm --m M --k K --n N [--threads T] [--isa scalar|avx2|avx512] [--op xor|and] [--repetitions R]");
            return 2;
        }

        var random = new Random(12345);
        var a = new BitMatrix(options.M, options.K); a.Randomize(random);
        var b = new BitMatrix(options.N, options.K); b.Randomize(random);
        var c = new int[options.M * options.N];
        void Call() => BinaryGemm.Count(options.Operation, a, b, c, options.Threads, options.Isa);

        // Warm-up: at least 3 calls and ~0.2 s, so the JIT's final code and the caches are in place.
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 3 || clock.Elapsed.TotalSeconds < 0.2; i++) Call();

        // Calls per repetition so one repetition lasts at least MinimumRepetitionSeconds.
        clock.Restart();
        Call();
        double single = Math.Max(clock.Elapsed.TotalSeconds, 1e-7);
        int calls = (int)Math.Clamp(Math.Ceiling(MinimumRepetitionSeconds / single), 1, 1_000_000);

        var perCall = new double[options.Repetitions];
        var cpuPerCall = new double[options.Repetitions];
        for (int r = 0; r < options.Repetitions; r++)
        {
            double cpuStart = CpuClock.Available ? CpuClock.ThreadSeconds() : 0;
            clock.Restart();
            for (int i = 0; i < calls; i++) Call();
            perCall[r] = clock.Elapsed.TotalSeconds / calls;
            cpuPerCall[r] = CpuClock.Available ? (CpuClock.ThreadSeconds() - cpuStart) / calls : double.NaN;
        }
        double median = Median(perCall);
        double ops = (double)options.M * options.N * options.K;
        long checksum = 0;
        foreach (int value in c) checksum += value;

        var record = new Dictionary<string, object>
        {
            ["bench"] = "gemm",
            ["isa"] = IsaSelection.Name(options.Isa),
            ["op"] = options.Operation == CountOperation.Xor ? "xor" : "and",
            ["m"] = options.M,
            ["k"] = options.K,
            ["n"] = options.N,
            ["threads"] = options.Threads,
            ["gops"] = Math.Round(ops / median / 1e9, 2),
            ["best_gops"] = Math.Round(ops / perCall.Min() / 1e9, 2),
            ["worst_gops"] = Math.Round(ops / perCall.Max() / 1e9, 2),
            ["median_us"] = Math.Round(median * 1e6, 3),
            // Single thread only: ops over the thread's CPU time, blind to time slices lost to other processes.
            ["cpu_gops"] = options.Threads == 1 && CpuClock.Available ? Math.Round(ops / Median(cpuPerCall) / 1e9, 2) : 0,
            ["load_average"] = LoadAverage(),
            ["repetitions"] = options.Repetitions,
            ["calls_per_repetition"] = calls,
            ["checksum"] = checksum,
        };
        output.WriteLine(JsonSerializer.Serialize(record));
        return 0;
    }

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

    private sealed record Options(int M, int K, int N, int Threads, Isa Isa, CountOperation Operation, int Repetitions)
    {
        public static Options Parse(string[] args)
        {
            int m = 256, k = 4096, n = 64, threads = 1, repetitions = 9;
            Isa isa = IsaSelection.Current;
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
                        isa = IsaSelection.Parse(value);
                        if (!IsaSelection.IsSupported(isa)) throw new PlatformNotSupportedException($"{value} is not supported on this machine");
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
            return new Options(m, k, n, threads, isa, operation, repetitions);
        }

        private static int Positive(string name, string value, bool allowZero)
        {
            int parsed = int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);
            if (parsed < 0 || (!allowZero && parsed == 0)) throw new ArgumentException($"{name} must be {(allowZero ? "non-negative" : "positive")}, got {parsed}");
            return parsed;
        }
    }
}
