using BoolNet.Core.Execution;
using BoolNet.Core.Randomness;

namespace BoolNet.Training.Optimizers.Zim;

/// <summary>
/// Multinomial(n, w / sum w) over millions of coordinates, split into fixed blocks of
/// <see cref="BlockSize"/> coordinates: first the block totals N_b ~ Multinomial(n, W_b / W) (W_b the
/// block masses, by sequential conditional binomials), then, independently per block,
/// Multinomial(N_b, w restricted to b). This factorisation is exact (a multinomial conditioned on its
/// block sums is a product of multinomials). Block b draws from its own stream
/// (<see cref="DeterministicRandom(ulong, ulong)"/> of the key), and the blocks are fixed, so the
/// result is the same for every thread count while blocks run in parallel and each block's
/// alias table (1 MiB) stays in cache instead of costing a DRAM miss per draw.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The per-thread alias tables live as long as the optimizer that owns the sampler; the worker threads that hold them live as long as the process.")]
internal sealed class BlockedMultinomial
{
    /// <summary>Coordinates per block.</summary>
    public const int BlockSize = 1 << 16;

    private double[] _suffix = [];
    private readonly ThreadLocal<AliasTable> _tables = new(() => new AliasTable());

    /// <summary>
    /// Draws Multinomial(<paramref name="n"/>, w / sum w) into <paramref name="counts"/> (overwritten) with
    /// randomness fixed by <paramref name="key"/>.
    /// </summary>
    public void Sample(ulong key, long n, ReadOnlySpan<double> weights, Span<int> counts, MultinomialMethod method, int threads = 0)
    {
        int d = weights.Length;
        if (counts.Length < d) throw new ArgumentException($"counts hold {counts.Length} values, need {d}");
        int blocks = (d + BlockSize - 1) / BlockSize;
        if (blocks == 0) return;
        if (_suffix.Length < d) _suffix = new double[d];
        var masses = new double[blocks];
        for (int b = 0; b < blocks; b++)
        {
            // Compensated block mass (same summation the samplers use for their totals).
            double total = 0, error = 0;
            foreach (double weight in weights.Slice(b * BlockSize, Math.Min(BlockSize, d - b * BlockSize)))
            {
                double sum = total + weight, virtualB = sum - total;
                error += (total - (sum - virtualB)) + (weight - virtualB);
                total = sum;
            }
            masses[b] = total + error;
        }
        var totals = new int[blocks];
        MultinomialSampler.Sample(new DeterministicRandom(key, 0), n, masses, totals, new double[blocks]);

        unsafe
        {
            fixed (double* weightPointer = weights)
            fixed (int* countPointer = counts)
            {
                nint weightAddress = (nint)weightPointer, countAddress = (nint)countPointer;
                double[] suffix = _suffix;
                Threading.For(blocks, threads, (start, end) =>
                {
                    for (int b = start; b < end; b++)
                    {
                        int offset = b * BlockSize, length = Math.Min(BlockSize, d - offset);
                        var blockWeights = new ReadOnlySpan<double>((double*)weightAddress + offset, length);
                        var blockCounts = new Span<int>((int*)countAddress + offset, length);
                        var random = new DeterministicRandom(key, (ulong)b + 1);
                        if (totals[b] == 0)
                        {
                            blockCounts.Clear();
                        }
                        else if (method == MultinomialMethod.Alias)
                        {
                            AliasTable table = _tables.Value!;
                            table.Build(blockWeights);
                            table.SampleMultinomial(random, totals[b], blockCounts);
                        }
                        else
                        {
                            MultinomialSampler.Sample(random, totals[b], blockWeights, blockCounts, suffix.AsSpan(offset, length));
                        }
                    }
                }, work: (long)d * 64);
            }
        }
    }
}
