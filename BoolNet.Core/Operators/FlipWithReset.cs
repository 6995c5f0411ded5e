using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BoolNet.Core.Bits;

namespace BoolNet.Core.Operators;

/// <summary>
/// The float rule of the Boolean optimizer "flip with reset" on weight rows (docs/ALGORITHMS.md
/// section 4; Leconte, "Boolean Logic as an Error feedback mechanism", Alg. 1/2, after BOLD,
/// Nguyen et al., arXiv:2405.16339), element-wise:
/// <code>
///   m &lt;- clip(beta m + eta q)      flip &lt;- (w TRUE and m &gt;= 1) or (w FALSE and m &lt;= -1)
///   w[flip] &lt;- NOT w[flip];  m[flip] &lt;- 0
/// </code>
/// Element-wise, so the result does not depend on how the rows are split over threads or when each
/// row runs: fused into the backward (<see cref="FlipWithResetRows"/> as the weight signal's
/// epilogue) or as a pass of its own, the weights are the same bit for bit.
/// </summary>
public static class FlipWithReset
{
    /// <summary>
    /// One row, 8 weights per 256-bit vector; returns its flips, the largest |m| after the step, the
    /// sum of |q| and the sum of q^2 (each in lane order, then the tail: the same for any caller).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (long Flips, float Max, double SumAbsSignal, double SumSquaredSignal) Row(Span<ulong> words, Span<float> m, ReadOnlySpan<float> q, float beta, float eta, float clip)
    {
        int columns = m.Length, c = 0;
        long flips = 0;
        var maxVector = Vector256<float>.Zero;
        var signalVector = Vector256<float>.Zero;
        var squareVector = Vector256<float>.Zero;
        var betaVector = Vector256.Create(beta);
        var etaVector = Vector256.Create(eta);
        var one = Vector256.Create(1f);
        var clipVector = Vector256.Create(clip > 0f ? clip : float.PositiveInfinity);
        var bitSelect = Vector256.Create(1, 2, 4, 8, 16, 32, 64, 128);
        ref float mRef = ref MemoryMarshal.GetReference(m);
        ref float qRef = ref MemoryMarshal.GetReference(q);
        for (; c + 8 <= columns; c += 8)
        {
            Vector256<float> signal = Vector256.LoadUnsafe(ref qRef, (nuint)c);
            signalVector += Vector256.Abs(signal);
            squareVector += signal * signal;
            Vector256<float> value = betaVector * Vector256.LoadUnsafe(ref mRef, (nuint)c) + etaVector * signal;
            value = Vector256.Min(Vector256.Max(value, -clipVector), clipVector);
            int byteBits = (int)((words[c >> 6] >> (c & 63)) & 0xFF);
            Vector256<float> isTrue = Vector256.Equals(Vector256.Create(byteBits) & bitSelect, bitSelect).AsSingle();
            Vector256<float> flip = (isTrue & Vector256.GreaterThanOrEqual(value, one))
                                  | Vector256.AndNot(Vector256.LessThanOrEqual(value, -one), isTrue);
            uint flipBits = flip.ExtractMostSignificantBits();
            if (flipBits != 0)
            {
                words[c >> 6] ^= (ulong)flipBits << (c & 63);
                flips += BitOperations.PopCount(flipBits);
                value = Vector256.AndNot(value, flip);
            }
            value.StoreUnsafe(ref mRef, (nuint)c);
            maxVector = Vector256.Max(maxVector, Vector256.Abs(value));
        }
        float max = 0f;
        double sumSignal = 0, sumSquares = 0;
        for (int i = 0; i < 8; i++)
        {
            max = MathF.Max(max, maxVector[i]);
            sumSignal += signalVector[i];
            sumSquares += squareVector[i];
        }
        for (; c < columns; c++)
        {
            sumSignal += MathF.Abs(q[c]);
            sumSquares += (double)q[c] * q[c];
            float value = beta * m[c] + eta * q[c];
            if (clip > 0f) value = Math.Clamp(value, -clip, clip);
            ulong bit = 1UL << (c & 63);
            bool isTrue = (words[c >> 6] & bit) != 0;
            if (isTrue ? value >= 1f : value <= -1f)
            {
                words[c >> 6] ^= bit;
                value = 0f;
                flips++;
            }
            m[c] = value;
            max = MathF.Max(max, MathF.Abs(value));
        }
        return (flips, max, sumSignal, sumSquares);
    }
}

/// <summary>
/// One step of <see cref="FlipWithReset"/> on a weight tensor W [rows, columns] with its float
/// accumulator m and signal q, as data: the scalars of the step and where each row's statistics go.
/// As the <see cref="IRowEpilogue"/> of the weight signal (<see cref="SignalProducts"/>) it updates row j
/// of W as soon as row j of q is final, while q's row is still in cache (the optimizer step fused into
/// the backward); called over all rows it is the optimizer's own pass. The default value does nothing.
/// </summary>
public readonly struct FlipWithResetRows : IRowEpilogue
{
    private readonly BitMatrix? _weights;
    private readonly float[] _accumulator, _signal, _max;
    private readonly long[] _flips, _ticks;
    private readonly double[] _sumAbsSignal, _sumSquaredSignal;

    /// <summary>A step of W with accumulator m and signal q (both [rows * columns]).</summary>
    public FlipWithResetRows(BitMatrix weights, float[] accumulator, float[] signal, float beta, float eta, float clip)
    {
        long count = (long)weights.Rows * weights.Columns;
        if (accumulator.Length < count || signal.Length < count) throw new ArgumentException($"accumulator and signal need {count} values");
        _weights = weights;
        _accumulator = accumulator;
        _signal = signal;
        Beta = beta;
        Eta = eta;
        Clip = clip;
        _flips = new long[weights.Rows];
        _max = new float[weights.Rows];
        _sumAbsSignal = new double[weights.Rows];
        _sumSquaredSignal = new double[weights.Rows];
        _ticks = new long[weights.Rows];
    }

    /// <summary>False for the default value (no step).</summary>
    public bool IsActive => _weights is not null;

    /// <summary>beta of this step.</summary>
    public float Beta { get; }

    /// <summary>eta of this step.</summary>
    public float Eta { get; }

    /// <summary>The clip kappa (0: none).</summary>
    public float Clip { get; }

    /// <summary>Applies the rule to rows [<paramref name="start"/>, <paramref name="end"/>), timing itself.</summary>
    public void Apply(int start, int end)
    {
        if (_weights is null || start >= end) return;
        long begin = Stopwatch.GetTimestamp();
        int columns = _weights.Columns;
        for (int r = start; r < end; r++)
            (_flips[r], _max[r], _sumAbsSignal[r], _sumSquaredSignal[r]) = FlipWithReset.Row(_weights.Row(r), _accumulator.AsSpan(r * columns, columns),
                _signal.AsSpan(r * columns, columns), Beta, Eta, Clip);
        _ticks[start] += Stopwatch.GetTimestamp() - begin; // row ranges are disjoint: one writer per slot
    }

    /// <summary>Flips of the step (once every row ran).</summary>
    public long Flips
    {
        get
        {
            long total = 0;
            foreach (long flips in _flips ?? []) total += flips;
            return total;
        }
    }

    /// <summary>The largest |m| after the step.</summary>
    public float MaxAccumulator => _max is null || _max.Length == 0 ? 0f : _max.Max();

    /// <summary>sum |q| over the tensor, added in row order (the same for any thread split).</summary>
    public double SumAbsSignal
    {
        get
        {
            double total = 0;
            foreach (double value in _sumAbsSignal ?? []) total += value;
            return total;
        }
    }

    /// <summary>
    /// sqrt(mean q^2) over the tensor, its squares added in row order (the same for any thread split
    /// and fused or not); 0 for the default value.
    /// </summary>
    public double RootMeanSquareSignal
    {
        get
        {
            long count = _weights is null ? 0 : (long)_weights.Rows * _weights.Columns;
            if (count == 0) return 0;
            double total = 0;
            foreach (double value in _sumSquaredSignal) total += value;
            return Math.Sqrt(total / count);
        }
    }

    /// <summary>Time spent in <see cref="Apply"/>, summed over the threads that ran it.</summary>
    public TimeSpan Elapsed
    {
        get
        {
            long total = 0;
            foreach (long ticks in _ticks ?? []) total += ticks;
            return Stopwatch.GetElapsedTime(0, total);
        }
    }
}
