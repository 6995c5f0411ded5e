using System.Numerics;
using System.Runtime.CompilerServices;

// Namespace "Randomness", not "Random": a namespace BoolNet.Core.Random would hide System.Random from every
// type in BoolNet.Core.* (e.g. BitMatrix.Randomize(Random)) because C# finds enclosing namespaces' members first.
namespace BoolNet.Core.Randomness;

/// <summary>
/// A small seeded generator whose every output is fixed by this file alone (never by .NET's
/// <see cref="System.Random"/>, whose algorithms may change between versions), so a run is
/// reproducible from its seed on any .NET version.
/// <para>
/// Generator: xoshiro256** 1.0 (Blackman and Vigna, "Scrambled linear pseudorandom number generators",
/// 2018; https://prng.di.unimi.it/xoshiro256starstar.c), period 2^256 - 1. Its 256-bit state is
/// filled from the 64-bit seed by SplitMix64 (Steele, Lea, Flood 2014; https://prng.di.unimi.it/splitmix64.c),
/// as the authors recommend. Independent streams (one per step, layer, thread...) come from
/// <see cref="DeterministicRandom(ulong, ulong)"/>, which hashes (seed, stream) into the seed.
/// </para>
/// <para>
/// Derived draws: <see cref="NextInt(int)"/> is exactly uniform (Lemire's multiply-shift with rejection,
/// "Fast random integer generation in an interval", ACM TOMACS 2019); <see cref="NextDouble"/> uses the
/// top 53 bits. These use integer arithmetic only and are bit-identical everywhere. The one seeded
/// shuffle, <see cref="Permutation(ulong, long, int)"/>, is counter-based (<see cref="Hash"/>) rather
/// than drawn from a stream. <see cref="NextNormal()"/> uses Box-Muller with
/// Math.Log/Sqrt/Cos/Sin: identical on one platform and runtime, but the last bit may differ where the
/// C library's log/cos/sin differ.
/// </para>
/// Not thread-safe: give each thread its own stream.
/// </summary>
public sealed class DeterministicRandom
{
    ulong state0, state1, state2, state3;
    double spareNormal;
    bool hasSpareNormal;

    /// <summary>Seeds the generator: its state is four successive SplitMix64 outputs from <paramref name="seed"/>.</summary>
    public DeterministicRandom(ulong seed)
    {
        ulong x = seed;
        state0 = SplitMix64(ref x);
        state1 = SplitMix64(ref x);
        state2 = SplitMix64(ref x);
        state3 = SplitMix64(ref x);
    }

    /// <summary>
    /// Stream <paramref name="stream"/> of <paramref name="seed"/>: seeded with <see cref="Derive"/>(seed, stream),
    /// e.g. one stream per optimizer step. Different streams are statistically independent.
    /// </summary>
    public DeterministicRandom(ulong seed, ulong stream) : this(Derive(seed, stream)) { }

    DeterministicRandom(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        (state0, state1, state2, state3) = (s0, s1, s2, s3);
    }

    /// <summary>
    /// A generator with the given raw xoshiro256** state (four words, not all zero); for checking
    /// against the reference implementation's test vectors.
    /// </summary>
    public static DeterministicRandom FromState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4) throw new ArgumentException($"xoshiro256** has 4 state words, got {state.Length}", nameof(state));
        if ((state[0] | state[1] | state[2] | state[3]) == 0) throw new ArgumentException("an all-zero state is a fixed point", nameof(state));
        return new DeterministicRandom(state[0], state[1], state[2], state[3]);
    }

    /// <summary>
    /// The seed of stream <paramref name="stream"/> of <paramref name="seed"/>:
    /// SplitMix64-finalise(seed XOR SplitMix64-finalise(stream + golden gamma)). Mixing the stream first
    /// keeps (seed, stream) and (seed + 1, stream - 1) far apart.
    /// </summary>
    public static ulong Derive(ulong seed, ulong stream) => Finalize(seed ^ Finalize(stream + GoldenGamma));

    /// <summary>
    /// A permutation of 0..count-1 fixed by (<paramref name="seed"/>, <paramref name="epoch"/>): the data
    /// order of one training epoch, and the engine's one seeded shuffle. Fisher-Yates (Durstenfeld): for i
    /// from count-1 down to 1, swap i with j = <see cref="Hash"/>(key, i) mod (i + 1), where
    /// key = <see cref="Hash"/>(seed, 0xE0C0 XOR (epoch &lt;&lt; 20)). Counter-based, so each draw depends on
    /// (seed, epoch, i) only. The modulo's bias, under (i + 1) / 2^64, is far below anything measurable.
    /// This is exactly the order the trainer has always used: changing it changes every trained weight.
    /// </summary>
    public static int[] Permutation(ulong seed, long epoch, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        ulong key = Hash(seed, 0xE0C0UL ^ (unchecked((ulong)epoch) << 20));
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)(Hash(key, (ulong)i) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>
    /// A counter-based generator: the SplitMix64 output function of seed + (counter + 1) * golden gamma,
    /// i.e. the (counter + 1)-th SplitMix64 output from <paramref name="seed"/> without the sequential
    /// state. Draw i of a stream is Hash(key, i), so parallel or resumed work needs no carried state
    /// (stochastic rounding, augmentation, <see cref="Permutation(ulong, long, int)"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ulong seed, ulong counter) => Finalize(seed + (counter + 1) * GoldenGamma);

    const ulong GoldenGamma = 0x9E3779B97F4A7C15;

    /// <summary>SplitMix64: advances <paramref name="x"/> by the golden gamma and returns the finalised value.</summary>
    public static ulong SplitMix64(ref ulong x)
    {
        x += GoldenGamma;
        return Finalize(x);
    }

    /// <summary>The SplitMix64 output function (a bijective 64-bit mixer, Stafford's variant 13).</summary>
    static ulong Finalize(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>Next 64 uniform bits (xoshiro256**: rotl(s1 * 5, 7) * 9, then the linear state update).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(state1 * 5, 7) * 9;
        ulong t = state1 << 17;
        state2 ^= state0;
        state3 ^= state1;
        state1 ^= state2;
        state0 ^= state3;
        state2 ^= t;
        state3 = BitOperations.RotateLeft(state3, 45);
        return result;
    }

    /// <summary>Next 32 uniform bits (the high half of <see cref="NextUInt64"/>, the better-mixed half).</summary>
    public uint NextUInt32() => (uint)(NextUInt64() >> 32);

    /// <summary>A uniform integer in [0, <paramref name="bound"/>), exactly unbiased; bound must be positive.</summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        return (int)NextUInt32Below((uint)bound);
    }

    /// <summary>A uniform integer in [<paramref name="minimum"/>, <paramref name="maximum"/>), exactly unbiased.</summary>
    public int NextInt(int minimum, int maximum)
    {
        if (maximum <= minimum) throw new ArgumentOutOfRangeException(nameof(maximum), $"empty range [{minimum}, {maximum})");
        return (int)(minimum + (long)NextUInt32Below((uint)((long)maximum - minimum)));
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>), exactly unbiased; bound must be positive.</summary>
    public long NextLong(long bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        // Lemire's method on 64 bits: the high word of x * bound is uniform once the low word's biased
        // region (low < 2^64 mod bound) is rejected.
        ulong range = (ulong)bound;
        ulong high = Math.BigMul(NextUInt64(), range, out ulong low);
        if (low < range)
        {
            ulong threshold = (0 - range) % range;
            while (low < threshold) high = Math.BigMul(NextUInt64(), range, out low);
        }
        return (long)high;
    }

    /// <summary>Lemire's nearly-divisionless bounded draw on 32 bits (bound &gt; 0).</summary>
    uint NextUInt32Below(uint bound)
    {
        ulong product = (ulong)NextUInt32() * bound;
        uint low = (uint)product;
        if (low < bound)
        {
            uint threshold = (0u - bound) % bound;
            while (low < threshold)
            {
                product = (ulong)NextUInt32() * bound;
                low = (uint)product;
            }
        }
        return (uint)(product >> 32);
    }

    /// <summary>A uniform double in [0, 1): the top 53 bits times 2^-53.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform float in [0, 1): the top 24 bits times 2^-24.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>A fair coin: the top bit.</summary>
    public bool NextBoolean() => (long)NextUInt64() < 0;

    /// <summary>True with probability <paramref name="probability"/> (in [0, 1]), via <see cref="NextDouble"/> &lt; p.</summary>
    public bool NextBernoulli(double probability)
    {
        if (!(probability >= 0 && probability <= 1)) throw new ArgumentOutOfRangeException(nameof(probability), probability, "a probability is in [0, 1]");
        return NextDouble() < probability;
    }

    /// <summary>
    /// A standard normal draw (mean 0, variance 1) by the Box-Muller transform: from u1 in (0, 1] and
    /// u2 in [0, 1), r = sqrt(-2 ln u1), the pair (r cos 2 pi u2, r sin 2 pi u2); the second is kept for the next call.
    /// </summary>
    public double NextNormal()
    {
        if (hasSpareNormal)
        {
            hasSpareNormal = false;
            return spareNormal;
        }
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        double angle = 2.0 * Math.PI * u2;
        spareNormal = radius * Math.Sin(angle);
        hasSpareNormal = true;
        return radius * Math.Cos(angle);
    }

    /// <summary>A normal draw with the given mean and standard deviation.</summary>
    public double NextNormal(double mean, double standardDeviation) => mean + standardDeviation * NextNormal();

    /// <summary>Fills <paramref name="destination"/> with uniform random bytes (8 per draw, little-endian).</summary>
    public void NextBytes(Span<byte> destination)
    {
        while (destination.Length >= 8)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(destination, NextUInt64());
            destination = destination[8..];
        }
        if (destination.IsEmpty) return;
        ulong last = NextUInt64();
        for (int i = 0; i < destination.Length; i++) destination[i] = (byte)(last >> (8 * i));
    }
}
