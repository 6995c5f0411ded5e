using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using BoolNet.Core.Execution;

namespace BoolNet.Core.Operators;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF),
/// the checksum of the model file. One entry point and one decision: SSE4.2 has a CRC-32C instruction
/// (8 bytes per crc32 q, about one per cycle), present on every CPU with AVX2, so the AVX2 and AVX-512
/// paths use it; the scalar path is the portable table loop, the reference. Both give the same value.
/// Check value: CRC-32C("123456789") = 0xE3069283.
/// </summary>
public static class Crc32C
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32C of <paramref name="data"/> on <see cref="IsaSelection.Current"/>'s path.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Compute(data, IsaSelection.Current);

    /// <summary>The CRC-32C of <paramref name="data"/> on the path of <paramref name="isa"/> (scalar: the table reference).</summary>
    public static uint Compute(ReadOnlySpan<byte> data, Isa isa) =>
        ~Update(0xFFFFFFFFu, data, IsaSelection.Require(isa) != Isa.Scalar && Sse42.X64.IsSupported);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static uint Update(uint crc, ReadOnlySpan<byte> data, bool hardware)
    {
        int i = 0;
        if (hardware)
        {
            ulong state = crc;
            for (; i + 8 <= data.Length; i += 8)
                state = Sse42.X64.Crc32(state, BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(i, 8)));
            crc = (uint)state;
            for (; i < data.Length; i++) crc = Sse42.Crc32(crc, data[i]);
            return crc;
        }
        for (; i < data.Length; i++) crc = Table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
