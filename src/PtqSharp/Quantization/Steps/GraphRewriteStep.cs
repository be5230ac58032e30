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
    private static readonly GraphRewrite[] Rewrites = [new AffineIntoWeights(), new DivideByConstant(), new HardSigmoidAsClip(), new AffineIntoNextWeights()];

    public override string Name => "graph rewrites";

    public override void Apply(PipelineState state, StatisticsContainer statistics, StatisticsEngine engine)
    {
        var graph = new GraphEditor(state.Model, state.Ignored);
        foreach (var rewrite in Rewrites)
        {
            int count = rewrite.Apply(graph);
            graph.Normalize();
            if (count > 0) state.Rewrites.Add(new GraphRewriteCount(rewrite.Description, count));
        }

        state.ModelChanged();
    }
}
