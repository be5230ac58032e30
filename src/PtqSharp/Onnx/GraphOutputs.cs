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
}
