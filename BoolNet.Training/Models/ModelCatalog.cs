using BoolNet.Layers;

namespace BoolNet.Training.Models;

/// <summary>What a model factory gets: input shape, class count, seed and settings.</summary>
public sealed record ModelRequest(TensorShape Input, int Classes, int Seed, ModelSettings Settings);

/// <summary>
/// A named model: its factory, its default settings and its recommended training options
/// (the CLI starts from these and overrides what the user passes).
/// </summary>
public sealed record ModelEntry(string Name, string Description, ModelSettings Settings, TrainingOptions Defaults,
    Func<ModelRequest, Network> Create)
{
    /// <summary>Builds the network with this entry's settings (or <paramref name="settings"/>).</summary>
    public Network Build(TensorShape input, int classes, int seed, ModelSettings? settings = null) =>
        Create(new ModelRequest(input, classes, seed, settings ?? Settings));

    /// <summary>The input shape this model is built for, when it takes no other (null: any).</summary>
    public TensorShape? InputShape { get; init; }

    /// <summary>The dataset of <see cref="InputShape"/>'s images, named in the refusal of another shape.</summary>
    public string? Dataset { get; init; }
}

/// <summary>An unknown model name, listing the known ones.</summary>
public sealed class UnknownModelException(string name, IEnumerable<string> known)
    : ArgumentException($"unknown model '{name}'. Known models: {string.Join(", ", known)}");

/// <summary>
/// The model catalogue: names to factories. Entries are registered by partial methods implemented
/// in separate files, so other areas add models without editing this one:
/// <see cref="RegisterMlpModels"/> (this area), <c>RegisterConvolutionalModels</c> (conv),
/// <c>RegisterComparisonModels</c> (zim/compare), <c>RegisterDiscreteModels</c> (integer + Boolean),
/// <c>RegisterOtherModels</c> (spare).
/// </summary>
public static partial class ModelCatalog
{
    /// <summary>
    /// The model the CLI trains when none is named: the fully discrete MLP (<see cref="DiscreteMlpModel"/>),
    /// as accurate as <see cref="FloatFirstLayerMlpModel"/> with no float weight to deploy.
    /// </summary>
    public const string DefaultModel = DiscreteMlpModel;

    private static readonly Lazy<Dictionary<string, ModelEntry>> Entries = new(() =>
    {
        var list = new List<ModelEntry>();
        RegisterMlpModels(list);
        RegisterConvolutionalModels(list);
        RegisterComparisonModels(list);
        RegisterDiscreteModels(list);
        RegisterOtherModels(list);
        var map = new Dictionary<string, ModelEntry>(StringComparer.OrdinalIgnoreCase);
        foreach (ModelEntry entry in list)
            if (!map.TryAdd(entry.Name, entry)) throw new InvalidOperationException($"model '{entry.Name}' registered twice");
        return map;
    });

    /// <summary>Every registered model, by name.</summary>
    public static IReadOnlyCollection<ModelEntry> All => Entries.Value.Values.OrderBy(e => e.Name, StringComparer.Ordinal).ToArray();

    /// <summary>The entry named <paramref name="name"/> (case-insensitive).</summary>
    public static ModelEntry Get(string name) =>
        Entries.Value.TryGetValue(name, out ModelEntry? entry) ? entry : throw new UnknownModelException(name, Entries.Value.Keys.Order());

    /// <summary>True when <paramref name="name"/> is registered.</summary>
    public static bool Contains(string name) => Entries.Value.ContainsKey(name);

    static partial void RegisterMlpModels(List<ModelEntry> models);

    static partial void RegisterConvolutionalModels(List<ModelEntry> models);

    static partial void RegisterComparisonModels(List<ModelEntry> models);

    static partial void RegisterDiscreteModels(List<ModelEntry> models);

    static partial void RegisterOtherModels(List<ModelEntry> models);
}
