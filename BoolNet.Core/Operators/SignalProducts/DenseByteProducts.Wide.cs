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
    /// Four output rows x 64 columns (panels at <paramref name="panel"/> and the next one), one chunk of
    /// pairs at a time (<see cref="WidePairs"/>); chunks and epilogue as in <see cref="Tile4"/>,
    /// <paramref name="sums"/> holding 4 x 64 int32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the accumulators' buffer: written whole before it is read
    private static unsafe void WideTile4(int* a, int pairs, byte* panel, int chunk, int* sums, float* target, int* offsets, Epilogue epilogue)
    {
        long panelBytes = (long)pairs * TileColumns * 2;
        bool single = chunk >= pairs;
        if (!single) new Span<int>(sums, TileRows * WideColumns).Clear();
        Vector512<short>* s = stackalloc Vector512<short>[2 * TileRows];
        for (int c0 = 0; c0 < pairs || c0 == 0; c0 += chunk)
        {
            int c1 = Math.Min(pairs, c0 + chunk);
            WidePairs(a + c0, pairs, panel + (long)c0 * TileColumns * 2, c1 - c0, panelBytes, s);
            if (single)
            {
                for (int r = 0; r < TileRows; r++) StoreWideShorts(s[2 * r], s[2 * r + 1], target + (long)r * epilogue.Stride, offsets[r], epilogue);
                return;
            }
            for (int r = 0; r < TileRows; r++) AddWideWidened(sums + r * WideColumns, s[2 * r], s[2 * r + 1]);
        }
        for (int r = 0; r < TileRows; r++)
        {
            int* rowSums = sums + r * WideColumns;
            StoreWide(Vector512.Load(rowSums), Vector512.Load(rowSums + 16), Vector512.Load(rowSums + 32), Vector512.Load(rowSums + 48),
                target + (long)r * epilogue.Stride, offsets[r], epilogue);
        }
    }

    /// <summary>
    /// The loop of <see cref="WideTile4"/> over <paramref name="count"/> pairs: per pair two zmm loads (the
    /// panel row at <paramref name="row"/> and the next panel's) and four word broadcasts (rows of a,
    /// <paramref name="pairs"/> words apart) feed eight vpmaddubsw into eight int16 accumulators, stored
    /// to <paramref name="accumulators"/> (row r's two at 2r, 2r + 1). A method of its own that makes no
    /// call, so every pointer stays in a register (inside the tile, with its calls, the JIT kept five of
    /// them on the stack and reloaded them every pair: 5 loads per 8 vpmaddubsw).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WidePairs(int* a, int pairs, byte* row, int count, long panelBytes, Vector512<short>* accumulators)
    {
        int* a0 = a, a1 = a + pairs, a2 = a + 2 * pairs, a3 = a + 3 * pairs;
        byte* next = row + panelBytes, end = row + (long)count * TileColumns * 2;
        Vector512<short> s00 = default, s01 = default, s10 = default, s11 = default;
        Vector512<short> s20 = default, s21 = default, s30 = default, s31 = default;
        for (; row < end; row += TileColumns * 2, next += TileColumns * 2, a0++, a1++, a2++, a3++)
        {
            Vector512<byte> b0 = Vector512.Load(row), b1 = Vector512.Load(next);
            Vector512<sbyte> w = Vector512.Create(*a0).AsSByte();
            s00 = Avx512BW.Add(s00, Avx512BW.MultiplyAddAdjacent(b0, w)); s01 = Avx512BW.Add(s01, Avx512BW.MultiplyAddAdjacent(b1, w));
            w = Vector512.Create(*a1).AsSByte();
            s10 = Avx512BW.Add(s10, Avx512BW.MultiplyAddAdjacent(b0, w)); s11 = Avx512BW.Add(s11, Avx512BW.MultiplyAddAdjacent(b1, w));
            w = Vector512.Create(*a2).AsSByte();
            s20 = Avx512BW.Add(s20, Avx512BW.MultiplyAddAdjacent(b0, w)); s21 = Avx512BW.Add(s21, Avx512BW.MultiplyAddAdjacent(b1, w));
            w = Vector512.Create(*a3).AsSByte();
            s30 = Avx512BW.Add(s30, Avx512BW.MultiplyAddAdjacent(b0, w)); s31 = Avx512BW.Add(s31, Avx512BW.MultiplyAddAdjacent(b1, w));
        }
        accumulators[0] = s00; accumulators[1] = s01; accumulators[2] = s10; accumulators[3] = s11;
        accumulators[4] = s20; accumulators[5] = s21; accumulators[6] = s30; accumulators[7] = s31;
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
        StorePart(f0, f1, f2, f3, target, epilogue.Width);
    }

    /// <summary>
    /// The first <paramref name="width"/> of 64 floats (a last block): a method of its own, so that the
    /// full-width path keeps no stackalloc and inlines (a method with one is never inlined).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void StorePart(Vector512<float> f0, Vector512<float> f1, Vector512<float> f2, Vector512<float> f3, float* target, int width)
    {
        float* tile = stackalloc float[WideColumns];
        f0.Store(tile); f1.Store(tile + 16); f2.Store(tile + 32); f3.Store(tile + 48);
        new Span<float>(tile, width).CopyTo(new Span<float>(target, width));
    }
}
