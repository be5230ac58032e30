using Onnx;

namespace PtqSharp.Onnx;

/// <summary>
/// Names for the nodes, tensors and initializers a rewrite adds, colliding with nothing in the graph
/// (node names and outputs, initializers, inputs) or handed out before: the stem, else stem_1, stem_2, ...
/// </summary>
internal sealed class UniqueNames(GraphProto graph)
{
    private readonly HashSet<string> _taken =
        graph.Node.SelectMany(n => n.Output.Append(n.Name)).Concat(graph.Initializer.Select(i => i.Name)).Concat(graph.Input.Select(i => i.Name)).ToHashSet();

    public string Next(string stem)
    {
        var candidate = stem;
        for (int i = 1; !_taken.Add(candidate); i++) candidate = $"{stem}_{i}";
        return candidate;
    }
}
