using BoolNet.Layers;

namespace BoolNet.Training.Data;

/// <summary>
/// Reads the CIFAR-10 binary version: <c>data_batch_1.bin</c> .. <c>data_batch_5.bin</c> (training) and
/// <c>test_batch.bin</c>, each a sequence of 3073-byte records: 1 label byte (0..9), then 3072 pixel
/// bytes as three 32x32 planes R, G, B (CHW, rows top to bottom). Images are returned NHWC, shape
/// 32 x 32 x 3, 10 classes.
/// </summary>
public static class Cifar10Reader
{
    /// <summary>Image side.</summary>
    public const int Side = 32;

    /// <summary>Colour planes.</summary>
    public const int Channels = 3;

    /// <summary>Pixel bytes per image: 32 * 32 * 3.</summary>
    public const int PixelBytes = Side * Side * Channels;

    /// <summary>Bytes per record: the label byte and the pixels.</summary>
    public const int RecordBytes = 1 + PixelBytes;

    /// <summary>Number of classes.</summary>
    public const int ClassCount = 10;

    /// <summary>The training batch file names.</summary>
    public static IReadOnlyList<string> TrainFiles { get; } =
        ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

    /// <summary>The test batch file name.</summary>
    public const string TestFile = "test_batch.bin";

    /// <summary>What the folder must hold, for error messages.</summary>
    public const string FolderDescription = "the CIFAR-10 binary batches (data_batch_1.bin .. data_batch_5.bin, test_batch.bin; the folder cifar-10-batches-bin or its parent)";

    /// <summary>Shape of one image: 32 x 32 x 3.</summary>
    public static TensorShape Shape => new(Side, Side, Channels);

    /// <summary>Loads the dataset from <paramref name="directory"/> (or its <c>cifar-10-batches-bin</c> subfolder).</summary>
    /// <exception cref="DatasetNotFoundException">The folder or a batch file is missing.</exception>
    /// <exception cref="DataException">A batch file is malformed.</exception>
    public static Dataset Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string hint = $"Pass --data DIR with {FolderDescription}.";
        if (!Directory.Exists(directory)) throw new DatasetNotFoundException(directory, "cifar10", hint);
        string nested = Path.Combine(directory, "cifar-10-batches-bin");
        if (!File.Exists(Path.Combine(directory, TestFile)) && Directory.Exists(nested)) directory = nested;
        string[] trainPaths = TrainFiles.Select(file => Path.Combine(directory, file)).ToArray();
        string testPath = Path.Combine(directory, TestFile);
        foreach (string path in trainPaths.Append(testPath))
            if (!File.Exists(path)) throw new DatasetNotFoundException(path, "cifar10", hint);
        return new Dataset("cifar10", ReadBatches(trainPaths), ReadBatches([testPath]), ClassCount);
    }

    /// <summary>Reads and concatenates batch files in order.</summary>
    public static LabeledImages ReadBatches(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var lengths = new long[paths.Count];
        long records = 0;
        for (int f = 0; f < paths.Count; f++)
        {
            lengths[f] = RecordCount(paths[f]);
            records += lengths[f];
        }
        if (records * PixelBytes > Array.MaxLength)
            throw new DataException(paths[^1], $"{records} records are too many for one array");
        var pixels = new byte[records * PixelBytes];
        var labels = new byte[records];
        int offset = 0;
        for (int f = 0; f < paths.Count; f++)
        {
            ReadBatch(paths[f], lengths[f], pixels.AsSpan(offset * PixelBytes), labels.AsSpan(offset));
            offset += (int)lengths[f];
        }
        return new LabeledImages(pixels, labels, Shape);
    }

    /// <summary>Number of records in batch file <paramref name="path"/>, checking its length is a positive multiple of 3073.</summary>
    static long RecordCount(string path)
    {
        if (!File.Exists(path)) throw new DataException(path, "file not found");
        long length = new FileInfo(path).Length;
        if (length == 0) throw new DataException(path, "empty CIFAR-10 batch file");
        if (length % RecordBytes != 0)
            throw new DataException(path, $"length {length} is not a multiple of the CIFAR-10 record size {RecordBytes} (1 label + 3072 pixels): {length / RecordBytes} whole records and {length % RecordBytes} bytes left over");
        return length / RecordBytes;
    }

    /// <summary>Reads <paramref name="records"/> records, converting each image from CHW planes to HWC.</summary>
    static void ReadBatch(string path, long records, Span<byte> pixels, Span<byte> labels)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException(path, $"cannot read: {e.Message}", e);
        }
        if (bytes.LongLength != records * RecordBytes)
            throw new DataException(path, $"file changed while read: expected {records * RecordBytes} bytes, got {bytes.LongLength}");
        const int plane = Side * Side;
        for (int r = 0; r < records; r++)
        {
            var record = bytes.AsSpan(r * RecordBytes, RecordBytes);
            byte label = record[0];
            if (label >= ClassCount)
                throw new DataException(path, $"label {label} of record {r} (byte offset {(long)r * RecordBytes}) is out of range 0..{ClassCount - 1}");
            labels[r] = label;
            var image = pixels.Slice(r * PixelBytes, PixelBytes);
            for (int position = 0; position < plane; position++)
            {
                image[position * Channels] = record[1 + position];
                image[position * Channels + 1] = record[1 + plane + position];
                image[position * Channels + 2] = record[1 + 2 * plane + position];
            }
        }
    }
}
