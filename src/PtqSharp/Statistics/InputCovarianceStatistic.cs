namespace PtqSharp.Statistics;

/// <summary>
/// XᵀX of a MatMul or Gemm input over its last axis (<paramref name="Channels"/> features), summed over positions and
/// averaged over samples: a [Channels, Channels] matrix per tensor, flattened. In the graph: a Reshape to
/// [-1, Channels], a Transpose and a MatMul, so the runtime's GEMM does the work. It is the Hessian of the layer's
/// output error with respect to its weights, which GPTQ rounds against.
/// </summary>
internal sealed record InputCovarianceStatistic(long Channels) : TensorStatistic
{
    public override IReadOnlyList<string> Instrument(ModelInstrumentation model, string tensor)
    {
        var flat = model.Node("Reshape", [tensor, model.Constant("covariance_shape", [-1, Channels])], "covariance_flat");
        var transposed = model.Node("Transpose", [flat], "covariance_transposed"); // no perm: a 2-D tensor's axes swapped
        return [model.Expose(model.Node("MatMul", [transposed, flat], "covariance"))];
    }

    public override IStatisticAccumulator CreateAccumulator(int runs) => new VectorMeanAccumulator();

    /// <summary>Bytes one tensor's accumulator holds (a running sum in double).</summary>
    public long AccumulatorBytes => Channels * Channels * sizeof(double);
}
