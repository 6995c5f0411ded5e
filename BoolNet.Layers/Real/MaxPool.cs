using System.Numerics;

namespace BoolNet.Layers;

/// <summary>
/// Max pooling over real NHWC maps with a square window and equal stride (PyTorch MaxPool2d(k, k):
/// the output is floor(H / k) x floor(W / k), trailing rows/columns dropped). The first maximum of a
/// window (row-major) receives the whole gradient.
/// </summary>
public sealed class MaxPool : ILayer
{
    private static readonly Vector<int> Lane = CreateLanes();
    private readonly int _window;
    private float[] _output = [];
    private int[] _argument = [];       // flat input index of each output's maximum
    private float[] _inputGradient = [];
    private int _count;

    /// <summary>Creates a <paramref name="window"/> x <paramref name="window"/> pool with stride <paramref name="window"/>.</summary>
    public MaxPool(TensorShape input, int window = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        if (input.Height < window || input.Width < window)
            throw new ArgumentException($"a {window}x{window} pool does not fit input {input}");
        _window = window;
        InputShape = input;
        OutputShape = new TensorShape(input.Height / window, input.Width / window, input.Channels);
    }

    /// <inheritdoc />
    public string Kind => "max-pool";

    /// <inheritdoc />
    public TensorShape InputShape { get; }

    /// <inheritdoc />
    public TensorShape OutputShape { get; }

    /// <inheritdoc />
    public bool OutputIsBits => false;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters => [];

    /// <summary>y[n, oy, ox, c] = max over the window of x[n, oy*k+dy, ox*k+dx, c].</summary>
    public Batch Forward(Batch input, LayerContext context)
    {
        float[] x = input.RequireReal(Kind);
        if (input.Shape != InputShape) throw new ArgumentException($"{Kind} expects {InputShape} but received {input.Shape}");
        int count = input.Count;
        _count = count;
        int channels = InputShape.Channels, height = InputShape.Height, width = InputShape.Width;
        int outputHeight = OutputShape.Height, outputWidth = OutputShape.Width;
        ConvolutionArithmetic.Resize(ref _output, (long)count * OutputShape.Size);
        if (_argument.Length != _output.Length) _argument = new int[_output.Length];
        // Window elements in row-major order, channels innermost: each (dy, dx) is one contiguous run
        // of C channels compared against the running maximum (strictly greater keeps the first maximum).
        Span<float> output = _output;
        Span<int> argument = _argument;
        for (int n = 0; n < count; n++)
            for (int oy = 0; oy < outputHeight; oy++)
                for (int ox = 0; ox < outputWidth; ox++)
                {
                    int outputBase = ((n * outputHeight + oy) * outputWidth + ox) * channels;
                    Span<float> maximum = output.Slice(outputBase, channels);
                    Span<int> best = argument.Slice(outputBase, channels);
                    for (int dy = 0; dy < _window; dy++)
                        for (int dx = 0; dx < _window; dx++)
                        {
                            int source = ((n * height + oy * _window + dy) * width + ox * _window + dx) * channels;
                            ReadOnlySpan<float> values = x.AsSpan(source, channels);
                            if (dy == 0 && dx == 0)
                            {
                                values.CopyTo(maximum);
                                for (int lane = 0; lane < channels; lane++) best[lane] = source + lane;
                                continue;
                            }
                            int c = 0;
                            if (Vector.IsHardwareAccelerated)
                            {
                                // Branch-free: the comparison is data-dependent noise to the branch predictor.
                                int lanes = Vector<float>.Count;
                                for (; c + lanes <= channels; c += lanes)
                                {
                                    var value = new Vector<float>(values.Slice(c));
                                    var current = new Vector<float>(maximum.Slice(c));
                                    Vector<int> greater = Vector.GreaterThan(value, current);
                                    Vector.ConditionalSelect(greater, value, current).CopyTo(maximum.Slice(c));
                                    Vector.ConditionalSelect(greater, new Vector<int>(source + c) + Lane, new Vector<int>(best.Slice(c))).CopyTo(best.Slice(c));
                                }
                            }
                            for (; c < channels; c++)
                                if (values[c] > maximum[c])
                                {
                                    maximum[c] = values[c];
                                    best[c] = source + c;
                                }
                        }
                }
        return Batch.FromReal(_output, count, OutputShape);
    }

    private static Vector<int> CreateLanes()
    {
        var lanes = new int[Vector<int>.Count];
        for (int i = 0; i < lanes.Length; i++) lanes[i] = i;
        return new Vector<int>(lanes);
    }

    /// <summary>Differentiates <see cref="Forward"/>: each output's gradient goes to its window's maximum.</summary>
    public float[]? Backward(float[] outputGradient, LayerContext context)
    {
        if (!context.NeedInputGradient) return null;
        ConvolutionArithmetic.Resize(ref _inputGradient, (long)_count * InputShape.Size);
        Array.Clear(_inputGradient);
        int length = _count * OutputShape.Size;
        for (int i = 0; i < length; i++) _inputGradient[_argument[i]] += outputGradient[i];
        return _inputGradient;
    }
}
