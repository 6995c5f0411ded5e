using BoolNet.Core.Bits;
using BoolNet.Core.Convolution;
using BoolNet.Core.Operators;
using BoolNet.Inference.Serialization;

using BoolNet.Layers;

namespace BoolNet.Inference;

/// <summary>
/// Runs a training layer unchanged (its own Forward in inference mode), for the kinds that have no
/// dedicated folded form yet: Boolean and float convolutions, pools, flatten, the integer (ZIM)
/// layers. Exact by construction, but not allocation-free. The model file stores the layer's
/// hyper-parameters as attributes and each parameter as a tensor ("param.NAME": bits [rows, cols],
/// float32 or int32 [count]); <see cref="WrappedKinds"/> rebuilds the layer and checks every shape.
/// </summary>
public sealed class TrainingLayerAdapter : InferenceLayer
{
    // The workspace lends the layer's activation arrays again on every call (recycled under the lock), so a
    // convolution does not allocate its column matrix and output per call.
    private readonly LayerContext _context = new() { Training = false, Threads = 1, NeedInputGradient = false, Workspace = new Workspace() };

    /// <summary>Wraps <paramref name="layer"/>, which takes bits when <paramref name="inputIsBits"/>.</summary>
    public TrainingLayerAdapter(ILayer layer, bool inputIsBits) : base(layer.InputShape, layer.OutputShape)
    {
        if (!WrappedKinds.Supports(layer.Kind)) throw new NotSupportedException($"layer kind '{layer.Kind}' cannot be stored yet");
        Layer = layer;
        InputIsBits = inputIsBits;
    }

    /// <summary>The wrapped training layer.</summary>
    public ILayer Layer { get; }

    /// <summary>True when the layer reads bits, false for reals (bytes are given as reals 0..255).</summary>
    public bool InputIsBits { get; }

    /// <inheritdoc />
    public override string Kind => Layer.Kind;

    /// <inheritdoc />
    public override bool Accepts(ValueKind kind) => InputIsBits ? kind == ValueKind.Bits : kind is ValueKind.Real or ValueKind.Bytes;

    /// <inheritdoc />
    public override ValueKind Output => Layer.OutputIsBits ? ValueKind.Bits : ValueKind.Real;

    /// <inheritdoc />
    public override LayerCost Cost
    {
        get
        {
            long oneBit = 0, thirtyTwo = 0, binary = 0, floating = 0;
            foreach (Parameter p in Layer.Parameters)
            {
                if (p.BitsPerValue == 1) oneBit += p.Count; else thirtyTwo += p.Count;
                if (p.Name != "weight") continue;
                long macs = (long)p.Count / Math.Max(1, OutputShape.Channels) * OutputShape.Size;
                if (p is BooleanParameter) binary += macs; else floating += macs;
            }
            return MakeCost(oneBit, 0, thirtyTwo, binary, 0, floating);
        }
    }

    /// <inheritdoc />
    public override void Forward(Activations input, ValueKind inputKind, Activations output, int count, Scratch scratch)
    {
        Batch batch;
        if (inputKind == ValueKind.Bits)
        {
            int rows = count * InputShape.Positions, words = BitMatrix.WordsFor(InputShape.Channels);
            batch = Batch.FromBits(new BitMatrix(rows, InputShape.Channels, input.Words.AsSpan(0, rows * words).ToArray()), count, InputShape);
        }
        else
        {
            var real = new float[count * InputShape.Size];
            if (inputKind == ValueKind.Bytes) for (int i = 0; i < real.Length; i++) real[i] = input.Bytes[i];
            else input.Real.AsSpan(0, real.Length).CopyTo(real);
            batch = Batch.FromReal(real, count, InputShape);
        }
        // Training layers keep per-call buffers in fields, so one wrapped layer serves one chunk at a
        // time; the output is copied out before the lock is released.
        lock (_context)
        {
            _context.Workspace!.Recycle();
            Batch result = Layer.Forward(batch, _context);
            if (result.Bits is { } bits) bits.Words.AsSpan(0, count * OutputShape.Positions * BitMatrix.WordsFor(OutputShape.Channels)).CopyTo(output.RequireWords(bits.Words.Length));
            else result.Real!.AsSpan(0, count * OutputShape.Size).CopyTo(output.RequireReal(count * OutputShape.Size));
        }
    }

    /// <inheritdoc />
    public override LayerRecord ToRecord()
    {
        LayerRecord record = NewRecord().With("input", InputIsBits ? "bits" : "real");
        WrappedKinds.AddAttributes(Layer, record);
        foreach (Parameter p in Layer.Parameters)
        {
            record.With(p switch
            {
                BooleanParameter b => TensorRecord.FromBits("param." + p.Name, b.Weights),
                RealParameter r => new TensorRecord("param." + p.Name, TensorType.Float32, [r.Count], r.Value),
                IntegerParameter n => new TensorRecord("param." + p.Name, TensorType.Int32, [n.Count], n.Value),
                _ => throw new NotSupportedException($"parameter type {p.GetType().Name}"),
            });
        }
        if (Layer is IHasBuffers buffered)
            foreach (NamedBuffer buffer in buffered.Buffers)
                record.With(new TensorRecord("buffer." + buffer.Name, TensorType.Float32, [buffer.Values.Length], buffer.Values));
        return record;
    }

    /// <summary>Rebuilds the layer from its record.</summary>
    public static TrainingLayerAdapter FromRecord(LayerRecord record)
    {
        WrappedKinds.CheckTensors(record); // before constructing: the constructor allocates what the attributes say
        ILayer layer = WrappedKinds.Create(record);
        if (layer.InputShape != record.InputShape || layer.OutputShape != record.OutputShape)
            throw record.Fault($"hyper-parameters give {layer.InputShape} -> {layer.OutputShape}, the record says {record.InputShape} -> {record.OutputShape}");
        foreach (Parameter p in layer.Parameters)
        {
            switch (p)
            {
                case BooleanParameter b:
                    record.GetBits("param." + p.Name, b.Weights.Rows, b.Weights.Columns).Words.CopyTo(b.Weights.Words, 0);
                    break;
                case RealParameter r:
                    record.GetFloats("param." + p.Name, r.Count).CopyTo(r.Value, 0);
                    break;
                case IntegerParameter n:
                    record.GetInts("param." + p.Name, n.Count).CopyTo(n.Value, 0);
                    break;
            }
        }
        if (layer is IHasBuffers buffered)
            foreach (NamedBuffer buffer in buffered.Buffers)
                record.GetFloats("buffer." + buffer.Name, buffer.Values.Length).CopyTo(buffer.Values, 0);
        bool bits = record.GetText("input") switch
        {
            "bits" => true,
            "real" => false,
            string other => throw record.Fault($"unknown input kind '{other}'"),
        };
        return new TrainingLayerAdapter(layer, bits) { Source = record.GetText("source", "") }.WithCommon<TrainingLayerAdapter>(record);
    }
}

/// <summary>
/// Hyper-parameters of the training layer kinds the adapter can store, and their rebuilding. Every
/// attribute is read from the layer's own properties (kernel, stride, padding, channels...). The float
/// convolution and max-pool each answer to two kind names (<see cref="RealConvolution2D.ComparisonKindName"/>,
/// <see cref="RealMaxPool.ComparisonKindName"/>); each name keeps the attributes it has always had, so
/// files written before and after read the same.
/// </summary>
internal static class WrappedKinds
{
    private static readonly HashSet<string> Kinds = ["boolean-conv2d", "boolean-maxpool", "flatten", RealConvolution2D.KindName, RealMaxPool.KindName,
        "integer-linear", "layer-norm", "relu", "integer-convolution", RealConvolution2D.ComparisonKindName, RealMaxPool.ComparisonKindName];

    /// <summary>Kinds the adapter can store.</summary>
    public static IReadOnlyCollection<string> All => Kinds;

    /// <summary>True when <paramref name="kind"/> can be stored.</summary>
    public static bool Supports(string kind) => Kinds.Contains(kind);

    /// <summary>Writes the hyper-parameters the constructor needs.</summary>
    public static void AddAttributes(ILayer layer, LayerRecord record)
    {
        switch (layer)
        {
            case BooleanConvolution2D c:
                Geometry(c.Geometry, record).With("channels", (long)c.OutputShape.Channels).With("padding-mode", (long)c.PaddingMode)
                    .With("logic", c.Logic == BinaryLogic.Xnor ? "xnor" : "xor").With("output-scale", (double)c.OutputScale);
                break;
            case RealConvolution2D c when c.Kind == RealConvolution2D.KindName:
                Geometry(c.Geometry, record).With("channels", (long)c.OutputChannels).With("bias", c.Bias is null ? 0L : 1L).With("input-scale", (double)c.InputScale);
                break;
            case RealConvolution2D c:
                Geometry(c.Geometry, record.With("channels", (long)c.OutputChannels).With("bias", c.Bias is null ? 0L : 1L).With("input-scale", (double)c.InputScale));
                break;
            case BooleanMaxPool p: record.With("kernel", (long)p.Kernel).With("stride", (long)p.Stride); break;
            case RealMaxPool p when p.Kind == RealMaxPool.KindName: record.With("kernel", (long)p.Kernel).With("stride", (long)p.Stride); break;
            case RealMaxPool p: record.With("window", (long)p.Kernel); break; // the comparison kind: stride = window
            case Flatten f: record.With("bits", f.OutputIsBits ? 1L : 0L); break;
            case IntegerLinear l: record.With("bias", l.Bias is null ? 0L : 1L).With("input-scale", (double)l.InputScale); break;
            case LayerNorm n: record.With("epsilon", (double)n.Epsilon); break;
            case Relu: break;
            case IntegerConvolution c:
                Geometry(c.Geometry, record.With("channels", (long)c.OutputChannels).With("bias", c.Bias is null ? 0L : 1L).With("input-scale", (double)c.InputScale));
                break;
            default: throw new NotSupportedException($"layer kind '{layer.Kind}' cannot be stored yet");
        }
    }

    /// <summary>
    /// Checks that the parameter tensors the attributes imply are present with exactly those shapes, so
    /// a hostile record cannot make the constructor allocate more than the file holds.
    /// </summary>
    public static void CheckTensors(LayerRecord record)
    {
        TensorShape input = record.InputShape, output = record.OutputShape;
        switch (record.Kind)
        {
            case "boolean-conv2d":
            {
                long k = record.GetInteger("kernel", 1, 64), channels = record.GetInteger("channels", 1, 1 << 16);
                record.GetTensor("param.weight", TensorType.Bits, (int)channels, checked((int)(k * k * input.Channels)));
                break;
            }
            case RealConvolution2D.KindName or RealConvolution2D.ComparisonKindName or "integer-convolution":
            {
                long k = record.GetInteger("kernel", 1, 64), channels = record.GetInteger("channels", 1, 1 << 16);
                TensorType type = record.Kind == "integer-convolution" ? TensorType.Int32 : TensorType.Float32;
                record.GetTensor("param.weight", type, checked((int)(channels * k * k * input.Channels)));
                if (record.GetInteger("bias", 0, 1) == 1) record.GetTensor("param.bias", type, (int)channels);
                break;
            }
            case "integer-linear":
                record.GetTensor("param.weight", TensorType.Int32, checked(output.Channels * input.Size));
                if (record.GetInteger("bias", 0, 1) == 1) record.GetTensor("param.bias", TensorType.Int32, output.Channels);
                break;
        }
    }

    /// <summary>Constructs the layer a record describes (parameters still to be filled).</summary>
    public static ILayer Create(LayerRecord record)
    {
        TensorShape input = record.InputShape;
        var random = new Random(0);
        int Kernel() => (int)record.GetInteger("kernel", 1, 64);
        int Stride() => (int)record.GetInteger("stride", 1, 64);
        int Padding() => (int)record.GetInteger("padding", 0, 64);
        int Channels() => (int)record.GetInteger("channels", 1, 1 << 16);
        bool Bias() => record.GetInteger("bias", 0, 1) == 1;
        float InputScale() => (float)record.GetReal("input-scale");
        return record.Kind switch
        {
            "boolean-conv2d" => new BooleanConvolution2D(input, Channels(), Kernel(), random, Stride(), Padding(),
                (PaddingMode)record.GetInteger("padding-mode", 0, Enum.GetValues<PaddingMode>().Length - 1),
                record.GetText("logic") == "xor" ? BinaryLogic.Xor : BinaryLogic.Xnor, outputScale: (float)record.GetReal("output-scale")),
            RealConvolution2D.KindName or RealConvolution2D.ComparisonKindName => new RealConvolution2D(input, Channels(), Kernel(), random, Stride(), Padding(),
                Bias() ? BiasInit.Zero : BiasInit.None, InputScale(), record.Kind),
            "boolean-maxpool" => new BooleanMaxPool(input, Kernel(), Stride()),
            RealMaxPool.KindName => new RealMaxPool(input, Kernel(), Stride()),
            RealMaxPool.ComparisonKindName => new RealMaxPool(input, (int)record.GetInteger("window", 1, 64), kind: RealMaxPool.ComparisonKindName),
            "flatten" => new Flatten(input, record.GetInteger("bits", 0, 1) == 1),
            "integer-linear" => new IntegerLinear(input, record.OutputShape.Channels, random, 0, Bias(), InputScale()),
            "layer-norm" => new LayerNorm(input, (float)record.GetReal("epsilon")),
            "relu" => new Relu(input),
            "integer-convolution" => new IntegerConvolution(input, Channels(), Kernel(), random, 0, Stride(), Padding(), Bias(), InputScale()),
            _ => throw record.Fault($"unknown layer kind '{record.Kind}'"),
        };
    }

    private static LayerRecord Geometry(ConvolutionGeometry g, LayerRecord record)
    {
        if (g.KernelHeight != g.KernelWidth) throw new NotSupportedException("only square kernels are stored");
        return record.With("kernel", (long)g.KernelHeight).With("stride", (long)g.Stride).With("padding", (long)g.Padding);
    }
}
