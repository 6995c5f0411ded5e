namespace BoolNet.Training.Data;

/// <summary>
/// Element type codes of the IDX format (LeCun's MNIST files): the third byte of the magic number.
/// Multi-byte elements are stored big-endian.
/// </summary>
public enum IdxElementType : byte
{
    /// <summary>0x08: unsigned byte.</summary>
    UnsignedByte = 0x08,
    /// <summary>0x09: signed byte.</summary>
    SignedByte = 0x09,
    /// <summary>0x0B: 16-bit signed integer.</summary>
    Int16 = 0x0B,
    /// <summary>0x0C: 32-bit signed integer.</summary>
    Int32 = 0x0C,
    /// <summary>0x0D: 32-bit IEEE float.</summary>
    Float32 = 0x0D,
    /// <summary>0x0E: 64-bit IEEE float.</summary>
    Float64 = 0x0E,
}

/// <summary>Facts about <see cref="IdxElementType"/>.</summary>
internal static class IdxElementTypes
{
    /// <summary>True for the six codes the format defines.</summary>
    public static bool IsDefined(byte code) =>
        code is 0x08 or 0x09 or 0x0B or 0x0C or 0x0D or 0x0E;

    /// <summary>Bytes per element: 1, 1, 2, 4, 4, 8.</summary>
    public static int Size(this IdxElementType type) => type switch
    {
        IdxElementType.UnsignedByte or IdxElementType.SignedByte => 1,
        IdxElementType.Int16 => 2,
        IdxElementType.Int32 or IdxElementType.Float32 => 4,
        IdxElementType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not an IDX element type"),
    };

    /// <summary>The CLR element type of the array that holds it.</summary>
    public static Type ClrType(this IdxElementType type) => type switch
    {
        IdxElementType.UnsignedByte => typeof(byte),
        IdxElementType.SignedByte => typeof(sbyte),
        IdxElementType.Int16 => typeof(short),
        IdxElementType.Int32 => typeof(int),
        IdxElementType.Float32 => typeof(float),
        IdxElementType.Float64 => typeof(double),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not an IDX element type"),
    };
}

/// <summary>
/// The content of one IDX file: an element type, the dimensions (outermost first, e.g. N x H x W for
/// an image file) and the elements in row-major order, held in a typed array (byte[], sbyte[],
/// short[], int[], float[] or double[] according to <see cref="ElementType"/>).
/// </summary>
public sealed class IdxArray
{
    /// <summary>Wraps <paramref name="data"/>; its CLR type and length must match the type and dimensions.</summary>
    public IdxArray(IdxElementType elementType, int[] dimensions, Array data)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(data);
        if (dimensions.Length is < 1 or > 255)
            throw new ArgumentException($"an IDX array has 1..255 dimensions, got {dimensions.Length}", nameof(dimensions));
        long count = 1;
        foreach (int dimension in dimensions)
        {
            if (dimension <= 0) throw new ArgumentException($"dimension {dimension} is not positive", nameof(dimensions));
            count = checked(count * dimension);
        }
        if (data.GetType() != elementType.ClrType().MakeArrayType())
            throw new ArgumentException($"{elementType} data must be {elementType.ClrType().Name}[], got {data.GetType().Name}", nameof(data));
        if (data.LongLength != count)
            throw new ArgumentException($"dimensions {string.Join('x', dimensions)} hold {count} elements, data has {data.LongLength}", nameof(data));
        ElementType = elementType;
        Dimensions = (int[])dimensions.Clone();
        Data = data;
    }

    /// <summary>Wraps unsigned bytes (type 0x08).</summary>
    public static IdxArray FromBytes(byte[] data, params int[] dimensions) => new(IdxElementType.UnsignedByte, dimensions, data);

    /// <summary>Wraps floats (type 0x0D).</summary>
    public static IdxArray FromSingles(float[] data, params int[] dimensions) => new(IdxElementType.Float32, dimensions, data);

    /// <summary>The element type.</summary>
    public IdxElementType ElementType { get; }

    /// <summary>Dimensions, outermost first (a copy is taken on construction; do not modify).</summary>
    public int[] Dimensions { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Dimensions.Length;

    /// <summary>Number of elements: the product of the dimensions.</summary>
    public long Count => Data.LongLength;

    /// <summary>The elements, row-major, in the typed array for <see cref="ElementType"/>.</summary>
    public Array Data { get; }

    /// <summary>Dimensions written as "60000x28x28".</summary>
    public string ShapeText => string.Join('x', Dimensions);

    /// <summary>The elements as unsigned bytes, without copying; only for type 0x08.</summary>
    public byte[] AsBytes() => ElementType == IdxElementType.UnsignedByte
        ? (byte[])Data
        : throw new InvalidOperationException($"IDX array is {ElementType}, not unsigned bytes");

    /// <summary>The typed elements, without copying; T must be the CLR type of <see cref="ElementType"/>.</summary>
    public T[] As<T>() where T : unmanaged => Data.GetType() == typeof(T[])
        ? (T[])Data
        : throw new InvalidOperationException($"IDX array is {ElementType} ({ElementType.ClrType().Name}[]), not {typeof(T).Name}[]");

    /// <summary>Every element converted to float (a new array; exact for all types but large int32 and float64).</summary>
    public float[] ToSingles()
    {
        var result = new float[Data.LongLength];
        switch (Data)
        {
            // sbyte[] first: the CLR lets an sbyte[] pass as byte[] (array covariance), so order matters.
            case sbyte[] values when ElementType == IdxElementType.SignedByte: for (long i = 0; i < values.LongLength; i++) result[i] = values[i]; break;
            case byte[] values: for (long i = 0; i < values.LongLength; i++) result[i] = values[i]; break;
            case short[] values: for (long i = 0; i < values.LongLength; i++) result[i] = values[i]; break;
            case int[] values: for (long i = 0; i < values.LongLength; i++) result[i] = values[i]; break;
            case float[] values: Array.Copy(values, result, values.LongLength); break;
            case double[] values: for (long i = 0; i < values.LongLength; i++) result[i] = (float)values[i]; break;
        }
        return result;
    }

    /// <summary>Every element converted to double (a new array; exact for every type).</summary>
    public double[] ToDoubles()
    {
        var result = new double[Data.LongLength];
        switch (Data)
        {
            // sbyte[] first: the CLR lets an sbyte[] pass as byte[] (array covariance), so order matters.
            case sbyte[] values when ElementType == IdxElementType.SignedByte: for (long i = 0; i < values.LongLength; i++) result[i] = values[i]; break;
            case byte[] values: for (long i = 0; i < values.LongLength; i++) result[i] = values[i]; break;
            case short[] values: for (long i = 0; i < values.LongLength; i++) result[i] = values[i]; break;
            case int[] values: for (long i = 0; i < values.LongLength; i++) result[i] = values[i]; break;
            case float[] values: for (long i = 0; i < values.LongLength; i++) result[i] = values[i]; break;
            case double[] values: Array.Copy(values, result, values.LongLength); break;
        }
        return result;
    }
}
