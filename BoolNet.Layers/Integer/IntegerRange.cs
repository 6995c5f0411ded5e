namespace BoolNet.Layers;

/// <summary>
/// The values an integer parameter may take, [<see cref="Minimum"/>, <see cref="Maximum"/>]; discrete
/// updates saturate at its ends. <see cref="Int8"/> is symmetric (-127..127, not -128) so that a weight
/// and its negation are both representable and the int8 kernels' sign tricks never overflow.
/// </summary>
public readonly record struct IntegerRange(int Minimum, int Maximum)
{
    /// <summary>The full int32 range (ZIM's comparison models).</summary>
    public static IntegerRange Int32 { get; } = new(int.MinValue, int.MaxValue);

    /// <summary>-127..127: stored as int8 at export.</summary>
    public static IntegerRange Int8 { get; } = new(-127, 127);

    /// <summary>Smallest storage width that holds the range: 8, 16 or 32 bits.</summary>
    public int Bits => Minimum >= sbyte.MinValue && Maximum <= sbyte.MaxValue ? 8
        : Minimum >= short.MinValue && Maximum <= short.MaxValue ? 16 : 32;

    /// <summary>value clamped into the range.</summary>
    public int Clamp(long value) => (int)Math.Clamp(value, Minimum, Maximum);

    /// <summary>True when value lies in the range.</summary>
    public bool Contains(long value) => value >= Minimum && value <= Maximum;

    /// <inheritdoc />
    public override string ToString() => $"[{Minimum}, {Maximum}]";
}
