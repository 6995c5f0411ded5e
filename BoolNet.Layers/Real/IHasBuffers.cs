namespace BoolNet.Layers;

/// <summary>A non-trainable state tensor of a layer (e.g. batch-norm running statistics).</summary>
public sealed record NamedBuffer(string Name, float[] Values);

/// <summary>
/// A layer with state that is not a trainable parameter but must be saved with the model and
/// restored on resume (batch-norm running mean and variance).
/// </summary>
public interface IHasBuffers
{
    /// <summary>The buffers, in a fixed order.</summary>
    IReadOnlyList<NamedBuffer> Buffers { get; }
}
