using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BoolNet.Core.Operators;

/// <summary>
/// The AVX-512 tile of <see cref="DenseByteProducts"/>: the 256-bit tile's algorithm on zmm registers.
/// One zmm holds a whole 32-column panel row of B2 (32 byte pairs), so the layout is unchanged and a
/// 64-column block reads two panels. Zen 4 issues 512-bit vpmaddubsw and vpaddw at the 256-bit rate
/// per instruction (register-only: 405 against 194 G byte-MACs/s on one core, measured by
/// <c>BoolNet.Bench cpp-signals</c>), so each instruction does twice the work.
/// </summary>
internal static partial class DenseByteProducts
{
    /// <summary>Output columns of the 512-bit tile: two panels, one zmm each.</summary>
    private const int WideColumns = 2 * TileColumns;

    /// <summary>
    /// Four output rows x 64 columns (panels at <paramref name="panel"/> and the next one): per pair two
    /// zmm loads and four word broadcasts feed eight vpmaddubsw into eight int16 accumulators; chunks
    /// and epilogue as in <see cref="Tile4"/>, <paramref name="sums"/> holding 4 x 64 int32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WideTile4(int* a, int pairs, byte* panel, int chunk, int* sums, float* target, int* offsets, Epilogue epilogue)
    {
        int* a0 = a, a1 = a + pairs, a2 = a + 2 * pairs, a3 = a + 3 * pairs;
        long panelBytes = (long)pairs * TileColumns * 2;
        bool single = chunk >= pairs;
        if (!single) new Span<int>(sums, TileRows * WideColumns).Clear();
        for (int c0 = 0; c0 < pairs || c0 == 0; c0 += chunk)
        {
            int c1 = Math.Min(pairs, c0 + chunk);
            Vector512<short> s00 = default, s01 = default, s10 = default, s11 = default;
            Vector512<short> s20 = default, s21 = default, s30 = default, s31 = default;
            byte* row = panel + (long)c0 * TileColumns * 2;
            for (int p = c0; p < c1; p++, row += TileColumns * 2)
            {
                Vector512<byte> b0 = Vector512.Load(row), b1 = Vector512.Load(row + panelBytes);
                Vector512<sbyte> w = Vector512.Create(a0[p]).AsSByte();
                s00 = Avx512BW.Add(s00, Avx512BW.MultiplyAddAdjacent(b0, w)); s01 = Avx512BW.Add(s01, Avx512BW.MultiplyAddAdjacent(b1, w));
                w = Vector512.Create(a1[p]).AsSByte();
                s10 = Avx512BW.Add(s10, Avx512BW.MultiplyAddAdjacent(b0, w)); s11 = Avx512BW.Add(s11, Avx512BW.MultiplyAddAdjacent(b1, w));
                w = Vector512.Create(a2[p]).AsSByte();
                s20 = Avx512BW.Add(s20, Avx512BW.MultiplyAddAdjacent(b0, w)); s21 = Avx512BW.Add(s21, Avx512BW.MultiplyAddAdjacent(b1, w));
                w = Vector512.Create(a3[p]).AsSByte();
                s30 = Avx512BW.Add(s30, Avx512BW.MultiplyAddAdjacent(b0, w)); s31 = Avx512BW.Add(s31, Avx512BW.MultiplyAddAdjacent(b1, w));
            }
            if (single)
            {
                StoreWideShorts(s00, s01, target, offsets[0], epilogue);
                StoreWideShorts(s10, s11, target + epilogue.Stride, offsets[1], epilogue);
                StoreWideShorts(s20, s21, target + 2L * epilogue.Stride, offsets[2], epilogue);
                StoreWideShorts(s30, s31, target + 3L * epilogue.Stride, offsets[3], epilogue);
                return;
            }
            AddWideWidened(sums, s00, s01);
            AddWideWidened(sums + WideColumns, s10, s11);
            AddWideWidened(sums + 2 * WideColumns, s20, s21);
            AddWideWidened(sums + 3 * WideColumns, s30, s31);
        }
        for (int r = 0; r < TileRows; r++)
        {
            int* rowSums = sums + r * WideColumns;
            StoreWide(Vector512.Load(rowSums), Vector512.Load(rowSums + 16), Vector512.Load(rowSums + 32), Vector512.Load(rowSums + 48),
                target + (long)r * epilogue.Stride, offsets[r], epilogue);
        }
    }

    /// <summary>Lane t of an accumulator is column t of its panel: sign-extend and add, in column order, to a row's 64 int32 sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddWideWidened(int* sums, Vector512<short> low, Vector512<short> high)
    {
        (Vector512<int> t0, Vector512<int> t1) = Vector512.Widen(low);
        (Vector512<int> t2, Vector512<int> t3) = Vector512.Widen(high);
        (Vector512.Load(sums) + t0).Store(sums);
        (Vector512.Load(sums + 16) + t1).Store(sums + 16);
        (Vector512.Load(sums + 32) + t2).Store(sums + 32);
        (Vector512.Load(sums + 48) + t3).Store(sums + 48);
    }

    /// <summary>One tile row from its int16 accumulators (a single chunk).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreWideShorts(Vector512<short> low, Vector512<short> high, float* target, int offset, Epilogue epilogue)
    {
        (Vector512<int> t0, Vector512<int> t1) = Vector512.Widen(low);
        (Vector512<int> t2, Vector512<int> t3) = Vector512.Widen(high);
        StoreWide(t0, t1, t2, t3, target, offset, epilogue);
    }

    /// <summary>64 int32 sums of a row (columns in order) to <c>scale * (factor * sum - offset)</c>, the first Width stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreWide(Vector512<int> t0, Vector512<int> t1, Vector512<int> t2, Vector512<int> t3, float* target, int offset,
        Epilogue epilogue)
    {
        var factor = Vector512.Create(epilogue.Factor);
        var offsetVector = Vector512.Create(offset);
        var scale = Vector512.Create(epilogue.Scale);
        Vector512<float> f0 = scale * Vector512.ConvertToSingle(factor * t0 - offsetVector);
        Vector512<float> f1 = scale * Vector512.ConvertToSingle(factor * t1 - offsetVector);
        Vector512<float> f2 = scale * Vector512.ConvertToSingle(factor * t2 - offsetVector);
        Vector512<float> f3 = scale * Vector512.ConvertToSingle(factor * t3 - offsetVector);
        if (epilogue.Width == WideColumns)
        {
            f0.Store(target); f1.Store(target + 16); f2.Store(target + 32); f3.Store(target + 48);
            return;
        }
        float* tile = stackalloc float[WideColumns];
        f0.Store(tile); f1.Store(tile + 16); f2.Store(tile + 32); f3.Store(tile + 48);
        new Span<float>(tile, epilogue.Width).CopyTo(new Span<float>(target, epilogue.Width));
    }
}
