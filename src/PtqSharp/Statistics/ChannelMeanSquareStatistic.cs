namespace PtqSharp.Statistics;

/// <summary>
/// The mean of x² for each channel of the last axis (the input features of a MatMul or Gemm), over every position and
/// sample; a float[] per tensor. In the graph: Mul(x, x), a Reshape to [-1, <paramref name="Channels"/>] and a
/// ReduceMean over axis 0. It is the diagonal of XᵀX / n: how much each input feature weighs in the layer's output,
/// so a weight's error can be weighted by the activations that multiply it.
/// </summary>
internal sealed record ChannelMeanSquareStatistic(long Channels) : TensorStatistic
{
    public override IReadOnlyList<string> Instrument(ModelInstrumentation model, string tensor)
    {
        var square = model.Node("Mul", [tensor, tensor], "square");
        var flat = model.Node("Reshape", [square, model.Constant("square_shape", [-1, Channels])], "square_flat");
        return [model.Reduce("ReduceMean", flat, "mean_square", [0])];
    }

    public override IStatisticAccumulator CreateAccumulator(int runs) => new VectorMeanAccumulator();
}
