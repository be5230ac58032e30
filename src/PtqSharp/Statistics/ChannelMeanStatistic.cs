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

    public override IStatisticAccumulator CreateAccumulator(int runs) => new VectorMeanAccumulator();
}
