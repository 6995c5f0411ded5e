using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace BoolNet.Core.Execution;

/// <summary>
/// Persistent worker threads for <see cref="Threading.For"/>: the caller publishes a job, the workers
/// (spinning briefly, then blocked) pick it up, and each runs the chunks of its own share of the range
/// before it helps with the others' (a static schedule with stealing).
/// </summary>
/// <remarks>
/// Why not <c>Parallel.For</c>: handing a job to a sleeping thread-pool worker costs ~50-100 us of wake-up
/// latency on this kind of machine (a VM), which is a third of a 256x4096x64 binary GEMM and most of a
/// training step's small products; measured, 2 threads gave 1.4x instead of ~1.9x. A worker that spins for
/// <see cref="SpinMicroseconds"/> after its last job starts the next one within a microsecond or so, as
/// OpenMP's spinning workers do. After that it blocks on a monitor, so an idle process burns no CPU.
/// <para>
/// Why a static schedule: the caller is participant 0 and worker w always participant w, and participant p
/// owns the p-th of <c>threads</c> equal contiguous shares of the range, so two calls over the same range in a
/// row (a layer's output, then the next operation reading it) give each thread the same share, and the data
/// it wrote is still in its own core's L2. When every chunk went to whichever thread claimed it first, a
/// chunk's data had moved to the other core's cache half the time: an elementwise pass over 400 KB took
/// 157 us on one thread and 176 us on two, and 78 us on two with shares (measured on the 2-core VM,
/// whose cross-core transfers are slow). A participant that finishes its share (or a worker that arrives
/// late) takes the remaining chunks of the others', so a noisy core still costs at most one chunk.
/// </para>
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

    /// <summary>
    /// Runs <paramref name="body"/> over [0, count) on the caller and threads - 1 workers: the range in units
    /// of <paramref name="alignment"/> is cut into <paramref name="threads"/> equal shares, each share into
    /// chunks of <paramref name="chunkUnits"/> units.
    /// </summary>
    public static void Run(int count, int alignment, int chunkUnits, int threads, Action<int, int> body)
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            int chunkSize = chunkUnits * alignment, chunks = (count + chunkSize - 1) / chunkSize;
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads },
                chunk => body(chunk * chunkSize, Math.Min(count, (chunk + 1) * chunkSize)));
            return;
        }
        try
        {
            EnsureWorkers(threads - 1);
            var job = new Job(body, count, alignment, chunkUnits, threads);
            Volatile.Write(ref _current, job);
            // Full fence between publishing the job and reading _sleepers; a worker increments _sleepers
            // (also a full fence) before its last look at _current, so one of the two always sees the other.
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _sleepers) > 0)
                lock (Gate) Monitor.PulseAll(Gate);
            job.RunChunks(0);
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
                int participant = Workers.Count + 1;
                var thread = new Thread(() => WorkerLoop(participant)) { IsBackground = true, Name = $"BoolNet worker {participant}" };
                Workers.Add(thread);
                thread.Start();
            }
        }
    }

    private static void WorkerLoop(int participant)
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
            if (job is not null && participant < job.Participants) job.RunChunks(participant);
        }
    }

    /// <summary>
    /// One call's range in <c>participants</c> equal shares of whole units (share p starts at unit
    /// units * p / participants, so calls over the same range with different chunk sizes still cut it at the same
    /// places), each share in chunks with its own claim counter; and the first error. A late worker finds its
    /// share taken by the others and leaves.
    /// </summary>
    private sealed class Job
    {
        /// <summary>ints between two counters: 64 bytes, so two threads claiming never share a cache line.</summary>
        private const int CounterStride = 16;

        private readonly Action<int, int> _body;
        private readonly int _count, _alignment, _chunkUnits;
        private readonly int[] _shareStart;  // share p is units [_shareStart[p], _shareStart[p + 1])
        // Share p's next unclaimed chunk (counted from the share's start) at [p * CounterStride]; the chunks
        // not yet finished at [participants * CounterStride], lowered once per participant and call.
        private readonly int[] _counters;

        public Job(Action<int, int> body, int count, int alignment, int chunkUnits, int participants)
        {
            _body = body;
            _count = count;
            _alignment = alignment;
            _chunkUnits = chunkUnits;
            Participants = participants;
            long units = (count + (long)alignment - 1) / alignment;
            _shareStart = new int[participants + 1];
            for (int p = 0; p <= participants; p++) _shareStart[p] = (int)(units * p / participants);
            _counters = new int[(participants + 1) * CounterStride];
            for (int p = 0; p < participants; p++) _counters[PendingIndex] += ChunksOf(p);
        }

        private int PendingIndex => Participants * CounterStride;

        private int ChunksOf(int share) => (_shareStart[share + 1] - _shareStart[share] + _chunkUnits - 1) / _chunkUnits;

        /// <summary>Threads the job is split for: the caller (participant 0) and workers 1 .. Participants - 1.</summary>
        public int Participants { get; }

        public ExceptionDispatchInfo? Error { get; private set; }

        /// <summary>Runs the chunks of the participant's own share, then whatever is left of the others'.</summary>
        public void RunChunks(int participant)
        {
            int finished = 0;
            for (int offset = 0; offset < Participants; offset++)
            {
                int share = (participant + offset) % Participants, chunks = ChunksOf(share);
                int firstUnit = _shareStart[share], endUnit = _shareStart[share + 1];
                int chunk;
                while ((chunk = Interlocked.Increment(ref _counters[share * CounterStride]) - 1) < chunks)
                {
                    try
                    {
                        int startUnit = firstUnit + chunk * _chunkUnits, stopUnit = Math.Min(endUnit, startUnit + _chunkUnits);
                        if (Error is null) _body(startUnit * _alignment, (int)Math.Min(_count, (long)stopUnit * _alignment));
                    }
                    catch (Exception exception)
                    {
                        lock (this) Error ??= ExceptionDispatchInfo.Capture(exception);
                    }
                    finally
                    {
                        finished++;
                    }
                }
            }
            if (finished > 0) Interlocked.Add(ref _counters[PendingIndex], -finished);
        }

        public void WaitForCompletion()
        {
            var spinner = new SpinWait();
            while (Volatile.Read(ref _counters[PendingIndex]) != 0) spinner.SpinOnce(sleep1Threshold: -1);
        }
    }
}
