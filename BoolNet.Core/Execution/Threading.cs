namespace BoolNet.Core.Execution;

/// <summary>
/// Splitting work over threads. Every kernel takes its thread count as an argument (0 means all
/// processors); there is no process-wide default to set. Work is only ever split over independent
/// outputs (never over a reduction), so results do not depend on the thread count.
/// </summary>
public static class Threading
{
    /// <summary>The thread count a request stands for: <paramref name="threads"/> when positive, else every processor.</summary>
    public static int Resolve(int threads) => threads > 0 ? threads : Environment.ProcessorCount;

    /// <summary>
    /// Runs <paramref name="body"/>(start, end) over [0, count) in contiguous chunks on up to
    /// <paramref name="threads"/> threads (0: every processor). Chunk starts are multiples of
    /// <paramref name="alignment"/>. Runs inline when one thread is asked for or <paramref name="work"/>
    /// (a rough operation count) is too small to repay the hand-off.
    /// </summary>
    public static void For(int count, int threads, Action<int, int> body, int alignment = 1, long work = long.MaxValue)
    {
        threads = Resolve(threads);
        if (count <= 0) return;
        if (threads == 1 || count <= alignment || work < 1 << 16)
        {
            body(0, count);
            return;
        }
        // At least 8 chunks per thread where the count allows: claimed dynamically, a straggler (a
        // shared, noisy core) or an uneven split costs at most one small chunk. Rounding the size up
        // instead made 10 tasks 5 chunks of 2, i.e. 3 against 2 on two threads, and 171 row tiles 9
        // chunks, 5 against 4: a fifth and a ninth of the job with one core idle.
        int units = (count + alignment - 1) / alignment;
        int chunkSize = Math.Max(1, units / (threads * 8)) * alignment;
        int chunks = (count + chunkSize - 1) / chunkSize;
        WorkerTeam.Run(count, chunkSize, chunks, threads, body);
    }
}
