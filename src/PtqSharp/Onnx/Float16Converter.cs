using Onnx;

namespace PtqSharp.Onnx;

/// <summary>
/// Turns an FP16 model into an FP32 one with the same float16 inputs and outputs: internal tensors
/// and weights become float32 (QuantizeLinear-13 and ONNX Runtime's integer kernels take float32
/// scales), and Cast nodes at the boundary keep the model's interface unchanged for its users.
/// </summary>
internal static class Float16Converter
{
    public static bool HasFloat16(ModelProto model) =>
        model.Graph.Initializer.Any(t => t.DataType == TensorData.Float16)
        || model.Graph.Input.Concat(model.Graph.Output).Any(v => v.Type?.TensorType?.ElemType == TensorData.Float16);

    /// <summary>Converts in place.</summary>
    public static void ToFloat32(ModelProto model)
    {
        var graph = model.Graph;
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet();
        foreach (var t in graph.Initializer.Where(t => t.DataType == TensorData.Float16).ToList())
        {
            Replace(graph.Initializer, t, ScratchFolder.Offload(TensorData.FromFloats(t.Name, t.Dims.ToArray(), TensorData.ToFloats(t)))); // twice the bytes: kept on disk in a run
        }

        foreach (var node in graph.Node)
        {
            foreach (var a in node.Attribute)
            {
                if (a.T is { DataType: TensorData.Float16 } t) a.T = TensorData.FromFloats(t.Name, t.Dims.ToArray(), TensorData.ToFloats(t));
                if (a.Name is "to" or "dtype" && a.I == TensorData.Float16) a.I = TensorData.Float;
            }
        }

        foreach (var vi in graph.ValueInfo.Where(IsFloat16)) vi.Type.TensorType.ElemType = TensorData.Float;

        var casts = new List<NodeProto>();
        foreach (var input in graph.Input.Where(i => IsFloat16(i) && !initializers.Contains(i.Name)))
        {
            var internalName = input.Name + "_fp32";
            foreach (var node in graph.Node)
            {
                for (int i = 0; i < node.Input.Count; i++) if (node.Input[i] == input.Name) node.Input[i] = internalName;
            }

            casts.Add(Cast(input.Name, internalName, TensorData.Float));
        }

        foreach (var output in graph.Output.Where(IsFloat16))
        {
            var internalName = output.Name + "_fp32";
            foreach (var node in graph.Node)
            {
                for (int i = 0; i < node.Output.Count; i++) if (node.Output[i] == output.Name) node.Output[i] = internalName;
                for (int i = 0; i < node.Input.Count; i++) if (node.Input[i] == output.Name) node.Input[i] = internalName;
            }

            casts.Add(Cast(internalName, output.Name, TensorData.Float16));
        }

        foreach (var cast in casts) graph.Node.Insert(cast.Output[0].EndsWith("_fp32", StringComparison.Ordinal) ? 0 : graph.Node.Count, cast);
    }

    private static NodeProto Cast(string input, string output, int to)
    {
        var node = new NodeProto { OpType = "Cast", Name = output + "_Cast", Input = { input }, Output = { output } };
        node.SetInt("to", to);
        return node;
    }

    private static bool IsFloat16(ValueInfoProto v) => v.Type?.TensorType?.ElemType == TensorData.Float16;

    private static void Replace(Google.Protobuf.Collections.RepeatedField<TensorProto> list, TensorProto old, TensorProto replacement) =>
        list[list.IndexOf(old)] = replacement;
}
