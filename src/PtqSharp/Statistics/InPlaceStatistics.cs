using Onnx;

namespace PtqSharp.Statistics;

/// <summary>
/// Adds ReduceMin/ReduceMax nodes for the tensors to observe, so ONNX Runtime returns two scalars per
/// tensor instead of whole activations: calibration memory stays flat in the number of tensors and
/// samples, and no activation is copied out of the runtime.
/// </summary>
internal static class InPlaceStatistics
{
    public static (ModelProto Model, IReadOnlyList<(string Tensor, string MinOutput, string MaxOutput)> Outputs) Instrument(
        ModelProto model, IReadOnlyList<string> tensors)
    {
        var copy = model.Clone();
        var graph = copy.Graph;
        var outputs = new List<(string, string, string)>(tensors.Count);
        for (int i = 0; i < tensors.Count; i++)
        {
            string min = $"__ptq_stat_{i}_min", max = $"__ptq_stat_{i}_max";
            graph.Node.Add(Reduce("ReduceMin", tensors[i], min));
            graph.Node.Add(Reduce("ReduceMax", tensors[i], max));
            graph.Output.Add(new ValueInfoProto { Name = min });
            graph.Output.Add(new ValueInfoProto { Name = max });
            outputs.Add((tensors[i], min, max));
        }

        return (copy, outputs);
    }

    private static NodeProto Reduce(string op, string input, string output)
    {
        // No axes: reduce over every dimension, valid from opset 1 through 18+.
        var node = new NodeProto { OpType = op, Name = output, Input = { input }, Output = { output } };
        node.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        return node;
    }
}
