using Onnx;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization.Rewrites;

/// <summary>Edits a graph in place: new names that do not collide, constants, node removal; restores a valid order at the end.</summary>
internal sealed class GraphEditor
{
    private readonly UniqueNames _names;
    private readonly IgnoredScopeMatcher? _ignored;

    /// <param name="model">The model to edit in place.</param>
    /// <param name="ignored">Nodes the user keeps as they are: rewrites leave them (and the nodes they would merge them with) alone.</param>
    public GraphEditor(ModelProto model, IgnoredScopeMatcher? ignored = null)
    {
        Model = model;
        _ignored = ignored;
        _names = new UniqueNames(model.Graph);
        Index = new GraphIndex(model.Graph);
    }

    public ModelProto Model { get; }

    public GraphProto Graph => Model.Graph;

    /// <summary>The index as of the last <see cref="Refresh"/>.</summary>
    public GraphIndex Index { get; private set; }

    public void Refresh() => Index = new GraphIndex(Model.Graph);

    /// <summary>Whether the user's ignored scope names this node, so no rewrite may touch it.</summary>
    public bool IsIgnored(NodeProto node) => _ignored?.IsIgnored(node) == true;

    public string Unique(string name) => _names.Next(name);

    /// <summary>A float constant input's values, or null when the input is not a float initializer.</summary>
    public float[]? FloatConstant(string tensor) =>
        tensor.Length > 0 && Index.IsConstant(tensor) && Index.Initializer(tensor) is { } t && TensorData.IsFloat(t.DataType) ? TensorData.ToFloats(t) : null;

    public long[] Shape(string initializer) => TensorData.Shape(Index.Initializer(initializer)!);

    public string AddConstant(string stem, long[] dims, float[] values)
    {
        var name = Unique(stem);
        Graph.Initializer.Add(ScratchFolder.Offload(TensorData.FromFloats(name, dims, values)));
        return name;
    }

    /// <summary>The op's bias values, zeros when it has none (null when the bias is not a float constant).</summary>
    public float[]? Bias(NodeProto op, int biasPort, int channels) =>
        op.Input.Count > biasPort && op.Input[biasPort].Length > 0 ? FloatConstant(op.Input[biasPort]) : new float[channels];

    /// <summary>Gives the op a new bias constant (adding the optional input where it had none).</summary>
    public void SetBias(NodeProto op, int biasPort, float[] values)
    {
        var name = AddConstant((op.Input.Count > biasPort && op.Input[biasPort].Length > 0 ? op.Input[biasPort] : op.Name + "_bias") + "_folded", [values.Length], values);
        while (op.Input.Count <= biasPort) op.Input.Add(string.Empty);
        op.Input[biasPort] = name;
    }

    public NodeProto AddNode(string opType, string name, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = opType, Name = Unique(name), Input = { inputs }, Output = { output } };
        Graph.Node.Add(node);
        return node;
    }

    /// <summary>Whether a tensor is produced by a node and read by exactly that one consumer (and is not a graph output).</summary>
    public bool OnlyFeeds(string tensor, NodeProto consumer) =>
        !Index.GraphOutputs.Contains(tensor) && Index.Consumers(tensor) is [var only] && ReferenceEquals(only.Node, consumer);

    /// <summary>Sorts the nodes topologically and drops initializers nothing reads any more.</summary>
    public void Normalize()
    {
        var sorted = new GraphIndex(Graph).TopologicalOrder.ToList();
        Graph.Node.Clear();
        Graph.Node.AddRange(sorted);
        ConstantWeights.RemoveUnreadInitializers(Graph);
        Refresh();
    }
}
