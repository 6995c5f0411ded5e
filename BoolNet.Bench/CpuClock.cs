using System.Runtime.InteropServices;

namespace BoolNet.Bench;

/// <summary>
/// CPU time of the calling thread or of the whole process (Linux clock_gettime CLOCK_THREAD_CPUTIME_ID and
/// CLOCK_PROCESS_CPUTIME_ID, nanosecond resolution).
/// On a shared machine wall time includes the slices other processes take from our core; a thread's CPU
/// time does not, so single-thread figures from it stay comparable under load.
/// </summary>
internal static partial class CpuClock
{
    private const int ProcessCpuTime = 2;
    private const int ThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>True when the thread CPU clock can be read here.</summary>
    public static bool Available { get; } = Probe();

    /// <summary>Seconds of CPU time the calling thread has used.</summary>
    public static double ThreadSeconds()
    {
        if (ClockGetTime(ThreadCpuTime, out TimeSpec time) != 0) return double.NaN;
        return time.Seconds + time.Nanoseconds * 1e-9;
    }

    /// <summary>Seconds of CPU time all threads of the process have used (for multi-threaded runs).</summary>
    public static double ProcessSeconds()
    {
        if (ClockGetTime(ProcessCpuTime, out TimeSpec time) != 0) return double.NaN;
        return time.Seconds + time.Nanoseconds * 1e-9;
    }

    private static bool Probe()
    {
        try
        {
            return OperatingSystem.IsLinux() && !double.IsNaN(ThreadSeconds());
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
