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

    /// <summary>
    /// How many values a tensor of <paramref name="shape"/> holds, or <paramref name="cap"/> + 1 as soon as the
    /// product passes <paramref name="cap"/>: a declared shape is measured against a budget without overflowing.
    /// </summary>
    internal static long ElementCountUpTo(IEnumerable<long> shape, long cap)
    {
        long count = 1;
        foreach (var d in shape) count = d == 0 || count <= cap / d ? count * d : cap + 1;
        return Math.Min(count, cap + 1);
    }
}
