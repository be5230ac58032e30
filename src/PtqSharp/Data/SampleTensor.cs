namespace PtqSharp.Data;

/// <summary>
/// One input tensor of a sample: a flat array (float, Half, long, int, byte, sbyte, bool or double)
/// in row-major order, and its shape.
/// </summary>
/// <param name="Data">The values, row-major.</param>
/// <param name="Shape">The shape, batch dimension first.</param>
public sealed record SampleTensor(Array Data, long[] Shape)
{
    /// <summary>A tensor from a typed array and its shape.</summary>
    public static SampleTensor Create<T>(T[] data, params long[] shape) where T : unmanaged => new(data, shape);

    /// <summary>The number of elements the shape declares.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);
}
