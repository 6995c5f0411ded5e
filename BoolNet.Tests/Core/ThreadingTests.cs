using BoolNet.Core.Execution;

namespace BoolNet.Tests.Core;

/// <summary>Threading.For over the persistent worker team: coverage, nesting, errors, repeated calls; thread counts.</summary>
public class ThreadingTests
{
    [Test]
    public void ZeroOrLessMeansEveryProcessorAndAPositiveCountIsKept()
    {
        Assert.That(Threading.Resolve(0), Is.EqualTo(Environment.ProcessorCount));
        Assert.That(Threading.Resolve(-3), Is.EqualTo(Environment.ProcessorCount));
        Assert.That(Threading.Resolve(1), Is.EqualTo(1));
        Assert.That(Threading.Resolve(Environment.ProcessorCount + 5), Is.EqualTo(Environment.ProcessorCount + 5));
    }

    [Test]
    public void OneThreadRunsTheWholeRangeInlineOnTheCaller()
    {
        int caller = Environment.CurrentManagedThreadId;
        var calls = new List<(int Start, int End, int Thread)>();
        Threading.For(1000, 1, (start, end) => calls.Add((start, end, Environment.CurrentManagedThreadId)), work: long.MaxValue);
        Assert.That(calls, Is.EqualTo(new[] { (0, 1000, caller) }));
    }

    [TestCase(1, 1)]
    [TestCase(1000, 2)]
    [TestCase(997, 3)]
    [TestCase(64, 2)]
    public void EveryIndexRunsExactlyOnce(int count, int threads)
    {
        var hits = new int[count];
        for (int repeat = 0; repeat < 200; repeat++)
        {
            Array.Clear(hits);
            Threading.For(count, threads, (start, end) =>
            {
                for (int i = start; i < end; i++) Interlocked.Increment(ref hits[i]);
            }, alignment: 1, work: long.MaxValue);
            Assert.That(hits, Is.All.EqualTo(1), $"repeat {repeat}");
        }
    }

    [Test]
    public void NestedCallsCompleteAndCoverEverything()
    {
        var hits = new int[64 * 50];
        Threading.For(64, 2, (outerStart, outerEnd) =>
        {
            for (int row = outerStart; row < outerEnd; row++)
            {
                int baseIndex = row * 50;
                Threading.For(50, 2, (start, end) =>
                {
                    for (int i = start; i < end; i++) Interlocked.Increment(ref hits[baseIndex + i]);
                });
            }
        });
        Assert.That(hits, Is.All.EqualTo(1));
    }

    [Test]
    public void AnExceptionInAChunkReachesTheCallerAndTheTeamRecovers()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            Threading.For(100, 2, (start, _) =>
            {
                if (start > 0) throw new InvalidOperationException("chunk failed");
            }));
        Assert.That(error!.Message, Is.EqualTo("chunk failed"));
        int total = 0;
        Threading.For(100, 2, (start, end) => Interlocked.Add(ref total, end - start));
        Assert.That(total, Is.EqualTo(100));
    }

    [Test]
    public void ConcurrentCallersBothComplete()
    {
        long sumA = 0, sumB = 0;
        var a = Task.Run(() => { for (int r = 0; r < 100; r++) Threading.For(500, 2, (s, e) => Interlocked.Add(ref sumA, e - s)); });
        var b = Task.Run(() => { for (int r = 0; r < 100; r++) Threading.For(500, 2, (s, e) => Interlocked.Add(ref sumB, e - s)); });
        Assert.That(Task.WaitAll(new[] { a, b }, TimeSpan.FromSeconds(60)), Is.True, "callers finished");
        Assert.That((sumA, sumB), Is.EqualTo((50_000L, 50_000L)));
    }

    [TestCase(997, 3, 8)]
    [TestCase(10, 16, 4)]
    [TestCase(1_000_003, 5, 1)]
    [TestCase(4096, 2, 64)]
    public void EveryIndexRunsOnceInAlignedChunksThatNeverCrossAShare(int count, int threads, int alignment)
    {
        // Share p of the static schedule is units [units * p / threads, units * (p + 1) / threads).
        long units = (count + alignment - 1) / alignment;
        var cuts = Enumerable.Range(1, threads - 1).Select(p => (int)(units * p / threads * alignment)).ToArray();
        var hits = new int[count];
        var chunks = new System.Collections.Concurrent.ConcurrentBag<(int Start, int End)>();
        for (int repeat = 0; repeat < 20; repeat++)
        {
            Array.Clear(hits);
            chunks.Clear();
            Threading.For(count, threads, (start, end) =>
            {
                chunks.Add((start, end));
                for (int i = start; i < end; i++) Interlocked.Increment(ref hits[i]);
            }, alignment, work: long.MaxValue);
            Assert.That(hits, Is.All.EqualTo(1), $"repeat {repeat}");
            foreach ((int start, int end) in chunks)
            {
                Assert.That(start % alignment, Is.Zero, $"chunk [{start}, {end}) starts off the alignment");
                Assert.That(cuts.Any(cut => start < cut && cut < end), Is.False, $"chunk [{start}, {end}) crosses a share boundary");
            }
        }
    }

    [Test]
    public void CallsOverTheSameRangeCutItAtTheSamePlaceWhateverTheirAlignment()
    {
        // A layer's output written by one call, in 8-aligned chunks, then read by the next in 64-aligned ones:
        // both cut at the middle, so each thread finds its own half (this is what keeps data in its cache).
        foreach (int alignment in new[] { 1, 8, 64 })
        {
            var starts = new System.Collections.Concurrent.ConcurrentBag<int>();
            var ends = new System.Collections.Concurrent.ConcurrentBag<int>();
            Threading.For(1 << 16, 2, (start, end) => { starts.Add(start); ends.Add(end); }, alignment, work: long.MaxValue);
            Assert.That(starts, Does.Contain(1 << 15), $"alignment {alignment}");
            Assert.That(ends, Does.Contain(1 << 15), $"alignment {alignment}");
        }
    }
}
