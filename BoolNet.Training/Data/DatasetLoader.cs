using BoolNet.Layers;

namespace BoolNet.Training.Data;

/// <summary>
/// Finds and loads a dataset by name: <c>fashion-mnist</c> (default; Debian's
/// <c>dataset-fashion-mnist</c> in <see cref="FashionMnistDirectory"/>, or any folder given),
/// <c>mnist</c> (a folder of the four MNIST IDX files) and <c>cifar10</c> (a folder of the CIFAR-10
/// binary batches, see <see cref="Cifar10Reader"/>).
/// </summary>
public static class DatasetLoader
{
    /// <summary>The dataset used when none is named.</summary>
    public const string DefaultDataset = "fashion-mnist";

    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the files.</summary>
    public const string FashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Where a Debian-style MNIST would be (no such package is known; pass --data DIR).</summary>
    public const string MnistDirectory = "/usr/share/datasets/mnist";

    /// <summary>The command that installs Fashion-MNIST.</summary>
    public const string FashionMnistInstallCommand = "sudo apt-get install dataset-fashion-mnist";

    /// <summary>Number of classes of every supported dataset.</summary>
    public const int ClassCount = 10;

    /// <summary>The dataset names <see cref="Load(string, string)"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["fashion-mnist", "mnist", "cifar10"];

    /// <summary>Base names of the four IDX files; each may also end in ".gz" (detected by content anyway).</summary>
    public static IReadOnlyList<string> IdxFileNames { get; } =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    const string IdxFolderHint = "pass --data DIR with the four IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally .gz)";

    /// <summary>
    /// Loads <paramref name="dataset"/> (null: <see cref="DefaultDataset"/>) from <paramref name="dataDirectory"/>
    /// (null: the dataset's standard folder).
    /// </summary>
    /// <exception cref="DatasetNotFoundException">The folder or one of its files is missing; the message says how to get it.</exception>
    /// <exception cref="DataException">A file is malformed, or the name is unknown.</exception>
    public static Dataset Load(string? dataset = null, string? dataDirectory = null) =>
        Load(dataset, dataDirectory, FashionMnistDirectory);

    /// <summary><see cref="Load(string?, string?)"/> with the standard Fashion-MNIST folder replaced (for tests).</summary>
    internal static Dataset Load(string? dataset, string? dataDirectory, string fashionMnistDirectory)
    {
        string name = Normalize(dataset ?? DefaultDataset);
        return name switch
        {
            "fashion-mnist" => LoadIdxFolder("fashion-mnist", dataDirectory ?? fashionMnistDirectory,
                dataDirectory is null ? $"Install it with `{FashionMnistInstallCommand}`, or {IdxFolderHint}." : $"Expected {IdxFolderHint}."),
            "mnist" => LoadIdxFolder("mnist", dataDirectory ?? MnistDirectory, $"Download MNIST and {IdxFolderHint}."),
            "cifar10" => Cifar10Reader.Load(dataDirectory
                ?? throw new DatasetNotFoundException("(no --data DIR)", "cifar10", $"Pass --data DIR with {Cifar10Reader.FolderDescription}.")),
            _ => throw new DataException(dataset!, $"unknown dataset name; known: {string.Join(", ", Names)}"),
        };
    }

    static string Normalize(string name) => name.Trim().ToLowerInvariant() switch
    {
        "fashion-mnist" or "fashion_mnist" or "fashionmnist" or "fmnist" => "fashion-mnist",
        "cifar10" or "cifar-10" or "cifar_10" => "cifar10",
        var other => other,
    };

    /// <summary>
    /// Loads the four IDX files of <paramref name="directory"/> as a <see cref="ClassCount"/>-class dataset.
    /// <paramref name="installHint"/> completes the error if the folder or a file is missing.
    /// </summary>
    public static Dataset LoadIdxFolder(string name, string directory, string? installHint = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        installHint ??= $"Expected {IdxFolderHint}.";
        if (!Directory.Exists(directory)) throw new DatasetNotFoundException(directory, name, installHint);
        var paths = IdxFileNames.Select(baseName => FindIdxFile(directory, baseName)
            ?? throw new DatasetNotFoundException(Path.Combine(directory, baseName + "[.gz]"), name, installHint)).ToArray();
        var train = LoadIdxPair(paths[0], paths[1], ClassCount);
        var test = LoadIdxPair(paths[2], paths[3], ClassCount);
        if (test.Shape != train.Shape)
            throw new DataException(paths[2], $"test image shape {test.Shape} differs from the training image shape {train.Shape} of {paths[0]}");
        return new Dataset(name, train, test, ClassCount);
    }

    /// <summary>
    /// Finds <paramref name="baseName"/> in <paramref name="directory"/>: as is, with ".gz", or in the
    /// dotted spelling some archives use ("train-images.idx3-ubyte"). Null if none exists.
    /// </summary>
    public static string? FindIdxFile(string directory, string baseName)
    {
        string dotted = baseName.Replace("-idx", ".idx", StringComparison.Ordinal);
        foreach (string candidate in new[] { baseName, baseName + ".gz", dotted, dotted + ".gz" })
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    /// <summary>
    /// Loads an image file (ubyte, N x H x W, or N x H x W x C) and its label file (ubyte, N), checking
    /// that the counts agree and every label is below <paramref name="classCount"/>.
    /// </summary>
    public static LabeledImages LoadIdxPair(string imagesPath, string labelsPath, int classCount = ClassCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classCount, 256);
        var (pixels, shape) = ReadImages(imagesPath);
        var labelArray = IdxReader.Read(labelsPath);
        if (labelArray.ElementType != IdxElementType.UnsignedByte || labelArray.Rank != 1)
            throw new DataException(labelsPath, $"a label file holds N unsigned bytes (type 0x08, 1 dimension), this one holds {labelArray.ShapeText} {labelArray.ElementType}");
        byte[] labels = labelArray.AsBytes();
        long imageCount = pixels.LongLength / shape.Size;
        if (labels.Length != imageCount)
            throw new DataException(labelsPath, $"holds {labels.Length} labels but {imagesPath} holds {imageCount} images");
        CheckLabels(labelsPath, labels, classCount);
        return new LabeledImages(pixels, labels, shape);
    }

    /// <summary>
    /// Reads an IDX image file: unsigned bytes, N x H x W (one channel) or N x H x W x C (NHWC).
    /// Returns the pixels [N * H * W * C] and the shape of one image.
    /// </summary>
    public static (byte[] Pixels, TensorShape Shape) ReadImages(string imagesPath)
    {
        var images = IdxReader.Read(imagesPath);
        if (images.ElementType != IdxElementType.UnsignedByte)
            throw new DataException(imagesPath, $"images must be unsigned bytes (type 0x08), this file holds {images.ElementType}");
        var shape = images.Rank switch
        {
            3 => new TensorShape(images.Dimensions[1], images.Dimensions[2], 1),
            4 => new TensorShape(images.Dimensions[1], images.Dimensions[2], images.Dimensions[3]),
            _ => throw new DataException(imagesPath, $"images must have 3 dimensions (N x H x W) or 4 (N x H x W x C), this file has {images.Rank} ({images.ShapeText})"),
        };
        return (images.AsBytes(), shape);
    }

    /// <summary>Throws a <see cref="DataException"/> naming <paramref name="path"/> for the first label not below <paramref name="classCount"/>.</summary>
    internal static void CheckLabels(string path, ReadOnlySpan<byte> labels, int classCount)
    {
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= classCount)
                throw new DataException(path, $"label {labels[i]} of item {i} is out of range 0..{classCount - 1}");
    }
}
