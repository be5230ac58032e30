using System.Numerics.Tensors;

namespace PtqSharp.Statistics;

/// <summary>Ranges of constant weights, per output channel along an axis or for the whole tensor.</summary>
internal static class WeightStatistics
{
    /// <summary>Absolute maximum of each slice along <paramref name="axis"/>; a single value when axis is null.</summary>
    public static float[] AbsMaxPerChannel(ReadOnlySpan<float> values, IReadOnlyList<long> shape, int? axis)
    {
        if (axis is not int a)
        {
            return [values.Length == 0 ? 0f : MathF.Abs(TensorPrimitives.MaxMagnitude(values))];
        }

        int channels = (int)shape[a];
        long inner = 1;
        for (int d = a + 1; d < shape.Count; d++) inner *= shape[d];
        long outer = values.Length / (channels * inner);
        var result = new float[channels];
        for (long o = 0; o < outer; o++)
        {
            for (int c = 0; c < channels; c++)
            {
                var slice = values.Slice((int)((o * channels + c) * inner), (int)inner);
                if (slice.Length > 0) result[c] = MathF.Max(result[c], MathF.Abs(TensorPrimitives.MaxMagnitude(slice)));
            }
        }

        return result;
    }

    /// <summary>Minimum and maximum of each slice along <paramref name="axis"/>; single values when axis is null.</summary>
    public static (float[] Min, float[] Max) MinMaxPerChannel(ReadOnlySpan<float> values, IReadOnlyList<long> shape, int? axis)
    {
        if (axis is not int a)
        {
            return values.Length == 0 ? ([0f], [0f]) : ([TensorPrimitives.Min(values)], [TensorPrimitives.Max(values)]);
        }

        int channels = (int)shape[a];
        long inner = 1;
        for (int d = a + 1; d < shape.Count; d++) inner *= shape[d];
        long outer = values.Length / (channels * inner);
        var min = Enumerable.Repeat(float.PositiveInfinity, channels).ToArray();
        var max = Enumerable.Repeat(float.NegativeInfinity, channels).ToArray();
        for (long o = 0; o < outer; o++)
        {
            for (int c = 0; c < channels; c++)
            {
                var slice = values.Slice((int)((o * channels + c) * inner), (int)inner);
                if (slice.Length == 0) continue;
                min[c] = MathF.Min(min[c], TensorPrimitives.Min(slice));
                max[c] = MathF.Max(max[c], TensorPrimitives.Max(slice));
            }
        }

        for (int c = 0; c < channels; c++)
        {
            if (min[c] > max[c]) (min[c], max[c]) = (0f, 0f);
        }

        return (min, max);
    }
}
