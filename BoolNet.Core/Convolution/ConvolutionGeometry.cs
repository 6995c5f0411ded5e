namespace BoolNet.Core.Convolution;

/// <summary>
/// How a convolution treats input positions outside the image. A padded position is neither +1 nor
/// -1 in the Boolean encoding, so the choice must be explicit.
/// </summary>
public enum PaddingMode
{
    /// <summary>
    /// Padded positions do not exist: the sum runs over the valid window positions only, so a border
    /// output has a smaller fan-in. Computed by zero-filling the lowered words and subtracting
    /// popcount(W) at the padded kernel offsets from the mismatch count.
    /// </summary>
    Exclude,

    /// <summary>Padded positions hold FALSE (-1) in every channel.</summary>
    False,

    /// <summary>Padded positions hold TRUE (+1) in every channel.</summary>
    True,
}

/// <summary>
/// Shape bookkeeping of a 2-D convolution over NHWC maps with square stride and symmetric padding.
/// Output size: H_out = floor((H + 2*pad - kh) / stride) + 1, likewise for W.
/// Kernel offset index k = ky * KernelWidth + kx.
/// </summary>
public readonly record struct ConvolutionGeometry
{
    /// <summary>Creates and checks a geometry.</summary>
    public ConvolutionGeometry(int inputHeight, int inputWidth, int channels, int kernelHeight, int kernelWidth, int stride, int padding)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        if (padding >= kernelHeight || padding >= kernelWidth)
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"padding must be smaller than the kernel {kernelHeight}x{kernelWidth} (a window entirely in the padding has no input)");
        if (inputHeight + 2 * padding < kernelHeight || inputWidth + 2 * padding < kernelWidth)
            throw new ArgumentException($"kernel {kernelHeight}x{kernelWidth} does not fit the padded input {inputHeight + 2 * padding}x{inputWidth + 2 * padding}");
        InputHeight = inputHeight;
        InputWidth = inputWidth;
        Channels = channels;
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
        Stride = stride;
        Padding = padding;
    }

    /// <summary>Input height H.</summary>
    public int InputHeight { get; }

    /// <summary>Input width W.</summary>
    public int InputWidth { get; }

    /// <summary>Input channels C.</summary>
    public int Channels { get; }

    /// <summary>Kernel height kh.</summary>
    public int KernelHeight { get; }

    /// <summary>Kernel width kw.</summary>
    public int KernelWidth { get; }

    /// <summary>Stride (both directions).</summary>
    public int Stride { get; }

    /// <summary>Padding (each side, both directions).</summary>
    public int Padding { get; }

    /// <summary>H_out = (H + 2 pad - kh) / stride + 1.</summary>
    public int OutputHeight => (InputHeight + 2 * Padding - KernelHeight) / Stride + 1;

    /// <summary>W_out = (W + 2 pad - kw) / stride + 1.</summary>
    public int OutputWidth => (InputWidth + 2 * Padding - KernelWidth) / Stride + 1;

    /// <summary>Input positions per sample, H * W.</summary>
    public int InputPositions => InputHeight * InputWidth;

    /// <summary>Output positions per sample, H_out * W_out.</summary>
    public int OutputPositions => OutputHeight * OutputWidth;

    /// <summary>Kernel offsets kh * kw.</summary>
    public int Offsets => KernelHeight * KernelWidth;

    /// <summary>Words holding one position's channels: ceil(C / 64).</summary>
    public int WordsPerPosition => (Channels + 63) >> 6;

    /// <summary>Words of one lowered row: kh * kw * ceil(C / 64).</summary>
    public int LoweredWords => Offsets * WordsPerPosition;

    /// <summary>Logical weight columns per output channel: kh * kw * C (offset-major, channel-minor).</summary>
    public int FanIn => Offsets * Channels;

    /// <summary>
    /// The input row (ih, iw) read by output position (oy, ox) at kernel offset (ky, kx), or false when it
    /// falls in the padding.
    /// </summary>
    public bool TryInputPosition(int outputY, int outputX, int kernelY, int kernelX, out int inputY, out int inputX)
    {
        inputY = outputY * Stride - Padding + kernelY;
        inputX = outputX * Stride - Padding + kernelX;
        return (uint)inputY < (uint)InputHeight && (uint)inputX < (uint)InputWidth;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{InputHeight}x{InputWidth}x{Channels} * {KernelHeight}x{KernelWidth} stride {Stride} pad {Padding} -> {OutputHeight}x{OutputWidth}";
}
