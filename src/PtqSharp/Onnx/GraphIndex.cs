using Onnx;

namespace PtqSharp.Onnx;

/// <summary>One consumer of a tensor: the node and which of its inputs reads it.</summary>
internal readonly record struct TensorUse(NodeProto Node, int InputIndex);

/// <summary>
/// A read-only view of a graph: who produces and who consumes each tensor, which tensors are
/// constants, and the nodes in topological order. Build a new one after editing the graph.
/// </summary>
internal sealed class GraphIndex
{
    private readonly Dictionary<string, NodeProto> _producers = new();
    private readonly Dictionary<string, List<TensorUse>> _consumers = new();
    private readonly Dictionary<string, TensorProto> _initializers = new();
    private readonly Dictionary<string, TypeProto> _types = new();

    public GraphIndex(GraphProto graph)
    {
        Graph = graph;
        foreach (var init in graph.Initializer) _initializers[init.Name] = init;

        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                if (output.Length > 0) _producers[output] = node;
            }

            for (int i = 0; i < node.Input.Count; i++)
            {
                var input = node.Input[i];
                if (input.Length == 0) continue;
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = new List<TensorUse>();
                list.Add(new TensorUse(node, i));
            }
        }

        foreach (var vi in graph.Input.Concat(graph.ValueInfo).Concat(graph.Output))
        {
            if (vi.Type is not null) _types[vi.Name] = vi.Type;
        }

        GraphInputs = graph.Input.Select(i => i.Name).Where(n => !_initializers.ContainsKey(n)).ToHashSet();
        GraphOutputs = graph.Output.Select(o => o.Name).ToHashSet();
        TopologicalOrder = Sort(graph);
    }

    public GraphProto Graph { get; }

    /// <summary>Names of real inputs (initializers listed as inputs excluded).</summary>
    public IReadOnlySet<string> GraphInputs { get; }

    public IReadOnlySet<string> GraphOutputs { get; }

    public IReadOnlyList<NodeProto> TopologicalOrder { get; }

    public NodeProto? Producer(string tensor) => _producers.GetValueOrDefault(tensor);

    public IReadOnlyList<TensorUse> Consumers(string tensor) =>
        _consumers.TryGetValue(tensor, out var list) ? list : Array.Empty<TensorUse>();

    public TensorProto? Initializer(string tensor) => _initializers.GetValueOrDefault(tensor);

    /// <summary>A constant is an initializer that is not overridable as a graph input.</summary>
    public bool IsConstant(string tensor) => _initializers.ContainsKey(tensor) && !GraphInputs.Contains(tensor);

    /// <summary>The element type of a tensor if the graph records it (inputs, outputs, value_info, initializers), else null.</summary>
    public int? ElementType(string tensor)
    {
        if (_initializers.TryGetValue(tensor, out var init)) return init.DataType;
        if (_types.TryGetValue(tensor, out var type) && type.TensorType is not null && type.TensorType.ElemType != 0) return type.TensorType.ElemType;
        return null;
    }

    public TensorShapeProto? Shape(string tensor) =>
        _types.TryGetValue(tensor, out var type) ? type.TensorType?.Shape : null;

    private static List<NodeProto> Sort(GraphProto graph)
    {
        // Kahn's algorithm keyed on tensor availability; stable with respect to file order.
        var available = new HashSet<string>(graph.Input.Select(i => i.Name).Concat(graph.Initializer.Select(i => i.Name))) { string.Empty };
        var pending = new List<NodeProto>(graph.Node);
        var order = new List<NodeProto>(pending.Count);
        while (pending.Count > 0)
        {
            int before = order.Count;
            var next = new List<NodeProto>();
            foreach (var node in pending)
            {
                if (node.Input.All(available.Contains))
                {
                    order.Add(node);
                    foreach (var o in node.Output) available.Add(o);
                }
                else
                {
                    next.Add(node);
                }
            }

            if (order.Count == before)
            {
                var stuck = next[0];
                var missing = stuck.Input.First(i => !available.Contains(i));
                ThrowHelper.Throw($"Node '{stuck.Name}' ({stuck.OpType}) reads tensor '{missing}', which no node, input or initializer provides (or the graph has a cycle).");
            }

            pending = next;
        }

        return order;
    }
}
