using BoolNet.Core.Bits;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// A fixed B operand of the XOR count (inference weights) packed once in the layout of the path
/// <see cref="BinaryGemm"/> chooses for it on <see cref="Isa"/>, so repeated products against it skip
/// B's per-call packing (the batch-1 path's largest cost after the product itself). Built by
/// <see cref="BinaryGemm.PackWeights"/>; used by <see cref="BinaryGemm.CountXor"/>. The weights must not
/// change afterwards (training weights, which flip every step, are packed per call instead).
/// </summary>
public sealed class PackedWeights
{
    internal PackedWeights(BitMatrix weights, Isa isa, ulong[]? prefix, int paddedWords)
    {
        Weights = weights;
        Isa = isa;
        Prefix = prefix;
        PaddedWords = paddedWords;
    }

    /// <summary>The weights as given: [n, K] bits.</summary>
    public BitMatrix Weights { get; }

    /// <summary>The ISA the packing was made for.</summary>
    public Isa Isa { get; }

    /// <summary>Prefix-XOR groups of the packed paths (<see cref="PrefixPacking"/>: 4 rows on AVX2, 8 on AVX-512), or null where the path packs nothing ahead.</summary>
    internal ulong[]? Prefix { get; }

    /// <summary>Words per row of <see cref="Prefix"/> (padded to whole trees).</summary>
    internal int PaddedWords { get; }
}
