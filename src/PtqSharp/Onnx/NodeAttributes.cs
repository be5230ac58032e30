using Onnx;

namespace PtqSharp.Onnx;

/// <summary>Typed access to node attributes.</summary>
internal static class NodeAttributes
{
    public static AttributeProto? Find(this NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    public static long GetInt(this NodeProto node, string name, long fallback) => node.Find(name)?.I ?? fallback;

    public static float GetFloat(this NodeProto node, string name, float fallback) => node.Find(name)?.F ?? fallback;

    public static long[]? GetInts(this NodeProto node, string name) => node.Find(name)?.Ints.ToArray();

    /// <summary>
    /// A Conv-like op's explicit pads: its "pads", or none for VALID or when absent (an empty array means no padding);
    /// null for SAME_UPPER and SAME_LOWER, whose pads depend on the input size and the strides.
    /// </summary>
    public static long[]? ExplicitPads(this NodeProto node) =>
        (node.Find("auto_pad")?.S.ToStringUtf8() ?? "NOTSET") switch
        {
            "NOTSET" => node.GetInts("pads") ?? [],
            "VALID" => [],
            _ => null,
        };

    public static void SetInt(this NodeProto node, string name, long value)
    {
        node.Remove(name);
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });
    }

    public static void SetFloat(this NodeProto node, string name, float value)
    {
        node.Remove(name);
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });
    }

    public static void SetInts(this NodeProto node, string name, IEnumerable<long> values)
    {
        node.Remove(name);
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        node.Attribute.Add(a);
    }

    public static void Remove(this NodeProto node, string name)
    {
        var a = node.Find(name);
        if (a is not null) node.Attribute.Remove(a);
    }

    /// <summary>A readable label for messages: the node name, or its op type and first output if unnamed.</summary>
    public static string Label(this NodeProto node) =>
        node.Name.Length > 0 ? $"'{node.Name}' ({node.OpType})" : $"{node.OpType} producing '{node.Output.FirstOrDefault()}'";
}
