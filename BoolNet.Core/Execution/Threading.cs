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
        // The range is cut into one share per thread (the same cut for every call over the same range, so a
        // thread finds its data of the previous call in its own cache), each share into at least 8 chunks
        // where the count allows: a thread that finishes early (a shared, noisy core, an uneven split) takes
        // the others' remaining chunks, so a straggler costs at most one small chunk.
        int units = (count + alignment - 1) / alignment;
        int chunkUnits = Math.Max(1, units / (threads * 8));
        WorkerTeam.Run(count, alignment, chunkUnits, threads, body);
    }
}
