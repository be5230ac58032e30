using Onnx;

namespace PtqSharp.Onnx;

/// <summary>Exposes intermediate tensors: ONNX Runtime returns a tensor only when it is a graph output.</summary>
internal static class GraphOutputs
{
    /// <summary>A copy of the model whose outputs also list <paramref name="tensors"/> (float), after its own, which keep their order.</summary>
    public static ModelProto Expose(ModelProto model, IEnumerable<string> tensors)
    {
        var copy = model.Clone();
        var existing = copy.Graph.Output.Select(o => o.Name).ToHashSet();
        foreach (var t in tensors.Where(existing.Add))
        {
            copy.Graph.Output.Add(new ValueInfoProto { Name = t, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = TensorData.Float } } });
        }

        return copy;
    }

    /// <summary>
    /// A copy of the model with <paramref name="tensor"/> as its only output and only the nodes it depends on, so a
    /// session computes nothing else. Models with control flow (subgraphs read outer tensors) keep every node.
    /// </summary>
    public static ModelProto Only(ModelProto model, string tensor)
    {
        var copy = model.Clone();
        var graph = copy.Graph;
        var output = new ValueInfoProto { Name = tensor, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = TensorData.Float } } };
        graph.Output.Clear();
        graph.Output.Add(output);
        if (graph.Node.Any(n => n.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0))) return copy;

        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var n in graph.Node)
        {
            foreach (var o in n.Output.Where(o => o.Length > 0)) producers[o] = n;
        }

        var needed = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<string>([tensor]);
        while (pending.TryPop(out var t))
        {
            if (!producers.TryGetValue(t, out var producer) || !needed.Add(producer)) continue;
            foreach (var i in producer.Input.Where(i => i.Length > 0)) pending.Push(i);
        }

        var kept = graph.Node.Where(needed.Contains).ToList();
        graph.Node.Clear();
        graph.Node.AddRange(kept);
        ConstantWeights.RemoveUnreadInitializers(graph);
        return copy;
    }
}
