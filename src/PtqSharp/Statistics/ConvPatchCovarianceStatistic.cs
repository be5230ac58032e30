using PtqSharp.Onnx;

namespace PtqSharp.Statistics;

/// <summary>
/// PᵀP of a 2-D Conv's input patches (im2col: each output position's receptive field, <c>K = InChannels x
/// KernelH x KernelW</c> values), summed over positions and averaged over samples: a [K, K] matrix, flattened. It is
/// the Hessian of the Conv's output error with respect to one output channel's weights, which GPTQ rounds against.
/// In the graph: a Conv with one-hot kernels (output channel k copies patch element k) turns the input into its
/// patches, then a Transpose, a Reshape to [K, -1] and a MatMul with its transpose, so the runtime does the work.
/// </summary>
/// <param name="Geometry">The Conv's kernel, strides, pads and dilations, and the position stride.</param>
internal sealed record ConvPatchCovarianceStatistic(ConvGeometry Geometry) : TensorStatistic
{
    public override IReadOnlyList<string> Instrument(ModelInstrumentation model, string tensor)
    {
        var g = Geometry;
        int k = g.PatchSize;

        // Kernel [K, C, kh, kw] with a single 1 per output channel, at that channel's patch element (c, i, j).
        var kernel = new float[(long)k * k];
        for (int e = 0; e < k; e++) kernel[(long)e * k + e] = 1f;
        var weights = model.Constant("patch_kernel", [k, g.InChannels, g.KernelH, g.KernelW], kernel);

        // Positions every Subsample-th along each axis: the patches are exact, only fewer of them.
        var patches = model.Node("Conv", [tensor, weights], "patches", node =>
        {
            node.SetInts("kernel_shape", [g.KernelH, g.KernelW]);
            node.SetInts("strides", [g.StrideH * g.Subsample, g.StrideW * g.Subsample]);
            node.SetInts("pads", [g.PadTop, g.PadLeft, g.PadBottom, g.PadRight]);
            node.SetInts("dilations", [g.DilationH, g.DilationW]);
        });
        var channelsFirst = model.Node("Transpose", [patches], "patches_by_element", node => node.SetInts("perm", [1, 0, 2, 3]));
        var flat = model.Node("Reshape", [channelsFirst, model.Constant("patches_shape", [k, -1])], "patches_flat");
        var transposed = model.Node("Transpose", [flat], "patches_transposed"); // no perm: a 2-D tensor's axes swapped
        return [model.Expose(model.Node("MatMul", [flat, transposed], "patch_covariance"))];
    }

    public override IStatisticAccumulator CreateAccumulator(int runs) => new VectorMeanAccumulator();
}
