using Onnx;
using PtqSharp.Hardware.Metatypes;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization.Rewrites;

/// <summary>
/// A per-output-channel scale and shift right after a weighted op, Mul(y, a) and Add(y, b) with
/// constants or a BatchNormalization that ONNX Runtime did not fold (after a ConvTranspose), goes into
/// the op's weights and bias: W'[o] = a[o] W[o], bias' = a bias + b. The affine op disappears, and with
/// it a float op and its Q/DQ pair between integer kernels (PaddleOCR's learnable affine blocks).
/// </summary>
internal sealed class AffineIntoWeights : WeightFoldRewrite
{
    public override string Description => "per-channel scale and shift folded into the weights and bias before it";

    /// <summary>Folds the scale or shift that consumes <paramref name="op"/>'s output into it (a Mul, then an Add after it).</summary>
    protected override bool TryFold(GraphEditor graph, NodeProto op)
    {
        var m = OperatorMetatypes.For(op);
        if (m.Weight is not { } w || m.Bias is not int biasPort || op.Input.Count <= w.Input || op.Output.Count != 1) return false;
        if (!graph.Index.IsConstant(op.Input[w.Input])) return false;
        if (graph.IsIgnored(op) || graph.Index.Consumers(op.Output[0]) is not [var use] || !graph.OnlyFeeds(op.Output[0], use.Node) || graph.IsIgnored(use.Node)) return false;
        var shape = graph.Shape(op.Input[w.Input]);
        var (outAxis, _) = m.WeightAxes(op, shape.Length);
        if (m.Groups(op) != 1 && outAxis != 0) return false;
        int channels = (int)shape[outAxis];
        if (Affine(graph, use.Node, op.Output[0], channels, shape.Length) is not var (scale, shift)) return false;

        var bias = graph.Bias(op, biasPort, channels);
        if (bias is null || bias.Length != channels) return false;
        // Read last: every weighted op is tried, and most have no affine op to take.
        if (graph.FloatConstant(op.Input[w.Input]) is not { } weight) return false;

        var rows = ChannelIndexer.For(shape, outAxis);
        var scaled = new float[weight.Length];
        for (int i = 0; i < weight.Length; i++) scaled[i] = weight[i] * scale[rows.Of(i)];
        var shifted = bias.Select((b, c) => b * scale[c] + shift[c]).ToArray();
        op.Input[w.Input] = graph.AddConstant(op.Input[w.Input] + "_folded", shape, scaled);
        graph.SetBias(op, biasPort, shifted);
        op.Output[0] = use.Node.Output[0];
        graph.Graph.Node.Remove(use.Node);

        // The new weight and bias initializers must be visible to the next fold.
        graph.Refresh();
        return true;
    }

    /// <summary>The per-channel (scale, shift) the op applies to <paramref name="input"/>'s channels (axis 1), or null when it is not one.</summary>
    private static (float[] Scale, float[] Shift)? Affine(GraphEditor graph, NodeProto node, string input, int channels, int rank)
    {
        if (node.Domain is not ("" or "ai.onnx")) return null;
        switch (node.OpType)
        {
            case "Mul" or "Add" when node.Input.Count == 2:
                {
                    var other = node.Input[0] == input ? node.Input[1] : node.Input[0];
                    if (graph.FloatConstant(other) is not { } c || PerChannel(graph.Shape(other), c, channels, rank) is not { } v) return null;
                    return node.OpType == "Mul" ? (v, new float[channels]) : (Enumerable.Repeat(1f, channels).ToArray(), v);
                }

            case "BatchNormalization" when node.Input[0] == input && node.Input.Count == 5 && node.Output.Count == 1:
                {
                    var p = node.Input.Skip(1).Select(graph.FloatConstant).ToList();
                    if (p.Any(v => v is null || v.Length != channels)) return null;
                    float eps = node.GetFloat("epsilon", 1e-5f);
                    var scale = new float[channels];
                    var shift = new float[channels];
                    for (int c = 0; c < channels; c++)
                    {
                        // y = gamma (x - mean) / sqrt(var + eps) + beta
                        scale[c] = p[0]![c] / MathF.Sqrt(p[3]![c] + eps);
                        shift[c] = p[1]![c] - p[2]![c] * scale[c];
                    }

                    return (scale, shift);
                }

            default:
                return null;
        }
    }

    /// <summary>A constant that varies at most along axis 1 of the op's rank-<paramref name="rank"/> output (shape [C,1,1] or [1,C,1,1] for 4-D, [C] for 2-D, or a scalar), as one value per channel.</summary>
    internal static float[]? PerChannel(long[] shape, float[] values, int channels, int rank)
    {
        if (values.Length == 1) return Enumerable.Repeat(values[0], channels).ToArray();
        if (values.Length != channels) return null;
        var nonUnit = shape.Select((d, i) => (d, i)).Where(x => x.d != 1).ToList();
        if (nonUnit.Count != 1) return null;
        // Broadcasting aligns from the right: C must land on axis 1, rank - 1 places from the end.
        return shape.Length - nonUnit[0].i == rank - 1 ? values : null;
    }
}
