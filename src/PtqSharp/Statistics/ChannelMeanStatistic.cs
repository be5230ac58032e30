namespace PtqSharp.Statistics;

/// <summary>
/// The mean of each channel (axis 1: the channels of NCHW activations, the features of [M, K] Gemm
/// inputs) over everything else and over the samples; a float[] per tensor. In the graph: a Reshape to
/// [N, C, -1], which needs no rank, then a ReduceMean over axes 0 and 2.
/// </summary>
internal sealed record ChannelMeanStatistic : TensorStatistic
{
    public static readonly ChannelMeanStatistic Instance = new();

    public override IReadOnlyList<string> Instrument(ModelInstrumentation model, string tensor)
    {
        var flat = model.Node("Reshape", [tensor, model.Constant("mean_shape", [0, 0, -1])], "mean_flat");
        return [model.Reduce("ReduceMean", flat, "mean", [0, 2])];
    }

    public override IStatisticAccumulator CreateAccumulator(int runs) => new Accumulator();

    /// <summary>Running mean of equally sized vectors.</summary>
    private sealed class Accumulator : IStatisticAccumulator
    {
        private double[]? _sum;
        private int _count;

        public object Result => _sum is null ? Array.Empty<float>() : _sum.Select(v => (float)(v / _count)).ToArray();

        public void Add(int part, ReadOnlySpan<float> values)
        {
            _sum ??= new double[values.Length];
            if (values.Length != _sum.Length) return; // a sample of another width carries no comparable channel means
            for (int i = 0; i < values.Length; i++) _sum[i] += values[i];
            _count++;
        }
    }
}
