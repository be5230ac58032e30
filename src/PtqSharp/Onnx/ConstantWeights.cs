using Onnx;

namespace PtqSharp.Onnx;

/// <summary>
/// Weights as real models store them: initializers, or the value of a Constant node. Rewrites that replace a weight
/// with another encoding read it here and drop the float original here once nothing reads it.
/// </summary>
internal static class ConstantWeights
{
    /// <summary>The constant value of <paramref name="name"/>: an initializer, or a Constant node's value; null for a computed tensor.</summary>
    public static TensorProto? Value(GraphIndex index, string name) =>
        index.Initializer(name) ?? (index.Producer(name) is { OpType: "Constant" } constant ? constant.Attribute.FirstOrDefault(a => a.Name == "value")?.T : null);

    /// <summary>Drops every initializer nothing reads any more, and its entry among the graph inputs (IR 3 models list them there).</summary>
    public static void RemoveUnreadInitializers(GraphProto graph) => RemoveUnread(graph, graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal));

    /// <summary>Drops those of <paramref name="names"/> that nothing reads any more (initializers, Constant nodes, their graph inputs); a weight still read elsewhere stays.</summary>
    public static void RemoveUnread(GraphProto graph, IReadOnlySet<string> names)
    {
        var read = graph.Node.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        bool Unread(string name) => names.Contains(name) && !read.Contains(name);
        foreach (var init in graph.Initializer.Where(i => Unread(i.Name)).ToList()) graph.Initializer.Remove(init);
        foreach (var constant in graph.Node.Where(n => n.OpType == "Constant" && n.Output.Count == 1 && Unread(n.Output[0])).ToList()) graph.Node.Remove(constant);
        foreach (var input in graph.Input.Where(i => Unread(i.Name)).ToList()) graph.Input.Remove(input);
    }
}
