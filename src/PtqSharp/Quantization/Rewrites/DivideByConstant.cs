using PtqSharp.Onnx;

namespace PtqSharp.Quantization.Rewrites;

/// <summary>
/// x / c with a constant c becomes x * (1/c), and x - c becomes x + (-c): ONNX Runtime has integer
/// kernels for Mul and Add, not for Div and Sub (hardswish spelled out as x * clip(x + 3, 0, 6) / 6).
/// </summary>
internal sealed class DivideByConstant : GraphRewrite
{
    public override string Description => "division by a constant as multiplication, subtraction as addition";

    public override int Apply(GraphEditor graph)
    {
        int count = 0;
        foreach (var node in graph.Graph.Node.Where(n => n.OpType is "Div" or "Sub" && n.Domain is "" or "ai.onnx" && n.Input.Count == 2).ToList())
        {
            if (graph.IsIgnored(node) || graph.FloatConstant(node.Input[1]) is not { } c) continue;
            bool divide = node.OpType == "Div";
            if (divide && !c.All(v => v != 0 && float.IsFinite(1 / v))) continue;
            var replaced = c.Select(v => divide ? 1 / v : -v).ToArray();
            node.Input[1] = graph.AddConstant(node.Input[1] + (divide ? "_reciprocal" : "_negated"), graph.Shape(node.Input[1]), replaced);
            node.OpType = divide ? "Mul" : "Add";
            count++;
        }

        return count;
    }
}
