using BoolNet.Core.Bits;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// <see cref="DenseByteProducts.PairedB"/> of a bit matrix that changes little between calls, kept up
/// to date instead of rebuilt. A Boolean layer's weights flip a few bits per step (flip ratios of
/// 1e-7 to 1e-4), yet the input signal g = Z e(W) needs W as paired bytes every step: 1 MB written
/// for a 1024 x 1024 layer, 0.1-0.2 ms per step on 2 threads in training, where the pairing falls
/// out of cache between steps. The cache keeps a copy of the words it paired, compares the rows
/// (128 KB for 1024 x 1024, read sequentially) and re-pairs only the row pairs that changed, with the
/// same <see cref="DenseByteProducts.PairRows"/>, so the bytes equal a fresh pairing exactly.
/// </summary>
public sealed class PairedBitsCache
{
    private ulong[] _words = [];
    private byte[] _paired = [];
    private int _rows = -1, _columns = -1;

    /// <summary>Row pairs re-paired by the last <see cref="Pair"/> (all of them after a shape change).</summary>
    public int LastRepaired { get; private set; }

    /// <summary>
    /// The paired bytes of <paramref name="b"/> (owned by the cache: valid until the next call, not to
    /// be written or returned to a pool).
    /// </summary>
    public byte[] Pair(BitMatrix b, int threads = 0)
    {
        int pairs = (b.Rows + 1) / 2, wordsPerRow = b.WordsPerRow;
        if (b.Rows != _rows || b.Columns != _columns)
        {
            _paired = new byte[DenseByteProducts.PairedBytes(pairs, b.Columns)];
            DenseByteProducts.PairedB(b, _paired, threads);
            _words = (ulong[])b.Words.Clone();
            (_rows, _columns) = (b.Rows, b.Columns);
            LastRepaired = pairs;
            return _paired;
        }
        int repaired = 0;
        ulong[] words = b.Words, cached = _words;
        byte[] paired = _paired;
        Threading.For(pairs, threads, (start, end) =>
        {
            int changed = 0;
            for (int p = start; p < end; p++)
            {
                int first = 2 * p * wordsPerRow, length = Math.Min(2 * wordsPerRow, words.Length - first);
                ReadOnlySpan<ulong> now = words.AsSpan(first, length);
                Span<ulong> before = cached.AsSpan(first, length);
                if (now.SequenceEqual(before)) continue;
                DenseByteProducts.PairRows(b, paired, p);
                now.CopyTo(before);
                changed++;
            }
            Interlocked.Add(ref repaired, changed);
        }, work: (long)words.Length * 8);
        LastRepaired = repaired;
        return _paired;
    }
}
