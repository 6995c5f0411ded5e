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
}
