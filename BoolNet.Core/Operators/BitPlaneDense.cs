using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BoolNet.Core.Bits;

using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// The dense product of a folded first layer on 8-bit input with Boolean weights (docs/ALGORITHMS.md
/// section 2, bit-serial form):
/// <code>
///   u_i = x_i &gt;&gt; (8 - B)                                  (x: raw bytes, B input bit-planes)
///   D[k, j] = sum_i e(w_ji) u_i = sum_b 2^b (2 popcount(u_b AND w_j) - popcount(u_b))   (exact integers)
/// </code>
/// One entry point (<see cref="Sums"/>) and one decision, made when the weights are prepared for an ISA:
/// with AVX-512 BW or AVX2 the weights are kept expanded to +-1 bytes and D is a u8 x s8 dot product,
/// 64 (zmm) or 32 (ymm) pixels per vpmaddubsw: pair sums of at most 2 * 255 never saturate int16, and 64
/// chunks of them fit before widening with vpmaddwd; about 2 instructions per 64 weights, where the
/// bit-serial form needs B AND-popcounts. On ARM64 (NEON) masked byte sums (<see cref="NeonBitPlaneDense"/>). The scalar path, the reference, packs the planes 64 pixels per
/// word and takes all plane counts from one AND-popcount <see cref="BinaryGemm"/>. All give the same integers.
/// </summary>
public static class BitPlaneDense
{
    private const int ChunkBytes = 64;
    private const int NeuronBlockBytes = 24 * 1024; // +-1 rows per block: most of a 32 KiB L1 data cache

    /// <summary>The weights in the layout of one ISA's path (see <see cref="Prepare"/>).</summary>
    public sealed class PreparedWeights
    {
        internal PreparedWeights(BitMatrix weights, int inputBits, Isa isa, sbyte[]? signs, int paddedInputs)
        {
            Weights = weights;
            InputBits = inputBits;
            Isa = isa;
            Signs = signs;
            PaddedInputs = paddedInputs;
        }

        /// <summary>W [n, m] bits.</summary>
        public BitMatrix Weights { get; }

        /// <summary>B, the input bit-planes kept (the most significant).</summary>
        public int InputBits { get; }

        /// <summary>The path these weights were prepared for.</summary>
        public Isa Isa { get; }

        /// <summary>e(W) [n, PaddedInputs] as +-1 bytes (NEON: mask bytes, see <see cref="NeonBitPlaneDense"/>), zero past m (the byte paths); null on the scalar path.</summary>
        internal sbyte[]? Signs { get; }

        /// <summary>m rounded up to whole 64-byte chunks.</summary>
        internal int PaddedInputs { get; }
    }

    /// <summary>Prepares W [n, m] for <see cref="Sums"/> on <paramref name="isa"/> (null: <see cref="IsaSelection.Current"/>).</summary>
    /// <param name="weights">W [n, m] bits</param>
    /// <param name="inputBits">B in 1..8</param>
    /// <param name="isa">null for <see cref="IsaSelection.Current"/></param>
    public static PreparedWeights Prepare(BitMatrix weights, int inputBits, Isa? isa = null)
    {
        if (inputBits is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(inputBits), inputBits, "1..8 input bit-planes");
        Isa path = IsaSelection.Require(isa ?? IsaSelection.Current);
        int padded = (weights.Columns + ChunkBytes - 1) / ChunkBytes * ChunkBytes;
        if (path == Isa.Scalar) return new PreparedWeights(weights, inputBits, path, null, padded);
        var signs = new sbyte[(long)weights.Rows * padded];
        bool masks = path == Isa.Neon; // NEON keeps a mask byte per weight instead (NeonBitPlaneDense)
        for (int j = 0; j < weights.Rows; j++)
        {
            ReadOnlySpan<ulong> row = weights.Row(j);
            for (int i = 0; i < weights.Columns; i++)
            {
                bool bit = ((row[i >> 6] >> (i & 63)) & 1) != 0;
                signs[(long)j * padded + i] = masks ? NeonBitPlaneDense.Mask(bit) : bit ? (sbyte)1 : (sbyte)-1;
            }
        }
        return new PreparedWeights(weights, inputBits, path, signs, padded);
    }

    /// <summary>Scratch <see cref="Sums"/> needs for <paramref name="count"/> samples: 64-bit words and ints.</summary>
    public static (long Words, long Ints) ScratchSize(PreparedWeights weights, int count)
    {
        int n = weights.Weights.Rows, planes = weights.InputBits;
        return weights.Signs is not null
            ? ((long)count * weights.PaddedInputs / 8, 0)
            : ((long)count * planes * weights.Weights.WordsPerRow, (long)count * planes * n + (long)count * planes);
    }

    /// <summary>
    /// D [count, n] for raw bytes X [count, m] on the path the weights were prepared for, on the calling
    /// thread, allocating nothing.
    /// </summary>
    /// <param name="weights">prepared W [n, m]</param>
    /// <param name="pixels">X [count, m] raw bytes</param>
    /// <param name="count">samples</param>
    /// <param name="sums">D [count, n] output</param>
    /// <param name="wordScratch">at least <see cref="ScratchSize"/>.Words words</param>
    /// <param name="intScratch">at least <see cref="ScratchSize"/>.Ints ints (not overlapping <paramref name="sums"/>)</param>
    public static void Sums(PreparedWeights weights, ReadOnlySpan<byte> pixels, int count, Span<int> sums,
        Span<ulong> wordScratch, Span<int> intScratch)
    {
        int m = weights.Weights.Columns, n = weights.Weights.Rows;
        if (pixels.Length < (long)count * m) throw new ArgumentException($"{pixels.Length} bytes for {count} samples of {m}");
        if (sums.Length < (long)count * n) throw new ArgumentException($"{sums.Length} sums for {count} samples of {n}");
        (long words, long ints) = ScratchSize(weights, count);
        if (wordScratch.Length < words || intScratch.Length < ints) throw new ArgumentException("scratch too small: see ScratchSize");
        if (weights.Isa == Isa.Scalar) SumsByPlanes(weights, pixels, count, sums, wordScratch, intScratch);
        else SumsByBytes(weights, pixels, count, sums, wordScratch);
    }

    /// <summary>The byte paths: u [count, padded] bytes against the +-1 rows, in L1-sized blocks of neurons.</summary>
    private static unsafe void SumsByBytes(PreparedWeights weights, ReadOnlySpan<byte> pixels, int count, Span<int> sums, Span<ulong> wordScratch)
    {
        int m = weights.Weights.Columns, n = weights.Weights.Rows, padded = weights.PaddedInputs, shift = 8 - weights.InputBits;
        Span<byte> levels = MemoryMarshal.AsBytes(wordScratch[..(int)((long)count * padded / 8)]); // u [count, padded]
        for (int k = 0; k < count; k++)
        {
            Span<byte> u = levels.Slice(k * padded, padded);
            ReadOnlySpan<byte> x = pixels.Slice(k * m, m);
            for (int i = 0; i < m; i++) u[i] = (byte)(x[i] >> shift);
            u[m..].Clear();
        }
        fixed (sbyte* signs = weights.Signs)
        fixed (byte* u = levels)
        fixed (int* d = sums)
        {
            // Blocks of neurons whose +-1 rows stay in L1 while every sample of the chunk passes
            // (row-major over all neurons would stream the whole byte matrix from L2 per 4 samples).
            int block = Math.Max(1, NeuronBlockBytes / padded);
            for (int j0 = 0; j0 < n; j0 += block)
            {
                int j1 = Math.Min(n, j0 + block);
                int k = 0;
                if (weights.Isa == Isa.Neon)
                {
                    for (; k < count; k++) NeonBitPlaneDense.DotOne(signs, u + (long)k * padded, padded, j0, j1, d + (long)k * n);
                    continue;
                }
                if (weights.Isa == Isa.Avx2)
                {
                    for (; k + 4 <= count; k += 4) DotFourAvx2(signs, u + (long)k * padded, padded, j0, j1, n, d + (long)k * n);
                    for (; k < count; k++) DotOneAvx2(signs, u + (long)k * padded, padded, j0, j1, d + (long)k * n);
                    continue;
                }
                for (; k + 4 <= count; k += 4) DotFour(signs, u + (long)k * padded, padded, j0, j1, n, d + (long)k * n);
                for (; k < count; k++) DotOne(signs, u + (long)k * padded, padded, j0, j1, d + (long)k * n);
            }
        }
    }

    /// <summary>D[j] = sum_i u_i e(w_ji) for one sample: vpmaddubsw into int16, widened by vpmaddwd every 64 chunks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DotOne(sbyte* signs, byte* u, int padded, int j0, int j1, int* d)
    {
        Vector512<short> ones = Vector512.Create((short)1);
        int chunks = padded / ChunkBytes;
        for (int j = j0; j < j1; j++)
        {
            sbyte* w = signs + (long)j * padded;
            Vector512<int> total = Vector512<int>.Zero;
            for (int c0 = 0; c0 < chunks; c0 += 64)
            {
                Vector512<short> accumulator = Vector512<short>.Zero;
                int c1 = Math.Min(chunks, c0 + 64);
                for (int c = c0; c < c1; c++)
                    accumulator += Avx512BW.MultiplyAddAdjacent(Vector512.Load(u + c * ChunkBytes), Vector512.Load(w + c * ChunkBytes));
                total += Avx512BW.MultiplyAddAdjacent(accumulator, ones);
            }
            d[j] = Vector512.Sum(total);
        }
    }

    /// <summary>
    /// The AVX2 form of <see cref="DotFour"/>: four samples against neurons [j0, j1), each 32-byte chunk of a
    /// neuron's +-1 row loaded once for the four samples (five loads per four vpmaddubsw instead of eight),
    /// the same int16 pair sums (at most 64 chunks, 64 * 2 * 255 &lt; 32768) widened by vpmaddwd.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DotFourAvx2(sbyte* signs, byte* u, int padded, int j0, int j1, int n, int* d)
    {
        Vector256<short> ones = Vector256.Create((short)1);
        int chunks = padded / 32;
        byte* u0 = u, u1 = u + padded, u2 = u + 2 * padded, u3 = u + 3 * padded;
        for (int j = j0; j < j1; j++)
        {
            sbyte* w = signs + (long)j * padded;
            Vector256<int> t0 = default, t1 = default, t2 = default, t3 = default;
            for (int c0 = 0; c0 < chunks; c0 += 64)
            {
                Vector256<short> a0 = default, a1 = default, a2 = default, a3 = default;
                int c1 = Math.Min(chunks, c0 + 64);
                for (int c = c0; c < c1; c++)
                {
                    Vector256<sbyte> weight = Vector256.Load(w + c * 32);
                    int offset = c * 32;
                    a0 += Avx2.MultiplyAddAdjacent(Vector256.Load(u0 + offset), weight);
                    a1 += Avx2.MultiplyAddAdjacent(Vector256.Load(u1 + offset), weight);
                    a2 += Avx2.MultiplyAddAdjacent(Vector256.Load(u2 + offset), weight);
                    a3 += Avx2.MultiplyAddAdjacent(Vector256.Load(u3 + offset), weight);
                }
                t0 += Avx2.MultiplyAddAdjacent(a0, ones);
                t1 += Avx2.MultiplyAddAdjacent(a1, ones);
                t2 += Avx2.MultiplyAddAdjacent(a2, ones);
                t3 += Avx2.MultiplyAddAdjacent(a3, ones);
            }
            d[j] = Vector256.Sum(t0);
            d[n + j] = Vector256.Sum(t1);
            d[2 * n + j] = Vector256.Sum(t2);
            d[3 * n + j] = Vector256.Sum(t3);
        }
    }

    /// <summary><see cref="DotOne"/> on 256-bit AVX2 (vpmaddubsw ymm): two chunks of 32 bytes per 64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DotOneAvx2(sbyte* signs, byte* u, int padded, int j0, int j1, int* d)
    {
        Vector256<short> ones = Vector256.Create((short)1);
        int chunks = padded / 32;
        for (int j = j0; j < j1; j++)
        {
            sbyte* w = signs + (long)j * padded;
            Vector256<int> total = Vector256<int>.Zero;
            for (int c0 = 0; c0 < chunks; c0 += 64)
            {
                Vector256<short> accumulator = Vector256<short>.Zero;
                int c1 = Math.Min(chunks, c0 + 64);
                for (int c = c0; c < c1; c++)
                    accumulator += Avx2.MultiplyAddAdjacent(Vector256.Load(u + c * 32), Vector256.Load(w + c * 32));
                total += Avx2.MultiplyAddAdjacent(accumulator, ones);
            }
            d[j] = Vector256.Sum(total);
        }
    }

    /// <summary>As <see cref="DotOne"/> for four samples at once: each weight chunk is loaded once for four products.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DotFour(sbyte* signs, byte* u, int padded, int j0, int j1, int n, int* d)
    {
        Vector512<short> ones = Vector512.Create((short)1);
        int chunks = padded / ChunkBytes;
        byte* u0 = u, u1 = u + padded, u2 = u + 2 * padded, u3 = u + 3 * padded;
        for (int j = j0; j < j1; j++)
        {
            sbyte* w = signs + (long)j * padded;
            Vector512<int> t0 = default, t1 = default, t2 = default, t3 = default;
            for (int c0 = 0; c0 < chunks; c0 += 64)
            {
                Vector512<short> a0 = default, a1 = default, a2 = default, a3 = default;
                int c1 = Math.Min(chunks, c0 + 64);
                for (int c = c0; c < c1; c++)
                {
                    Vector512<sbyte> weight = Vector512.Load(w + c * ChunkBytes);
                    int offset = c * ChunkBytes;
                    a0 += Avx512BW.MultiplyAddAdjacent(Vector512.Load(u0 + offset), weight);
                    a1 += Avx512BW.MultiplyAddAdjacent(Vector512.Load(u1 + offset), weight);
                    a2 += Avx512BW.MultiplyAddAdjacent(Vector512.Load(u2 + offset), weight);
                    a3 += Avx512BW.MultiplyAddAdjacent(Vector512.Load(u3 + offset), weight);
                }
                t0 += Avx512BW.MultiplyAddAdjacent(a0, ones);
                t1 += Avx512BW.MultiplyAddAdjacent(a1, ones);
                t2 += Avx512BW.MultiplyAddAdjacent(a2, ones);
                t3 += Avx512BW.MultiplyAddAdjacent(a3, ones);
            }
            d[j] = Vector512.Sum(t0);
            d[n + j] = Vector512.Sum(t1);
            d[2 * n + j] = Vector512.Sum(t2);
            d[3 * n + j] = Vector512.Sum(t3);
        }
    }

    /// <summary>
    /// The scalar reference: u's B planes packed 64 pixels per word, C_b[k, j] = popcount(u_b AND w_j) from one
    /// AND-popcount GEMM over all samples and planes, then D = 2 sum_b 2^b C_b - sum_b 2^b popcount(u_b).
    /// </summary>
    private static void SumsByPlanes(PreparedWeights weights, ReadOnlySpan<byte> pixels, int count, Span<int> sums,
        Span<ulong> wordScratch, Span<int> intScratch)
    {
        BitMatrix w = weights.Weights;
        int m = w.Columns, n = w.Rows, words = w.WordsPerRow, planes = weights.InputBits;
        Span<int> planeByNeuron = intScratch[..(count * planes * n)];                  // C [count * B, n]
        Span<int> planeCounts = intScratch.Slice(count * planes * n, count * planes);  // popcount(u_b) [count, B]
        Span<ulong> planeWords = wordScratch[..(count * planes * words)];              // u planes [count * B, words]
        for (int k = 0; k < count; k++)
            PackPlanes(pixels.Slice(k * m, m), planes, planeWords.Slice(k * planes * words, planes * words), words, planeCounts.Slice(k * planes, planes));
        BinaryGemm.CountRows(CountOperation.And, planeWords, w.Words, 0, count * planes, n, words, planeByNeuron, Isa.Scalar);
        for (int k = 0; k < count; k++)
        {
            int offset = 0;
            for (int b = 0; b < planes; b++) offset += planeCounts[k * planes + b] << b;
            Span<int> d = sums.Slice(k * n, n);
            d.Clear();
            for (int b = 0; b < planes; b++)
            {
                ReadOnlySpan<int> counts = planeByNeuron.Slice((k * planes + b) * n, n);
                int factor = 2 << b;
                for (int j = 0; j < n; j++) d[j] += counts[j] * factor;
            }
            for (int j = 0; j < n; j++) d[j] -= offset;
        }
    }

    /// <summary>u = x &gt;&gt; (8 - B) packed into B planes [B, words] (plane b = bit b of u) with each plane's popcount.</summary>
    private static void PackPlanes(ReadOnlySpan<byte> pixels, int planes, Span<ulong> destination, int words, Span<int> planeCounts)
    {
        int shift = 8 - planes, m = pixels.Length;
        planeCounts.Clear();
        for (int w = 0; w < words; w++)
        {
            int start = w << 6, length = Math.Min(64, m - start);
            for (int b = 0; b < planes; b++)
            {
                ulong word = 0;
                for (int i = 0; i < length; i++) word |= (ulong)((pixels[start + i] >> (shift + b)) & 1) << i;
                destination[b * words + w] = word;
                planeCounts[b] += BitOperations.PopCount(word);
            }
        }
    }
}
