using System.Runtime.Intrinsics;
using BoolNet.Core.Bits;
using BoolNet.Core.Kernels;
using BoolNet.Layers.Numerics;

namespace BoolNet.Layers;

/// <summary>
/// First layer for 8-bit real inputs with Boolean weights (ALGORITHMS.md section 2, "mixed
/// neuron"), computed exactly by bit-planes on the AND-popcount kernel:
/// <code>
///   u = round(x) &gt;&gt; (8 - B)   (x: raw intensities 0..255; B = InputBits planes kept)
///   a[k, j] = OutputScale * sum_i e(w_ji) u_ki
///           = OutputScale * sum_b 2^b (2 popcount(u_b,k AND w_j) - popcount(u_b,k))
/// </code>
/// OutputScale defaults to 1 / (2^B - 1) so inputs act as values in [0, 1].
/// Backward: q[j, i] = OutputScale * sum_k z_kj u_ki, exact in floats or with z on P bit-planes
/// against the B input planes (uncentred AND-popcounts, P * B plane pairs).
/// </summary>
public sealed class BitPlaneLinear : ILayer
{
    private readonly ulong _seed;
    private byte[]? _levels; // u [N, m] cached for Backward
    private int _count;

    /// <summary>Creates the layer with random Boolean weights.</summary>
    public BitPlaneLinear(TensorShape input, int outputs, Random random, int inputBits = 8, SignalSettings? signal = null, float? outputScale = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        if (inputBits is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(inputBits), inputBits, "input bits must be 1..8");
        InputShape = input;
        OutputShape = TensorShape.Vector(outputs);
        InputBits = inputBits;
        OutputScale = outputScale ?? 1f / ((1 << inputBits) - 1);
        Signal = signal ?? SignalSettings.Exact;
        Weight = new BooleanParameter("weight", outputs, input.Size);
        Weight.Weights.Randomize(random);
        _seed = (ulong)random.NextInt64();
        Parameters = [Weight];
    }

    /// <inheritdoc />
    public string Kind => "bitplane-linear";

    /// <inheritdoc />
    public TensorShape InputShape { get; }

    /// <inheritdoc />
    public TensorShape OutputShape { get; }

    /// <inheritdoc />
    public bool OutputIsBits => false;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>W [out, m].</summary>
    public BooleanParameter Weight { get; }

    /// <summary>B, the input bit-planes kept (the most significant ones).</summary>
    public int InputBits { get; }

    /// <summary>Factor on the sums.</summary>
    public float OutputScale { get; }

    /// <summary>Backward path for the weight signal.</summary>
    public SignalSettings Signal { get; set; }

    /// <summary>Forward: x [N, m] real 0..255 -> a [N, out] (class formula).</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        float[] x = input.RequireReal(Kind);
        int count = input.Count, m = InputShape.Size, outputs = OutputShape.Channels;
        var levels = Levels(x, count * m);
        BitMatrix planes = PackPlanes(levels, count, m, InputBits);     // [N*B, m]
        var output = new float[count * outputs];
        PlaneProducts.Run(planes, PowersOfTwo(InputBits), Weight.Weights, [1], centred: true, OutputScale, output, context.Threads);
        _levels = context.Training ? levels : null;
        _count = count;
        return Batch.FromReal(output, count, OutputShape);
    }

    /// <summary>
    /// Backward of a = OutputScale * u e(W)^T: q = OutputScale * z^T u [out, m];
    /// g = OutputScale * z e(W) (exact floats; only when asked, i.e. not as a first layer).
    /// </summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        byte[] levels = _levels ?? throw new InvalidOperationException($"{Kind}: Backward without a training Forward");
        int count = _count, m = InputShape.Size, outputs = OutputShape.Channels;
        if (Signal.UsesPlanes)
        {
            ulong seed = SignalQuantizer.Hash(_seed ^ context.Seed, (ulong)context.Step);
            QuantizedSignal z = QuantizedSignal.Create(outputGradient, count, outputs, Signal, seed);
            if (count <= BooleanSignals.ShortBatchLimit && SparseByteProducts.Fits(z.Planes, InputBits))
            {
                // q[j, i] = scale * sum_k Z[k, j] u[k, i] on the pixel levels directly; exact, so equal to the bit-plane sums.
                SparseByteProducts.Run(z.Levels, levels, count, outputs, m, factor: 1, offsets: null, z.Scale * OutputScale,
                    Weight.Signal, context.Threads);
            }
            else if (count <= BooleanSignals.ShortBatchLimit)
            {
                BitMatrix planeMajor = PackPlanesTransposedPlaneMajor(levels, count, m, InputBits);      // [B*m, N]
                short[] values = BooleanSignals.Widen(z);
                SelectionSums.Run(planeMajor, PowersOfTwo(InputBits), values, outputs, (1 << (z.Planes - 1)) - 1, null,
                    z.Scale * OutputScale, Weight.Signal, context.Threads, planeMajor: true);
            }
            else
            {
                BitMatrix uPlanes = PackPlanesTransposed(levels, count, m, InputBits);                   // [m*B, N]
                BitMatrix zPlanes = SignalQuantizer.PackPlanesTransposed(z.Levels, count, outputs, z.Planes); // [out*P, N]
                PlaneProducts.Run(zPlanes, SignalQuantizer.PlaneWeights(z.Planes), uPlanes, PowersOfTwo(InputBits),
                    centred: false, z.Scale * OutputScale, Weight.Signal, context.Threads);
            }
        }
        else
        {
            var u = new float[count * m];
            for (int i = 0; i < u.Length; i++) u[i] = levels[i];
            Core.Operators.FloatGemm.Multiply(outputGradient, true, u, false, Weight.Signal, outputs, m, count, threads: context.Threads);
            for (int i = 0; i < Weight.Signal.Length; i++) Weight.Signal[i] *= OutputScale;
        }
        _levels = null;
        if (!context.NeedInputGradient) return null;
        var g = new float[count * m];
        BooleanSignals.InputSignalExact(outputGradient, count, Weight.Weights, OutputScale, g, context.Threads);
        return g;
    }

    private byte[] Levels(float[] x, int length)
    {
        var levels = new byte[length];
        int shift = 8 - InputBits;
        int i = 0;
        // Eight pixels per step: Vector256.Round rounds half to even, as MathF.Round does; a lane
        // outside [0, 255.5] (or NaN) sends the whole step to the scalar loop, which names the value.
        var low = Vector256<float>.Zero;
        var high = Vector256.Create(255.5f);
        for (; i + 8 <= length; i += 8)
        {
            Vector256<float> v = Vector256.Create(x.AsSpan(i, 8));
            if ((Vector256.GreaterThanOrEqual(v, low) & Vector256.LessThanOrEqual(v, high)).ExtractMostSignificantBits() != 0xFF) break;
            Vector256<int> rounded = Vector256.ShiftRightArithmetic(Vector256.ConvertToInt32(Vector256.Round(v)), shift);
            for (int lane = 0; lane < 8; lane++) levels[i + lane] = (byte)rounded.GetElement(lane);
        }
        for (; i < length; i++)
        {
            float v = x[i];
            if (!(v >= 0f && v <= 255.5f)) throw new ArgumentException($"{Kind} expects raw intensities 0..255, got {v}");
            levels[i] = (byte)((int)MathF.Round(v) >> shift);
        }
        return levels;
    }

    private static int[] PowersOfTwo(int count) => Enumerable.Range(0, count).Select(b => 1 << b).ToArray();

    /// <summary>u [rows, columns] bytes -> [rows * B, columns] bits, row r*B + b = bit b of u[r, :].</summary>
    internal static BitMatrix PackPlanes(byte[] levels, int rows, int columns, int bits)
    {
        var result = new BitMatrix(rows * bits, columns);
        int wordsPerRow = result.WordsPerRow;
        for (int r = 0; r < rows; r++)
        {
            int w = 0;
            // 32 bytes at a time: shift plane b into each byte's top bit, read the 32 top bits (vpmovmskb).
            for (; (w + 1) * 64 <= columns; w++)
            {
                Vector256<byte> low = Vector256.Create(levels.AsSpan(r * columns + w * 64, 32));
                Vector256<byte> high = Vector256.Create(levels.AsSpan(r * columns + w * 64 + 32, 32));
                for (int b = 0; b < bits; b++)
                    result.Words[(r * bits + b) * wordsPerRow + w] = Vector256.ShiftLeft(low, 7 - b).ExtractMostSignificantBits()
                        | ((ulong)Vector256.ShiftLeft(high, 7 - b).ExtractMostSignificantBits() << 32);
            }
            for (int c = w * 64; c < columns; c++)
            {
                int v = levels[r * columns + c];
                if (v == 0) continue;
                for (int b = 0; b < bits; b++)
                    if (((v >> b) & 1) != 0) result.Words[(r * bits + b) * wordsPerRow + (c >> 6)] |= 1UL << (c & 63);
            }
        }
        return result;
    }

    /// <summary>
    /// u [rows, columns] bytes -> [B * columns, rows] bits, row b*columns + c = bit b of u[:, c]: each
    /// plane packed row-wise and transposed in 64x64 blocks (the per-bit scatter is ~10x slower).
    /// </summary>
    internal static BitMatrix PackPlanesTransposedPlaneMajor(byte[] levels, int rows, int columns, int bits)
    {
        BitMatrix rowPlanes = PackPlanes(levels, rows, columns, bits); // [rows*B, columns]
        var result = new BitMatrix(bits * columns, rows);
        for (int b = 0; b < bits; b++)
        {
            var plane = new BitMatrix(rows, columns);
            for (int r = 0; r < rows; r++) rowPlanes.Row(r * bits + b).CopyTo(plane.Row(r));
            BitMatrix transposed = BitPacking.Transpose(plane); // [columns, rows]
            transposed.Words.CopyTo(result.RowRange(b * columns, columns));
        }
        return result;
    }

    /// <summary>u [rows, columns] bytes -> [columns * B, rows] bits, row c*B + b = bit b of u[:, c].</summary>
    internal static BitMatrix PackPlanesTransposed(byte[] levels, int rows, int columns, int bits)
    {
        var result = new BitMatrix(columns * bits, rows);
        int wordsPerRow = result.WordsPerRow;
        for (int r = 0; r < rows; r++)
        {
            ulong bit = 1UL << (r & 63);
            int word = r >> 6;
            for (int c = 0; c < columns; c++)
            {
                int v = levels[r * columns + c];
                if (v == 0) continue;
                for (int b = 0; b < bits; b++)
                    if (((v >> b) & 1) != 0) result.Words[(c * bits + b) * wordsPerRow + word] |= bit;
            }
        }
        return result;
    }
}
