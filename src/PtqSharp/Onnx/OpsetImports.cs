using Onnx;

namespace PtqSharp.Onnx;

/// <summary>
/// Opset imports as the written graph needs them. ONNX Runtime's optimizer adds an import for every
/// domain it knows (training, preview, NCHWc, ...); a model keeps only those its nodes and functions use.
/// </summary>
internal static class OpsetImports
{
    /// <summary>ONNX Runtime's contrib operators (MatMulNBits, DynamicQuantizeLSTM, 16-bit QuantizeLinear, ...).</summary>
    public const string Microsoft = "com.microsoft";

    /// <summary>Imports <paramref name="domain"/> (version 1) unless the model already does.</summary>
    public static void Require(ModelProto model, string domain)
    {
        if (model.OpsetImport.All(o => o.Domain != domain)) model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = 1 });
    }

    public static void KeepUsed(ModelProto model)
    {
        var used = new HashSet<string>(StringComparer.Ordinal) { "", "ai.onnx" };
        foreach (var node in Nodes(model.Graph).Concat(model.Functions.SelectMany(f => f.Node.SelectMany(NodeAndSubgraphs)))) used.Add(node.Domain);
        foreach (var function in model.Functions) used.Add(function.Domain);
        var kept = model.OpsetImport.Where(o => used.Contains(o.Domain)).ToList();
        model.OpsetImport.Clear();
        model.OpsetImport.Add(kept);
    }

    private static IEnumerable<NodeProto> Nodes(GraphProto graph) => graph.Node.SelectMany(NodeAndSubgraphs);

    private static IEnumerable<NodeProto> NodeAndSubgraphs(NodeProto node) =>
        node.Attribute.SelectMany(a => a.G is { } g ? [g] : a.Graphs).SelectMany(Nodes).Prepend(node);
}
