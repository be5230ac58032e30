namespace PtqSharp.Quantization;

/// <summary>Quantizes constant tensors with known parameters (per tensor or per channel along an axis).</summary>
internal static class WeightQuantizer
{
    public static T[] Quantize<T>(ReadOnlySpan<float> values, IReadOnlyList<long> shape, QuantizationParameters p, Func<int, T> cast)
    {
        var result = new T[values.Length];
        if (p.Codes is { } codes)
        {
            if (codes.Length != values.Length) throw new InvalidOperationException($"{codes.Length} chosen codes for a weight of {values.Length} values.");
            for (int i = 0; i < codes.Length; i++) result[i] = cast(codes[i]);
            return result;
        }

        long inner = 1;
        int channels = 1;
        if (p.Axis is int axis)
        {
            channels = (int)shape[axis];
            for (int d = axis + 1; d < shape.Count; d++) inner *= shape[d];
        }

        for (int i = 0; i < values.Length; i++)
        {
            int c = p.Axis is null ? 0 : (int)(i / inner % channels);
            result[i] = cast(p.Quantize(values[i], c));
        }

        return result;
    }

}

/// <summary>Finds the index along one axis of a flat element of a row-major tensor.</summary>
internal readonly record struct ChannelIndexer(long Inner, long Count)
{
    public static ChannelIndexer For(IReadOnlyList<long> shape, int axis)
    {
        long inner = 1;
        for (int d = axis + 1; d < shape.Count; d++) inner *= shape[d];
        return new ChannelIndexer(inner, shape[axis]);
    }

    public int Of(long i) => (int)(i / Inner % Count);
}
