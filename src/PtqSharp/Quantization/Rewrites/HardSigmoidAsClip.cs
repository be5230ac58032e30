using Onnx;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization.Rewrites;

/// <summary>
/// HardSigmoid(x) = clip(alpha x + beta, 0, 1) = alpha clip(x + beta/alpha, 0, 1/alpha): an Add, a Clip
/// and a Mul by a positive constant. ONNX Runtime has no integer HardSigmoid; the Add becomes a
/// QLinearAdd whose output quantizer takes the Clip, and the Mul folds into the scale of the quantizer
/// after it, so hardswish (x * HardSigmoid(x)) and squeeze-and-excitation gates run on integers.
/// Only where the input comes from a quantizable producer, so float regions keep their fused HardSigmoid.
/// </summary>
internal sealed class HardSigmoidAsClip : GraphRewrite
{
    public override string Description => "HardSigmoid as Add, Clip and a scale";

    public override int Apply(GraphEditor graph)
    {
        int count = 0;
        foreach (var node in graph.Graph.Node.Where(n => n.OpType == "HardSigmoid" && n.Domain is "" or "ai.onnx").ToList())
        {
            float alpha = node.GetFloat("alpha", 0.2f), beta = node.GetFloat("beta", 0.5f);
            if (graph.IsIgnored(node) || !(alpha > 0) || !float.IsFinite(beta / alpha) || graph.Index.Producer(node.Input[0]) is null) continue;
            string x = node.Input[0], y = node.Output[0], stem = node.Name.Length > 0 ? node.Name : y;
            string shifted = graph.Unique(stem + "_shifted"), clipped = graph.Unique(stem + "_clipped");
            graph.AddNode("Add", stem + "_add", [x, graph.AddConstant(stem + "_offset", [], [beta / alpha])], shifted);
            graph.AddNode("Clip", stem + "_clip", [shifted, graph.AddConstant(stem + "_min", [], [0f]), graph.AddConstant(stem + "_max", [], [1 / alpha])], clipped);
            node.OpType = "Mul";
            node.Attribute.Clear();
            node.Input.Clear();
            node.Input.Add(clipped);
            node.Input.Add(graph.AddConstant(stem + "_alpha", [], [alpha]));
            count++;
        }

        return count;
    }
}
