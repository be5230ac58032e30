using Onnx;

namespace PtqSharp.Quantization.Rewrites;

/// <summary>
/// A rewrite that folds neighbouring ops into a weighted op, one at a time: each op of the graph takes folds until
/// none is left, so a scale and a shift next to it fold in turn.
/// </summary>
internal abstract class WeightFoldRewrite : GraphRewrite
{
    public sealed override int Apply(GraphEditor graph)
    {
        int count = 0;
        foreach (var op in graph.Graph.Node.ToList())
        {
            while (TryFold(graph, op)) count++;
        }

        return count;
    }

    /// <summary>Folds one neighbour into <paramref name="op"/>, if one folds.</summary>
    protected abstract bool TryFold(GraphEditor graph, NodeProto op);
}
