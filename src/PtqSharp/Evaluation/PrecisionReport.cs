using Onnx;
using PtqSharp.Onnx;

namespace PtqSharp.Evaluation;

/// <summary>
/// Which integer types a QDQ model actually feeds each op type, read from the written graph: e.g.
/// Conv "a u8 / w i8 per-channel". Shows that a device's rules were followed.
/// </summary>
/// <param name="ByOpType">Per op type, the types its inputs read, e.g. "a u8, w i8 per-channel".</param>
public sealed record PrecisionReport(IReadOnlyDictionary<string, string> ByOpType)
{
    /// <param name="model">A QDQ model.</param>
    /// <param name="opTypes">The op types to report, e.g. those the device quantizes; data-movement ops that merely pass integers on are left out.</param>
    public static PrecisionReport For(OnnxModel model, IEnumerable<string> opTypes) => For(model.Proto, opTypes);

    internal static PrecisionReport For(ModelProto model, IEnumerable<string> opTypes)
    {
        var index = new GraphIndex(model.Graph);
        var wanted = opTypes.ToHashSet();
        var result = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var node in model.Graph.Node.Where(n => wanted.Contains(n.OpType)))
        {
            var parts = new List<string>();
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (index.Producer(node.Input[i]) is not { OpType: "DequantizeLinear" } dq) continue;
                var zeroPoint = dq.Input.Count > 2 ? index.Initializer(dq.Input[2]) : null;
                string type = zeroPoint is null ? "?" : Short(zeroPoint.DataType);
                bool weight = index.Initializer(dq.Input[0]) is not null;
                if (type == "i32") continue; // bias
                parts.Add(weight ? $"w {type}{(dq.Attribute.Any(a => a.Name == "axis") && index.Initializer(dq.Input[1])!.Dims.Count == 1 ? " per-channel" : "")}" : $"a {type}");
            }

            if (parts.Count == 0) continue;
            if (!result.TryGetValue(node.OpType, out var set)) result[node.OpType] = set = new SortedSet<string>(StringComparer.Ordinal);
            set.Add(string.Join(", ", parts.Distinct()));
        }

        return new PrecisionReport(result.ToDictionary(kv => kv.Key, kv => string.Join(" | ", kv.Value)));
    }

    /// <summary>e.g. "Conv a u8, w i8 per-channel; Add a u8".</summary>
    public override string ToString() => string.Join("; ", ByOpType.Select(kv => $"{kv.Key} {kv.Value}"));

    private static string Short(int dataType) => dataType switch
    {
        TensorData.UInt8 => "u8",
        TensorData.Int8 => "i8",
        TensorData.Int16 => "i16",
        TensorData.UInt16 => "u16",
        TensorData.Int32 => "i32",
        _ => "?",
    };
}
