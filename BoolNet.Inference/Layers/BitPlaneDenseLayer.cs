using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BoolNet.Core.Bits;
using BoolNet.Core.Kernels;
using BoolNet.Layers.Serialization;

namespace BoolNet.Layers.Inference;

/// <summary>
/// Folded first layer on 8-bit input with Boolean weights (ALGORITHMS.md section 2, bit-serial):
/// <code>
///   u_i = x_i &gt;&gt; (8 - B)                       (x: raw bytes, B input bit-planes)
///   D_j = sum_i e(w_ji) u_i = sum_b 2^b (2 popcount(u_b AND w_j) - popcount(u_b))   (exact integer)
///   bits output:  y_j = [D_j &lt;= T_j] XOR f_j            (batch norm + threshold folded)
///   real output:  a_j = scale * (float)D_j               (the training layer's own expression)
/// </code>
/// Two exact ways to get D, chosen by the hardware: with AVX-512 BW the weights are kept expanded
/// to +-1 bytes and D is a u8 x s8 dot product, 64 pixels per vpmaddubsw (pair sums of at most
/// 2 * 255 never saturate int16; 64 chunks of them fit before widening with vpmaddwd): about 2
/// instructions per 64 weights, where the bit-serial form needs B AND-popcounts. Elsewhere the
/// planes are packed 64 pixels per word and one AND-popcount GEMM gives all plane counts. Both
/// give the same integer.
/// </summary>
public sealed class BitPlaneDenseLayer : InferenceLayer
{
    private const int ChunkBytes = 64;
    private const int NeuronBlockBytes = 24 * 1024; // +-1 rows per block: most of a 32 KiB L1 data cache
    private readonly sbyte[]? _signs; // e(W) [n, PaddedInputs], zero past m; null when the byte path is off
    private readonly int _paddedInputs;

    /// <summary>Uses the u8 x s8 byte path when the machine has AVX-512 BW (tests switch it off to compare).</summary>
    public static bool BytePathEnabled { get; set; } = Avx512BW.IsSupported || Avx2.IsSupported;

    /// <summary>Vector width of the byte path: 512 with AVX-512 BW, else 256 (AVX2); tests force 256 to cover it.</summary>
    public static int BytePathBits { get; set; } = Avx512BW.IsSupported ? 512 : 256;

    /// <summary>Creates the layer with a folded rule (bits out) or a scale (real out).</summary>
    public BitPlaneDenseLayer(TensorShape input, BitMatrix weights, int inputBits, ThresholdRule? rule, float scale)
        : base(input, TensorShape.Vector(weights.Rows))
    {
        if (weights.Columns != input.Size) throw new ArgumentException($"weights have {weights.Columns} columns for {input.Size} inputs");
        if (inputBits is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(inputBits));
        if (rule is not null && rule.Count != weights.Rows) throw new ArgumentException("rule size differs from the neuron count");
        Weights = weights;
        InputBits = inputBits;
        Rule = rule;
        Scale = scale;
        _paddedInputs = (weights.Columns + ChunkBytes - 1) / ChunkBytes * ChunkBytes;
        if (Avx512BW.IsSupported || Avx2.IsSupported)
        {
            _signs = new sbyte[(long)weights.Rows * _paddedInputs];
            for (int j = 0; j < weights.Rows; j++)
            {
                ReadOnlySpan<ulong> row = weights.Row(j);
                for (int i = 0; i < weights.Columns; i++)
                    _signs[(long)j * _paddedInputs + i] = ((row[i >> 6] >> (i & 63)) & 1) != 0 ? (sbyte)1 : (sbyte)-1;
            }
        }
    }

    /// <summary>The file kind.</summary>
    public const string KindName = "bitplane-dense";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>W [n, m].</summary>
    public BitMatrix Weights { get; }

    /// <summary>B, input planes kept (most significant).</summary>
    public int InputBits { get; }

    /// <summary>Folded rule (bits output) or null (real output).</summary>
    public ThresholdRule? Rule { get; }

    /// <summary>Scale of the real output.</summary>
    public float Scale { get; }

    /// <inheritdoc />
    public override bool Accepts(ValueKind kind) => kind == ValueKind.Bytes;

    /// <inheritdoc />
    public override ValueKind Output => Rule is null ? ValueKind.Real : ValueKind.Bits;

    /// <inheritdoc />
    public override LayerCost Cost
    {
        get
        {
            long weights = (long)Weights.Rows * Weights.Columns;
            return MakeCost(weights + (Rule is null ? 0 : Weights.Rows), 0, Rule is null ? 1 : Weights.Rows, 0, weights, 0);
        }
    }

    /// <summary>The smallest and largest possible D (the fold's search range).</summary>
    public (int Min, int Max) Range => (-Weights.Columns * ((1 << InputBits) - 1), Weights.Columns * ((1 << InputBits) - 1));

    /// <summary>Forward: bytes [count, m] -> bits [count, n] or reals [count, n].</summary>
    public override void Forward(Activations input, ValueKind inputKind, Activations output, int count, Scratch scratch)
    {
        if (_signs is not null && BytePathEnabled) ForwardBytes(input, output, count, scratch);
        else ForwardPlanes(input, output, count, scratch);
    }

    /// <summary>D by u8 x s8 dot products (AVX-512 BW).</summary>
    private unsafe void ForwardBytes(Activations input, Activations output, int count, Scratch scratch)
    {
        int m = Weights.Columns, n = Weights.Rows, padded = _paddedInputs, shift = 8 - InputBits;
        Span<ulong> levelWords = scratch.Words((long)count * padded / 8);
        Span<byte> levels = System.Runtime.InteropServices.MemoryMarshal.AsBytes(levelWords); // u [count, padded]
        for (int k = 0; k < count; k++)
        {
            Span<byte> u = levels.Slice(k * padded, padded);
            ReadOnlySpan<byte> x = input.Bytes.AsSpan(k * m, m);
            for (int i = 0; i < m; i++) u[i] = (byte)(x[i] >> shift);
            u[m..].Clear();
        }
        Span<int> sums = scratch.Ints((long)count * n); // D [count, n]
        fixed (sbyte* signs = _signs)
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
                if (BytePathBits != 512 || !Avx512BW.IsSupported)
                {
                    for (; k < count; k++) DotOneAvx2(signs, u + (long)k * padded, padded, j0, j1, d + (long)k * n);
                    continue;
                }
                for (; k + 4 <= count; k += 4) DotFour(signs, u + (long)k * padded, padded, j0, j1, n, d + (long)k * n);
                for (; k < count; k++) DotOne(signs, u + (long)k * padded, padded, j0, j1, d + (long)k * n);
            }
        }
        Finish(sums, output, count);
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

    /// <summary>Bits (folded rule) or reals (scale * D) from D [count, n].</summary>
    private void Finish(ReadOnlySpan<int> sums, Activations output, int count)
    {
        int n = Weights.Rows, outWords = BitMatrix.WordsFor(n);
        if (Rule is not null)
        {
            Span<ulong> bits = output.RequireWords((long)count * outWords);
            for (int k = 0; k < count; k++) Rule.Pack(sums.Slice(k * n, n), bits.Slice(k * outWords, outWords));
        }
        else
        {
            Span<float> real = output.RequireReal((long)count * n);
            for (int i = 0; i < count * n; i++) real[i] = Scale * sums[i];
        }
    }

    /// <summary>D by bit-planes and the AND-popcount GEMM (ALGORITHMS.md section 2).</summary>
    private void ForwardPlanes(Activations input, Activations output, int count, Scratch scratch)
    {
        int m = Weights.Columns, n = Weights.Rows, words = Weights.WordsPerRow, planes = InputBits;
        Span<int> counts = scratch.Ints((long)count * planes * n + (long)count * planes + n);
        Span<int> planeCounts = counts.Slice(count * planes * n, count * planes);
        Span<int> sums = counts.Slice(count * planes * (n + 1), n);
        Span<ulong> planeWords = scratch.Words((long)count * planes * words); // [count * B, words]
        for (int k = 0; k < count; k++)
            PackPlanes(input.Bytes.AsSpan(k * m, m), planes, planeWords.Slice(k * planes * words, planes * words), words, planeCounts.Slice(k * planes, planes));
        Span<int> planeByNeuron = counts[..(count * planes * n)];
        CountRows(CountOperation.And, planeWords, Weights.Words, count * planes, n, words, planeByNeuron);
        int outWords = BitMatrix.WordsFor(n);
        Span<ulong> bitsOut = Rule is null ? default : output.RequireWords((long)count * outWords);
        Span<float> realOut = Rule is null ? output.RequireReal((long)count * n) : default;
        for (int k = 0; k < count; k++)
        {
            // D = 2 sum_b 2^b C_b - sum_b 2^b pop_b
            int offset = 0;
            for (int b = 0; b < planes; b++) offset += planeCounts[k * planes + b] << b;
            sums.Clear();
            for (int b = 0; b < planes; b++)
                AddScaled(sums, planeByNeuron.Slice((k * planes + b) * n, n), 2 << b);
            for (int j = 0; j < n; j++) sums[j] -= offset;
            if (Rule is not null) Rule.Pack(sums, bitsOut.Slice(k * outWords, outWords));
            else
                for (int j = 0; j < n; j++) realOut[k * n + j] = Scale * sums[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddScaled(Span<int> sums, ReadOnlySpan<int> values, int factor)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var f = Vector512.Create(factor);
            for (; j + 16 <= sums.Length; j += 16)
                (Vector512.Create(sums.Slice(j, 16)) + Vector512.Create(values.Slice(j, 16)) * f).CopyTo(sums.Slice(j, 16));
        }
        for (; j < sums.Length; j++) sums[j] += values[j] * factor;
    }

    /// <summary>u = x &gt;&gt; (8 - B) packed into B planes [B, words] (plane b = bit b of u) with each plane's popcount.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackPlanes(ReadOnlySpan<byte> pixels, int planes, Span<ulong> destination, int words, Span<int> planeCounts)
    {
        int shift = 8 - planes, m = pixels.Length;
        Span<byte> padded = stackalloc byte[64];
        planeCounts.Clear();
        for (int w = 0; w < words; w++)
        {
            int start = w << 6, length = Math.Min(64, m - start);
            scoped ReadOnlySpan<byte> chunk = pixels.Slice(start, length);
            if (length < 64)
            {
                padded.Clear();
                chunk.CopyTo(padded);
                chunk = padded;
            }
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<byte> v = Vector512.Create(chunk);
                for (int b = 0; b < planes; b++)
                {
                    // bit (shift + b) of x is bit b of u; move it to the sign position and extract 64 signs.
                    ulong word = Vector512.ShiftLeft(v, 7 - (shift + b)).ExtractMostSignificantBits();
                    destination[b * words + w] = word;
                    planeCounts[b] += System.Numerics.BitOperations.PopCount(word);
                }
            }
            else
            {
                for (int b = 0; b < planes; b++)
                {
                    ulong word = 0;
                    for (int i = 0; i < 64; i++) word |= (ulong)((chunk[i] >> (shift + b)) & 1) << i;
                    destination[b * words + w] = word;
                    planeCounts[b] += System.Numerics.BitOperations.PopCount(word);
                }
            }
        }
    }

    /// <inheritdoc />
    public override LayerRecord ToRecord()
    {
        LayerRecord record = NewRecord().With("input-bits", (long)InputBits).With("scale", (double)Scale)
            .With(TensorRecord.FromBits("weight", Weights));
        Rule?.AddTo(record);
        return record;
    }

    /// <summary>Reads the layer from its record.</summary>
    public static BitPlaneDenseLayer FromRecord(LayerRecord record)
    {
        if (!record.OutputShape.IsVector) throw record.Fault("output must be a flat vector");
        int m = record.InputShape.Size, n = record.OutputShape.Channels;
        int bits = (int)record.GetInteger("input-bits", 1, 8);
        ThresholdRule? rule = record.HasTensor("threshold") ? ThresholdRule.From(record, n) : null;
        return new BitPlaneDenseLayer(record.InputShape, record.GetBits("weight", n, m), bits, rule, (float)record.GetReal("scale")) { Source = record.GetText("source", "") }.WithCommon<BitPlaneDenseLayer>(record);
    }
}
