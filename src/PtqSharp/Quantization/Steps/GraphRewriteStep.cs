using PtqSharp.Quantization.Pipeline;
using PtqSharp.Quantization.Rewrites;
using PtqSharp.Statistics;

namespace PtqSharp.Quantization.Steps;

/// <summary>
/// Exact rewrites of the float graph (<see cref="GraphRewrite"/>) that put more of it on integer kernels:
/// structural, before quantizers are placed.
/// </summary>
internal sealed class GraphRewriteStep : QuantizationStep
{
    public override string Name => "graph rewrites";

    public override void Apply(PipelineState state, StatisticsContainer statistics, StatisticsEngine engine)
    {
        var graph = new GraphEditor(state.Model, state.Ignored);
        // Padding goes last: the folds before it leave fewer per-channel constants to pad.
        GraphRewrite[] rewrites = [new AffineIntoWeights(), new DivideByConstant(), new HardSigmoidAsClip(), new AffineIntoNextWeights()];
        if (state.Rules.SwishAsQuickGelu) rewrites = [.. rewrites, new SwishAsQuickGelu()];
        var padding = state.Rules.DepthwiseChannelMultiple > 1 ? new DepthwiseChannelPadding(state.Rules.DepthwiseChannelMultiple) : null;
        if (padding is not null) rewrites = [.. rewrites, padding];
        foreach (var rewrite in rewrites)
        {
            int count = rewrite.Apply(graph);
            graph.Normalize();
            if (count > 0) state.Rewrites.Add(new GraphRewriteCount(rewrite.Description, count));
        }

        if (padding is not null) state.RealChannelShare = padding.RealShare;
        state.ModelChanged();
    }
}
