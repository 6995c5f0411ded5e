using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BoolNet.Core.Operators;

// The AVX-512 (F/BW/VBMI) paths of BinaryGemm. .NET exposes no vector popcount (VPOPCNTQ), so bytes are counted
// with two vpermb lookups; on Zen 4 those (and the shift between them) run on only two of the
// four vector pipes at one zmm per cycle, so the kernel is built to do as few lookups as possible (Avx512PackedKernel):
// - B is repacked once per call with eight rows interleaved by 64-bit words, and each A word is
// broadcast to the eight qword lanes (EVEX embedded broadcast, folded into the XOR/AND's load), so one
// zmm input is an outer product of 1 A word x 8 B words: eight outputs, each in its own qword lane up to
// the final vpsadbw, which then yields the eight counts directly.
// - A Harley-Seal carry-save adder tree per zmm stream (sum = xor3 = vpternlogq 0x96,
// carry = majority, one more vpternlogq, both on any pipe) turns 8 inputs into one lookup:
// count = 8 lookups(eights) + 4 popcount(fours) + 2 popcount(twos) + popcount(ones).
// - Register tile of 4 A rows x 1 B group (32 outputs): the group's 8 inputs of a tree stay in
// registers for the four A rows, so an input costs one 8-byte broadcast load plus a quarter zmm load.
// The last n % 8 B rows, and whole products with n < 8 or fewer than 8 words per row (K <= 448),
// use Avx512LookupTiles.
// Packing B costs O(n * words) once per call (once per call for all threads too), charged to the call.
// BinaryGemm.Choose decides which runs.

/// <summary>The AVX-512 Harley-Seal tiles over 8-row packed B groups (see the note at the top of this file).</summary>
internal unsafe struct Avx512PackedKernel : IPackedKernel
{
    private const int GroupRowCount = 8;

    public static int GroupRows => GroupRowCount;
    public static int TileRows => 4;

    // A byte counts at most 8 per lookup, so 31 lookups fit a byte accumulator (31 * 8 = 248 <= 255).
    private const int LookupsPerFlush = 31;

    private static readonly Vector512<byte> LowTable = Avx512Popcount.LowTable, HighTable = Avx512Popcount.HighTable;

    /// <summary>
    /// Four A rows against one packed B group: c[r * n + q] += popcount(op(A[r], B[8g + q])), r &lt; 4, q &lt; 8.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TOperation>(ulong* a, int words, ulong* group, int* c, int n)
        where TOperation : struct, IVectorOperation
    {
        Vector512<byte> low = LowTable, high = HighTable;
        ulong* a0 = a, a1 = a + words, a2 = a + 2 * words, a3 = a + 3 * words;
        Vector512<ulong> ones0 = default, twos0 = default, fours0 = default;
        Vector512<ulong> ones1 = default, twos1 = default, fours1 = default;
        Vector512<ulong> ones2 = default, twos2 = default, fours2 = default;
        Vector512<ulong> ones3 = default, twos3 = default, fours3 = default;
        Vector512<byte> eights0 = default, eights1 = default, eights2 = default, eights3 = default;
        Vector512<ulong> flushed0 = default, flushed1 = default, flushed2 = default, flushed3 = default;
        int treeWords = words - words % 8;
        int lookups = 0;
        for (int t = 0; t < treeWords; t += 8)
        {
            ulong* y = group + GroupRowCount * t;
            Vector512<ulong> y0 = Vector512.Load(y), y1 = Vector512.Load(y + 8), y2 = Vector512.Load(y + 16), y3 = Vector512.Load(y + 24);
            Vector512<ulong> y4 = Vector512.Load(y + 32), y5 = Vector512.Load(y + 40), y6 = Vector512.Load(y + 48), y7 = Vector512.Load(y + 56);
            eights0 += Tree<TOperation>(ref ones0, ref twos0, ref fours0, a0 + t, y0, y1, y2, y3, y4, y5, y6, y7, low, high);
            eights1 += Tree<TOperation>(ref ones1, ref twos1, ref fours1, a1 + t, y0, y1, y2, y3, y4, y5, y6, y7, low, high);
            eights2 += Tree<TOperation>(ref ones2, ref twos2, ref fours2, a2 + t, y0, y1, y2, y3, y4, y5, y6, y7, low, high);
            eights3 += Tree<TOperation>(ref ones3, ref twos3, ref fours3, a3 + t, y0, y1, y2, y3, y4, y5, y6, y7, low, high);
            if (++lookups == LookupsPerFlush)
            {
                flushed0 += Widen(eights0); eights0 = default;
                flushed1 += Widen(eights1); eights1 = default;
                flushed2 += Widen(eights2); eights2 = default;
                flushed3 += Widen(eights3); eights3 = default;
                lookups = 0;
            }
        }
        Store(c, Finish<TOperation>(a0, group, treeWords, words, ones0, twos0, fours0, eights0, flushed0, low, high));
        Store(c + n, Finish<TOperation>(a1, group, treeWords, words, ones1, twos1, fours1, eights1, flushed1, low, high));
        Store(c + 2 * n, Finish<TOperation>(a2, group, treeWords, words, ones2, twos2, fours2, eights2, flushed2, low, high));
        Store(c + 3 * n, Finish<TOperation>(a3, group, treeWords, words, ones3, twos3, fours3, eights3, flushed3, low, high));
    }

    /// <summary>One A row against one packed B group (the last rows % 4 rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OneRow<TOperation>(ulong* a, int words, ulong* group, int* c)
        where TOperation : struct, IVectorOperation
    {
        Vector512<byte> low = LowTable, high = HighTable;
        Vector512<ulong> ones = default, twos = default, fours = default, flushed = default;
        Vector512<byte> eights = default;
        int treeWords = words - words % 8;
        int lookups = 0;
        for (int t = 0; t < treeWords; t += 8)
        {
            ulong* y = group + GroupRowCount * t;
            eights += Tree<TOperation>(ref ones, ref twos, ref fours, a + t,
                Vector512.Load(y), Vector512.Load(y + 8), Vector512.Load(y + 16), Vector512.Load(y + 24),
                Vector512.Load(y + 32), Vector512.Load(y + 40), Vector512.Load(y + 48), Vector512.Load(y + 56), low, high);
            if (++lookups == LookupsPerFlush)
            {
                flushed += Widen(eights);
                eights = default;
                lookups = 0;
            }
        }
        Store(c, Finish<TOperation>(a, group, treeWords, words, ones, twos, fours, eights, flushed, low, high));
    }

    /// <summary>
    /// Feeds 8 inputs op(broadcast A word t, word t of the group's 8 B rows) through the Harley-Seal tree of
    /// one A row and returns the byte popcount of the eights that leave it (weight 8, applied at the end).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Tree<TOperation>(ref Vector512<ulong> ones, ref Vector512<ulong> twos, ref Vector512<ulong> fours,
        ulong* a, Vector512<ulong> y0, Vector512<ulong> y1, Vector512<ulong> y2, Vector512<ulong> y3,
        Vector512<ulong> y4, Vector512<ulong> y5, Vector512<ulong> y6, Vector512<ulong> y7,
        Vector512<byte> low, Vector512<byte> high)
        where TOperation : struct, IVectorOperation
    {
        Vector512<ulong> twosA = CarrySave(ref ones, TOperation.Apply(y0, Vector512.Create(a[0])), TOperation.Apply(y1, Vector512.Create(a[1])));
        Vector512<ulong> twosB = CarrySave(ref ones, TOperation.Apply(y2, Vector512.Create(a[2])), TOperation.Apply(y3, Vector512.Create(a[3])));
        Vector512<ulong> foursA = CarrySave(ref twos, twosA, twosB);
        twosA = CarrySave(ref ones, TOperation.Apply(y4, Vector512.Create(a[4])), TOperation.Apply(y5, Vector512.Create(a[5])));
        twosB = CarrySave(ref ones, TOperation.Apply(y6, Vector512.Create(a[6])), TOperation.Apply(y7, Vector512.Create(a[7])));
        Vector512<ulong> foursB = CarrySave(ref twos, twosA, twosB);
        Vector512<ulong> eights = CarrySave(ref fours, foursA, foursB);
        return Avx512Popcount.Bytes(eights, low, high);
    }

    /// <summary>
    /// Per-lane totals (one qword per B row) of one A row: 8 * eights + ones + 2 twos + 4 fours, plus the
    /// words after the last whole tree counted directly (under 8: at most 56 per byte, and with
    /// ones + 2 twos + 4 fours at most 56 more, no byte overflows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Finish<TOperation>(ulong* a, ulong* group, int start, int words,
        Vector512<ulong> ones, Vector512<ulong> twos, Vector512<ulong> fours, Vector512<byte> eights, Vector512<ulong> flushed,
        Vector512<byte> low, Vector512<byte> high)
        where TOperation : struct, IVectorOperation
    {
        Vector512<byte> rest = Avx512Popcount.Bytes(ones, low, high);
        for (int t = start; t < words; t++)
            rest += Avx512Popcount.Bytes(TOperation.Apply(Vector512.Load(group + GroupRowCount * t), Vector512.Create(a[t])), low, high);
        Vector512<byte> weighted = Avx512Popcount.Bytes(fours, low, high);
        weighted += weighted;
        weighted += Avx512Popcount.Bytes(twos, low, high);
        rest += weighted + weighted;
        return ((flushed + Widen(eights)) << 3) + Widen(rest);
    }

    /// <summary>Adds the eight qword totals (one per B row of the group) into c[0..7] (cleared by the caller).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(int* c, Vector512<ulong> lanes)
    {
        // vpmovqd narrows the eight counts (each under 2^31) to ints in one instruction.
        Vector256<int> totals = Avx512F.ConvertToVector256Int32(lanes.AsInt64());
        Vector256.Store(Vector256.Load(c) + totals, c);
    }

    /// <summary>vpsadbw against zero: each qword lane gets the sum of its 8 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Widen(Vector512<byte> counters) =>
        Avx512BW.SumAbsoluteDifferences(counters, Vector512<byte>.Zero).AsUInt64();

    /// <summary>
    /// Full adder of the bit-sliced counter <paramref name="sum"/> with inputs p and q: sum becomes
    /// sum XOR p XOR q (vpternlogq 0x96, written in place) and the returned carry is majority(old sum, p, q).
    /// vpternlogq overwrites its first operand, and computing the majority from the old sum would need a
    /// register copy (a vmovdqa64 per adder); instead the carry is derived from the NEW sum: where p = q the
    /// majority is p, where p != q the old sum was NOT the new sum, so carry = ternlog(p, q, sum', 0xD4),
    /// which overwrites p, dead by then.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> CarrySave(ref Vector512<ulong> sum, Vector512<ulong> p, Vector512<ulong> q)
    {
        sum = Avx512F.TernaryLogic(sum, p, q, 0x96);
        return Avx512F.TernaryLogic(p, q, sum, 0xD4);
    }
}
