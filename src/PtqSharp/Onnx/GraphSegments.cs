using Onnx;

namespace PtqSharp.Onnx;

/// <summary>
/// A model cut into consecutive pieces, for passes that run it piece by piece over the same samples and keep what
/// crosses each cut instead of running everything before it again. The nodes that depend on a graph input are
/// numbered in topological order (their positions); the nodes that do not (a weight's DequantizeLinear, a Constant)
/// belong to no position and are copied into each piece that reads them.
/// </summary>
internal sealed class GraphSegments
{
    private readonly ModelProto _model;
    private readonly List<NodeProto> _nodes = [];
    private readonly Dictionary<string, NodeProto> _fixedProducers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _producedAt = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _lastReadAt = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ValueInfoProto> _graphInputs;

    private GraphSegments(ModelProto model, IReadOnlyList<NodeProto> order)
    {
        _model = model;
        var initializers = model.Graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        _graphInputs = model.Graph.Input.Where(i => !initializers.Contains(i.Name)).ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var name in _graphInputs.Keys) _producedAt[name] = -1;

        foreach (var node in order)
        {
            bool dynamic = node.Input.Any(_producedAt.ContainsKey);
            foreach (var output in node.Output.Where(o => o.Length > 0))
            {
                if (dynamic) _producedAt[output] = _nodes.Count;
                else _fixedProducers[output] = node;
            }

            if (!dynamic) continue;
            foreach (var input in node.Input.Where(_producedAt.ContainsKey)) _lastReadAt[input] = _nodes.Count;
            _nodes.Add(node);
        }
    }

    /// <summary>The model's pieces, or null for a model with control flow (its subgraphs read outer tensors by name).</summary>
    public static GraphSegments? TryCreate(ModelProto model) =>
        model.Graph.Node.Any(n => n.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0))
            ? null
            : new GraphSegments(model, new GraphIndex(model.Graph).TopologicalOrder.ToList());

    /// <summary>The input-dependent nodes by position.</summary>
    public IReadOnlyList<NodeProto> Nodes => _nodes;

    /// <summary>Whether <paramref name="tensor"/> is one of the model's own inputs (not an initializer listed as one).</summary>
    public bool IsGraphInput(string tensor) => _graphInputs.ContainsKey(tensor);

    /// <summary>The position of the input-dependent node named <paramref name="name"/>, or -1.</summary>
    public int PositionOf(string name) => _nodes.FindIndex(n => n.Name == name);

    /// <summary>
    /// Where a piece that recomputes the node at <paramref name="position"/> should start: at the DequantizeLinear
    /// nodes that feed it, if they come earlier, so the piece reads their integer input and ONNX Runtime still fuses the
    /// node into its integer kernel.
    /// </summary>
    public int StartFor(int position)
    {
        int start = position;
        foreach (var input in _nodes[position].Input)
        {
            if (_producedAt.TryGetValue(input, out int at) && at >= 0 && _nodes[at].OpType == "DequantizeLinear") start = Math.Min(start, at);
        }

        return start;
    }

    /// <summary>Tensors made at positions in [<paramref name="from"/>, <paramref name="to"/>) that a node at <paramref name="to"/> or later reads.</summary>
    public IReadOnlyList<string> Crossing(int from, int to) =>
        _producedAt.Where(kv => kv.Value >= from && kv.Value < to && _lastReadAt.GetValueOrDefault(kv.Key, -1) >= to).Select(kv => kv.Key).ToList();

    /// <summary>Whether no node at <paramref name="position"/> or later reads <paramref name="tensor"/>.</summary>
    public bool DeadFrom(string tensor, int position) => _lastReadAt.GetValueOrDefault(tensor, -1) < position;

    /// <summary>
    /// The nodes at positions [<paramref name="from"/>, <paramref name="to"/>] as a model, with the fixed nodes and
    /// initializers they read; its inputs are the tensors made before <paramref name="from"/> that they read (typed by
    /// <paramref name="typeOf"/>, graph inputs as declared), its outputs <paramref name="outputs"/> (types left to the
    /// runtime).
    /// </summary>
    public ModelProto Piece(int from, int to, IEnumerable<string> outputs, Func<string, int> typeOf)
    {
        var graph = new GraphProto { Name = _model.Graph.Name };
        var piece = new ModelProto { IrVersion = _model.IrVersion, Graph = graph };
        piece.OpsetImport.AddRange(_model.OpsetImport.Select(o => o.Clone()));

        var made = new HashSet<string>(StringComparer.Ordinal);
        var inputs = new List<string>();
        var fixedNodes = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var read = new HashSet<string>(StringComparer.Ordinal);
        void Need(NodeProto node)
        {
            foreach (var input in node.Input.Where(i => i.Length > 0))
            {
                read.Add(input);
                if (_fixedProducers.TryGetValue(input, out var producer) && fixedNodes.Add(producer)) Need(producer);
            }
        }

        for (int p = from; p <= to; p++)
        {
            Need(_nodes[p]);
            foreach (var input in _nodes[p].Input.Where(i => _producedAt.ContainsKey(i) && !made.Contains(i) && !inputs.Contains(i))) inputs.Add(input);
            foreach (var output in _nodes[p].Output) made.Add(output);
        }

        // Fixed nodes first, in model order: they read only initializers and each other.
        graph.Node.AddRange(_model.Graph.Node.Where(fixedNodes.Contains).Select(n => n.Clone()));
        graph.Node.AddRange(_nodes.Skip(from).Take(to - from + 1).Select(n => n.Clone()));
        graph.Initializer.AddRange(_model.Graph.Initializer.Where(i => read.Contains(i.Name)));
        foreach (var input in inputs)
        {
            graph.Input.Add(_graphInputs.TryGetValue(input, out var declared)
                ? declared.Clone()
                : new ValueInfoProto { Name = input, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = typeOf(input) } } });
        }

        foreach (var output in outputs) graph.Output.Add(new ValueInfoProto { Name = output });
        return piece;
    }
}
