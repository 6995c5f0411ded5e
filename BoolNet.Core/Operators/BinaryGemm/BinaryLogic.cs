namespace BoolNet.Core.Operators;

/// <summary>The Boolean logic B of a neuron, s = sum_i B(x_i, w_i) (docs/ALGORITHMS.md section 2).</summary>
public enum BinaryLogic
{
    /// <summary>XNOR: counts agreements, s = K - popcount(x XOR w). Centred: a = 2s - K = sum e(x)e(w).</summary>
    Xnor,

    /// <summary>XOR: counts disagreements, s = popcount(x XOR w). Centred form is the negation of XNOR's.</summary>
    Xor,
}

/// <summary>The bitwise operation whose popcount a counting kernel accumulates.</summary>
public enum CountOperation
{
    /// <summary>popcount(a XOR b): the mismatch count behind XNOR and XOR neurons.</summary>
    Xor,

    /// <summary>popcount(a AND b): the bit-serial product behind real x Boolean sums (bit-planes).</summary>
    And,
}
