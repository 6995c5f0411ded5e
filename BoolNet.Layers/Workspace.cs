namespace BoolNet.Layers;

/// <summary>
/// Step-scoped scratch arrays for the activations and gradients of one training step. Every array
/// it lends stays the caller's until <see cref="Recycle"/>, which makes all of them available again:
/// the next step asks for the same lengths in the same order and gets the same, already faulted-in
/// memory back.
/// </summary>
/// <remarks>
/// Why: a 784-1024-1024-10 step at batch 100 makes about a dozen 300-400 KB float arrays. Fresh ones
/// are large-object allocations; after each gen2 collection their pages go back to the OS and the
/// next allocation faults them in again, zeroed by the kernel. Measured on the 2-core VM, page faults
/// were 13 % of the training CPU time (batch norm alone spent most of its time in them).
/// Lent arrays are NOT cleared: a caller writes every element or clears it itself, exactly as with
/// <see cref="GC.AllocateUninitializedArray{T}"/>. Not thread-safe: layers ask from the calling thread.
/// </remarks>
public sealed class Workspace
{
    private readonly Dictionary<int, Stack<float[]>> _free = [];
    private readonly List<float[]> _lent = [];
    private readonly bool _poison;

    /// <summary>
    /// Creates an empty workspace. With <paramref name="poison"/> every lent array is first filled with
    /// NaN, so a caller that reads an element before writing it shows up as NaN (tests use it).
    /// </summary>
    public Workspace(bool poison = false) => _poison = poison;

    /// <summary>Bytes of the arrays this workspace owns (lent or free).</summary>
    public long Bytes { get; private set; }

    /// <summary>A float array of exactly <paramref name="length"/> elements with undefined contents.</summary>
    public float[] Floats(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (!_free.TryGetValue(length, out Stack<float[]>? stack) || !stack.TryPop(out float[]? array))
        {
            array = GC.AllocateUninitializedArray<float>(length);
            Bytes += (long)length * sizeof(float);
        }
        if (_poison) array.AsSpan().Fill(float.NaN);
        _lent.Add(array);
        return array;
    }

    /// <summary>Takes back every lent array: none of them may be used after this call.</summary>
    public void Recycle()
    {
        foreach (float[] array in _lent)
        {
            if (!_free.TryGetValue(array.Length, out Stack<float[]>? stack)) _free[array.Length] = stack = new Stack<float[]>();
            stack.Push(array);
        }
        _lent.Clear();
    }
}
