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

    /// <summary>
    /// Adds, for each tensor, the mean over every axis but axis 1 (the channels of NCHW activations and
    /// the features of [M, K] Gemm inputs): a Reshape to [N, C, -1], which needs no rank, then a
    /// ReduceMean over axes 0 and 2. Returns the output name per tensor.
    /// </summary>
    public static IReadOnlyList<(string Tensor, string MeanOutput)> AddChannelMeans(ModelProto model, IReadOnlyList<string> tensors)
    {
        var outputs = new List<(string, string)>(tensors.Count);
        if (tensors.Count == 0) return outputs;
        const string shape = "__ptq_mean_shape";
        model.Graph.Initializer.Add(Onnx.TensorData.Create<long>(shape, [3], [0, 0, -1], Onnx.TensorData.Int64));
        for (int i = 0; i < tensors.Count; i++)
        {
            string flat = $"__ptq_mean_{i}_flat", mean = $"__ptq_mean_{i}";
            model.Graph.Node.Add(new NodeProto { OpType = "Reshape", Name = flat, Input = { tensors[i], shape }, Output = { flat } });
            AddReduction(model, "ReduceMean", flat, mean, [0, 2]);
            outputs.Add((tensors[i], mean));
        }

        return outputs;
    }

    /// <summary>
    /// Adds <paramref name="op"/> (ReduceMean, ReduceMax, ...) over <paramref name="axes"/> without kept
    /// dimensions as a graph output; the axes are an attribute before opset 18 and an input from it.
    /// </summary>
    public static void AddReduction(ModelProto model, string op, string input, string output, long[] axes)
    {
        int opset = (int)(model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 13);
        var reduce = new NodeProto { OpType = op, Name = output, Input = { input }, Output = { output } };
        reduce.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        if (opset >= 18)
        {
            model.Graph.Initializer.Add(Onnx.TensorData.Create<long>(output + "_axes", [axes.Length], axes, Onnx.TensorData.Int64));
            reduce.Input.Add(output + "_axes");
        }
        else
        {
            reduce.Attribute.Add(new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints, Ints = { axes } });
        }

        model.Graph.Node.Add(reduce);
        model.Graph.Output.Add(new ValueInfoProto { Name = output });
    }

    private static NodeProto Reduce(string op, string input, string output)
    {
        // No axes: reduce over every dimension, valid from opset 1 through 18+.
        var node = new NodeProto { OpType = op, Name = output, Input = { input }, Output = { output } };
        node.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        return node;
    }
}
