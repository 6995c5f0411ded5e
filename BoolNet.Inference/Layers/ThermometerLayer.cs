using BoolNet.Core.Bits;
using BoolNet.Inference.Serialization;

using BoolNet.Layers;

namespace BoolNet.Inference;

/// <summary>
/// Thermometer coding of raw bytes (the training encoder's exact rule): value v becomes L bits,
/// bit t set while v &gt;= threshold_t for t = 0, 1, ... (stopping at the first that fails).
/// For bytes the count of set bits depends on v alone, so it is a 256-entry table and each value
/// writes one run of ones. Flat output: [count, size * L]; map output: [count * H * W, C * L].
/// </summary>
public sealed class ThermometerLayer : InferenceLayer
{
    private readonly byte[] _runLength = new byte[256];

    /// <summary>Creates the encoder from the training thresholds (float, increasing).</summary>
    public ThermometerLayer(TensorShape input, TensorShape output, float[] thresholds) : base(input, output)
    {
        if (thresholds.Length is < 1 or > 255) throw new ArgumentException("1..255 thresholds");
        if ((long)input.Size * thresholds.Length != output.Size) throw new ArgumentException($"{input} x {thresholds.Length} levels is not {output}");
        if (output.Channels % thresholds.Length != 0) throw new ArgumentException("output channels must be a multiple of the levels");
        Thresholds = thresholds;
        for (int v = 0; v < 256; v++)
        {
            int t = 0;
            while (t < thresholds.Length && v >= thresholds[t]) t++;
            _runLength[v] = (byte)t;
        }
    }

    /// <summary>The file kind.</summary>
    public const string KindName = "thermometer";

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>The thresholds.</summary>
    public float[] Thresholds { get; }

    /// <summary>L, bits per value.</summary>
    public int Levels => Thresholds.Length;

    /// <inheritdoc />
    public override bool Accepts(ValueKind kind) => kind == ValueKind.Bytes;

    /// <inheritdoc />
    public override ValueKind Output => ValueKind.Bits;

    /// <inheritdoc />
    public override LayerCost Cost => MakeCost(0, 0, Levels, 0, 0, 0);

    /// <inheritdoc />
    public override void Forward(Activations input, ValueKind inputKind, Activations output, int count, Scratch scratch)
    {
        int rows = count * OutputShape.Positions, columns = OutputShape.Channels, words = BitMatrix.WordsFor(columns);
        int valuesPerRow = columns / Levels;
        Span<ulong> y = output.RequireWords((long)rows * words);
        y.Clear();
        byte[] x = input.Bytes;
        for (int r = 0; r < rows; r++)
        {
            Span<ulong> row = y.Slice(r * words, words);
            int bit = 0;
            for (int i = 0; i < valuesPerRow; i++, bit += Levels)
            {
                int run = _runLength[x[r * valuesPerRow + i]];
                if (run == 0) continue;
                int position = bit, remaining = run;
                while (remaining > 0)
                {
                    int offset = position & 63, take = Math.Min(remaining, 64 - offset);
                    ulong ones = take == 64 ? ulong.MaxValue : ((1UL << take) - 1) << offset;
                    row[position >> 6] |= ones;
                    position += take;
                    remaining -= take;
                }
            }
        }
    }

    /// <inheritdoc />
    public override LayerRecord ToRecord() =>
        NewRecord().With(new TensorRecord("thresholds", TensorType.Float32, [Levels], Thresholds));

    /// <summary>Reads the layer from its record.</summary>
    public static ThermometerLayer FromRecord(LayerRecord record)
    {
        TensorRecord tensor = (record.HasTensor("thresholds") ? record.Tensors.First(t => t.Name == "thresholds") : null) ?? throw record.Fault("tensor 'thresholds' is missing");
        if (tensor.Type != TensorType.Float32 || tensor.Dimensions.Length != 1 || tensor.Dimensions[0] is < 1 or > 255)
            throw record.Fault("tensor 'thresholds' must be float32 [1..255]");
        var thresholds = (float[])tensor.Data;
        for (int t = 0; t < thresholds.Length; t++)
            if (!float.IsFinite(thresholds[t]) || (t > 0 && thresholds[t] < thresholds[t - 1])) throw record.Fault("thresholds must be finite and increasing");
        if ((long)record.InputShape.Size * thresholds.Length != record.OutputShape.Size || record.OutputShape.Channels % thresholds.Length != 0)
            throw record.Fault($"input {record.InputShape} with {thresholds.Length} levels cannot give output {record.OutputShape}");
        return new ThermometerLayer(record.InputShape, record.OutputShape, thresholds) { Source = record.GetText("source", "") }.WithCommon<ThermometerLayer>(record);
    }
}
