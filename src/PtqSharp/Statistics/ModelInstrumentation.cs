using Onnx;
using PtqSharp.Onnx;

namespace PtqSharp.Statistics;

/// <summary>
/// A copy of a model with reductions and extra outputs added for statistics: ONNX Runtime returns a
/// tensor only when it is a graph output, and reducing in the graph means a few numbers per sample
/// leave the runtime instead of whole activations. Added names start with <c>__ptq_</c>.
/// </summary>
internal sealed class ModelInstrumentation
{
    private readonly HashSet<string> _outputs;
    private readonly int _opset;
    private int _next;

    public ModelInstrumentation(ModelProto model)
    {
        Model = model.Clone();
        _outputs = Model.Graph.Output.Select(o => o.Name).ToHashSet();
        _opset = (int)(Model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 13);
    }

    /// <summary>The instrumented copy.</summary>
    public ModelProto Model { get; }

    private string Name(string stem) => $"__ptq_{_next++}_{stem}";

    /// <summary>Adds a node with one output (and the attributes <paramref name="attributes"/> sets) and returns the output's name.</summary>
    public string Node(string opType, IEnumerable<string> inputs, string stem, Action<NodeProto>? attributes = null)
    {
        var output = Name(stem);
        var node = new NodeProto { OpType = opType, Name = output, Input = { inputs }, Output = { output } };
        attributes?.Invoke(node);
        Model.Graph.Node.Add(node);
        return output;
    }

    /// <summary>A float constant of shape <paramref name="dims"/>, e.g. a kernel.</summary>
    public string Constant(string stem, long[] dims, float[] values)
    {
        var name = Name(stem);
        Model.Graph.Initializer.Add(TensorData.FromFloats(name, dims, values));
        return name;
    }

    /// <summary>An int64 constant, e.g. a shape for Reshape.</summary>
    public string Constant(string stem, long[] values)
    {
        var name = Name(stem);
        Model.Graph.Initializer.Add(TensorData.Create<long>(name, [values.Length], values, TensorData.Int64));
        return name;
    }

    /// <summary>Reduces over <paramref name="axes"/> without kept dimensions and exposes the result; axes are an attribute before opset 18 and an input from it.</summary>
    public string Reduce(string opType, string input, string stem, long[] axes)
    {
        var output = Name(stem);
        var node = new NodeProto { OpType = opType, Name = output, Input = { input }, Output = { output } };
        node.SetInt("keepdims", 0);
        if (_opset >= 18) node.Input.Add(Constant(stem + "_axes", axes));
        else node.SetInts("axes", axes);
        Model.Graph.Node.Add(node);
        return Expose(output);
    }

    /// <summary>Makes <paramref name="tensor"/> a (float) graph output if it is not one already.</summary>
    public string Expose(string tensor)
    {
        if (_outputs.Add(tensor))
        {
            Model.Graph.Output.Add(new ValueInfoProto { Name = tensor, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = TensorData.Float } } });
        }

        return tensor;
    }
}
