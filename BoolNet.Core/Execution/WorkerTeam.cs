using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace BoolNet.Core.Execution;

/// <summary>
/// Persistent worker threads for <see cref="Threading.For"/>: the caller publishes a job, the workers
/// (spinning briefly, then blocked) pick it up, and everyone claims chunks from a shared counter.
/// </summary>
/// <remarks>
/// Why not <c>Parallel.For</c>: handing a job to a sleeping thread-pool worker costs ~50-100 us of wake-up
/// latency on this kind of machine (a VM), which is a third of a 256x4096x64 binary GEMM and most of a
/// training step's small products; measured, 2 threads gave 1.4x instead of ~1.9x. A worker that spins for
/// <see cref="SpinMicroseconds"/> after its last job starts the next one within a microsecond or so, as
/// OpenMP's spinning workers do. After that it blocks on a monitor, so an idle process burns no CPU.
/// One job at a time: a nested or concurrent call (the team is busy) falls back to <c>Parallel.For</c>.
/// Chunks are fixed before the job starts, so who runs a chunk never changes a result.
/// </remarks>
internal static class WorkerTeam
{
    /// <summary>How long an idle worker spins before blocking.</summary>
    private const int SpinMicroseconds = 300;

    private static readonly long SpinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
    private static readonly object Gate = new();

    // The team's mutable state is process-wide by nature (one set of threads for the process) and can
    // never change a result: it decides only which thread runs a chunk, and chunks are fixed by the caller.
    private static readonly List<Thread> Workers = new(); // grows to the largest thread count asked for
    private static Job? _current;  // the job last published; workers compare against the one they ran
    private static int _sleepers;  // workers blocked on Gate, so the publisher knows whether to pulse
    private static int _busy;      // 1 while a job runs: a nested or concurrent call falls back to Parallel.For

    /// <summary>Runs <paramref name="chunks"/> chunks of <paramref name="body"/> on the caller and up to threads - 1 workers.</summary>
    public static void Run(int count, int chunkSize, int chunks, int threads, Action<int, int> body)
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads },
                chunk => body(chunk * chunkSize, Math.Min(count, (chunk + 1) * chunkSize)));
            return;
        }
        try
        {
            EnsureWorkers(threads - 1);
            var job = new Job(body, count, chunkSize, chunks, threads - 1);
            Volatile.Write(ref _current, job);
            // Full fence between publishing the job and reading _sleepers; a worker increments _sleepers
            // (also a full fence) before its last look at _current, so one of the two always sees the other.
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _sleepers) > 0)
                lock (Gate) Monitor.PulseAll(Gate);
            job.RunChunks();
            job.WaitForCompletion();
            job.Error?.Throw();
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private static void EnsureWorkers(int wanted)
    {
        if (Workers.Count >= wanted) return;
        lock (Workers)
        {
            while (Workers.Count < wanted)
            {
                var thread = new Thread(WorkerLoop) { IsBackground = true, Name = $"BoolNet worker {Workers.Count + 1}" };
                Workers.Add(thread);
                thread.Start();
            }
        }
    }

    private static void WorkerLoop()
    {
        Job? last = Volatile.Read(ref _current);
        while (true)
        {
            long spinStart = Stopwatch.GetTimestamp();
            Job? job;
            while ((job = Volatile.Read(ref _current)) == last)
            {
                if (Stopwatch.GetTimestamp() - spinStart < SpinTicks)
                {
                    Thread.SpinWait(20); // pause instructions: cheap for the sibling core, quick to notice the job
                    continue;
                }
                Interlocked.Increment(ref _sleepers);
                lock (Gate)
                    while ((job = Volatile.Read(ref _current)) == last) Monitor.Wait(Gate);
                Interlocked.Decrement(ref _sleepers);
                break;
            }
            last = job;
            if (job is not null && job.TryJoin()) job.RunChunks();
        }
    }

    /// <summary>One call's chunks, counters and first error; a late worker finds it exhausted and leaves.</summary>
    private sealed class Job(Action<int, int> body, int count, int chunkSize, int chunks, int maximumHelpers)
    {
        private readonly int _chunks = chunks;
        private int _nextChunk;
        private int _pending = chunks;
        private int _helpers;

        public ExceptionDispatchInfo? Error { get; private set; }

        /// <summary>Caps the helpers at the requested thread count (the team may be larger).</summary>
        public bool TryJoin() => Interlocked.Increment(ref _helpers) <= maximumHelpers;

        public void RunChunks()
        {
            int chunk;
            while ((chunk = Interlocked.Increment(ref _nextChunk) - 1) < _chunks)
            {
                try
                {
                    if (Error is null) body(chunk * chunkSize, Math.Min(count, (chunk + 1) * chunkSize));
                }
                catch (Exception exception)
                {
                    lock (this) Error ??= ExceptionDispatchInfo.Capture(exception);
                }
                finally
                {
                    Interlocked.Decrement(ref _pending);
                }
            }
        }

        public void WaitForCompletion()
        {
            var spinner = new SpinWait();
            while (Volatile.Read(ref _pending) != 0) spinner.SpinOnce(sleep1Threshold: -1);
        }
    }
}
