namespace BoolNet.Layers;

/// <summary>Per-layer buffers that live from one call to the next (a layer's output kept for its backward).</summary>
internal static class LayerBuffers
{
    /// <summary>Makes <paramref name="buffer"/> exactly <paramref name="length"/> long, reallocating only when the length changes.</summary>
    public static void Resize(ref float[] buffer, long length)
    {
        if (buffer.Length != length) buffer = new float[length];
    }
}
