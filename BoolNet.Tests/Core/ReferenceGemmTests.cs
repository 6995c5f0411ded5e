using BoolNet.Core.Bits;
using BoolNet.Core.Execution;
using BoolNet.Core.Operators;

namespace BoolNet.Tests.Core;

/// <summary>The scalar reference against a naive +-1 integer dot product.</summary>
[Category("Isa")]
public class ReferenceGemmTests
{
    [TestCase(1, 1, 1)]
    [TestCase(3, 63, 5)]
    [TestCase(4, 64, 4)]
    [TestCase(7, 65, 9)]
    [TestCase(1, 200, 1)]
    [TestCase(0, 10, 3)]
    [TestCase(3, 0, 2)]
    public void XnorAndXorEqualNaiveSignedDot(int m, int k, int n)
    {
        var random = new Random(m * 7919 + k * 31 + n);
        var a = new BitMatrix(m, k); a.Randomize(random);
        var b = new BitMatrix(n, k); b.Randomize(random);
        var xnor = new int[m * n];
        var xor = new int[m * n];
        BinaryGemm.Multiply(a, b, xnor, BinaryLogic.Xnor, threads: 1, isa: Isa.Scalar);
        BinaryGemm.Multiply(a, b, xor, BinaryLogic.Xor, threads: 1, isa: Isa.Scalar);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                int centred = 0;
                for (int t = 0; t < k; t++) centred += a.Sign(i, t) * b.Sign(j, t);
                // XNOR count s: centred = 2s - K. XOR count is K - s.
                Assert.That(2 * xnor[i * n + j] - k, Is.EqualTo(centred));
                Assert.That(xor[i * n + j], Is.EqualTo(k - xnor[i * n + j]));
            }
    }

    [Test]
    public void AndCountEqualsNaive()
    {
        var random = new Random(3);
        var a = new BitMatrix(5, 130); a.Randomize(random);
        var b = new BitMatrix(6, 130); b.Randomize(random);
        var c = new int[30];
        BinaryGemm.CountAnd(a, b, c, threads: 1, isa: Isa.Scalar);
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 6; j++)
                Assert.That(c[i * 6 + j], Is.EqualTo(Enumerable.Range(0, 130).Count(t => a[i, t] && b[j, t])));
    }

    [Test]
    public void DotMasksDirtyTails()
    {
        ulong[] a = { ulong.MaxValue, ulong.MaxValue };
        ulong[] b = { ulong.MaxValue, 0 };
        // 70 bits: 64 agree, 6 disagree; the 58 dirty bits past 70 must be ignored.
        Assert.That(BinaryDot.Dot(a, b, 70, BinaryLogic.Xnor, Isa.Scalar), Is.EqualTo(64));
        Assert.That(BinaryDot.Dot(a, b, 70, BinaryLogic.Xor, Isa.Scalar), Is.EqualTo(6));
        Assert.That(BinaryDot.Dot(a, b, 0, BinaryLogic.Xnor, Isa.Scalar), Is.EqualTo(0));
    }

    [Test]
    public void ThreadCountDoesNotChangeResult()
    {
        var random = new Random(11);
        var a = new BitMatrix(301, 777); a.Randomize(random);
        var b = new BitMatrix(67, 777); b.Randomize(random);
        var one = new int[301 * 67];
        var two = new int[301 * 67];
        BinaryGemm.Multiply(a, b, one, BinaryLogic.Xnor, threads: 1);
        BinaryGemm.Multiply(a, b, two, BinaryLogic.Xnor, threads: 2);
        Assert.That(two, Is.EqualTo(one));
    }
}
