namespace PtqSharp.Statistics;

/// <summary>
/// The largest |x| of each channel of the last axis over all samples (a float[] per tensor): Abs, a
/// Reshape to [-1, <paramref name="Channels"/>] and a ReduceMax over axis 0 in the graph. The maximum
/// over samples, not a mean of per-sample maxima, which would understate the outliers SmoothQuant is for.
/// </summary>
internal sealed record ChannelAbsMaxStatistic(long Channels) : TensorStatistic
{
    public override IReadOnlyList<string> Instrument(ModelInstrumentation model, string tensor)
    {
        var abs = model.Node("Abs", [tensor], "abs");
        var flat = model.Node("Reshape", [abs, model.Constant("channels_shape", [-1, Channels])], "abs_flat");
        return [model.Reduce("ReduceMax", flat, "abs_max", [0])];
    }

    public override IStatisticAccumulator CreateAccumulator(int runs) => new Accumulator();

    private sealed class Accumulator : IStatisticAccumulator
    {
        private float[]? _max;

        public object Result => _max ?? [];

        public void Add(int part, ReadOnlySpan<float> values)
        {
            if (_max is null)
            {
                _max = values.ToArray();
                return;
            }

            for (int c = 0; c < Math.Min(_max.Length, values.Length); c++) _max[c] = Math.Max(_max[c], values[c]);
        }
    }
}
