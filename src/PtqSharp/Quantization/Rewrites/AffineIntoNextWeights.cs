using Onnx;
using PtqSharp.Hardware.Metatypes;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization.Rewrites;

/// <summary>
/// A per-input-channel scale or shift right before a weighted op, Mul(x, a) or Add(x, b) with a constant that
/// varies at most along the channel axis, goes into that op: W'[o, c] = a[c] W[o, c], or
/// bias'[o] = bias[o] + sum over c and taps of W[o, c] b[c]. The counterpart of <see cref="AffineIntoWeights"/> for
/// affine ops that follow an activation rather than a convolution (PaddleOCR's learnable affine blocks after a
/// hardswish): the op and the requantization of its output disappear. A shift folds only where every output
/// reads every tap of its kernel (operators.json's "bias_correction" ops, without padding): a zero-padded border
/// would otherwise read b where the original read zero.
/// </summary>
internal sealed class AffineIntoNextWeights : WeightFoldRewrite
{
    public override string Description => "per-channel scale and shift folded into the weights and bias after it";

    /// <summary>Folds the scale or shift that produces <paramref name="op"/>'s input into it (an affine block read backwards: the Add, then the Mul before it).</summary>
    protected override bool TryFold(GraphEditor graph, NodeProto op)
    {
        var m = OperatorMetatypes.For(op);
        if (m.Weight is not { } w || m.Bias is not int biasPort || op.Input.Count <= w.Input || op.Input[0].Length == 0 || graph.IsIgnored(op)) return false;
        if (!graph.Index.IsConstant(op.Input[w.Input]) || graph.Index.Producer(op.Input[0]) is not { } affine) return false;
        if (affine.OpType is not ("Mul" or "Add") || affine.Domain is not ("" or "ai.onnx") || affine.Input.Count != 2 || affine.Output.Count != 1) return false;
        if (graph.IsIgnored(affine) || !graph.OnlyFeeds(affine.Output[0], op) || op.Input.Skip(1).Contains(affine.Output[0])) return false;

        var shape = graph.Shape(op.Input[w.Input]);
        var (outAxis, inAxis) = m.WeightAxes(op, shape.Length);
        // The activation's channels must be the axis the weight's input channels meet (axis 1: NCHW, or Gemm's A without transA).
        if (m.ActivationChannelAxis(op, shape.Length) != 1) return false;
        int groups = m.Groups(op), outChannels = (int)shape[outAxis], groupIn = (int)shape[inAxis];
        // Grouped weights are read as Conv lays them out, [all outputs, inputs per group, ...] (not ConvTranspose's).
        if (groups < 1 || outChannels % groups != 0 || (groups > 1 && outAxis != 0)) return false;
        int channels = groupIn * groups;

        int k = graph.Index.IsConstant(affine.Input[1]) ? 1 : 0;
        if (graph.FloatConstant(affine.Input[k]) is not { } c || graph.Index.IsConstant(affine.Input[1 - k])) return false;
        if (AffineIntoWeights.PerChannel(graph.Shape(affine.Input[k]), c, channels, shape.Length) is not { } v) return false;
        bool shift = affine.OpType == "Add";
        if (shift && (!m.BiasCorrection || op.ExplicitPads() is not { } pads || pads.Any(p => p != 0))) return false;
        // Gemm's alpha and beta would scale the two folds differently.
        if (op.GetFloat("alpha", 1f) != 1f || op.GetFloat("beta", 1f) != 1f) return false;

        var bias = graph.Bias(op, biasPort, outChannels);
        if (bias is null || bias.Length != outChannels) return false;
        // Read last: every weighted op is tried, and most have no affine op before it.
        if (graph.FloatConstant(op.Input[w.Input]) is not { } weight) return false;

        // Weight element i multiplies input channel (group of its output) x (inputs per group) + (its input index in the group).
        var outs = ChannelIndexer.For(shape, outAxis);
        var ins = ChannelIndexer.For(shape, inAxis);
        int outPerGroup = outChannels / groups;
        if (shift)
        {
            var shifted = (float[])bias.Clone();
            for (int i = 0; i < weight.Length; i++)
            {
                int o = outs.Of(i);
                shifted[o] += weight[i] * v[o / outPerGroup * groupIn + ins.Of(i)];
            }

            graph.SetBias(op, biasPort, shifted);
        }
        else
        {
            var scaled = new float[weight.Length];
            for (int i = 0; i < weight.Length; i++) scaled[i] = weight[i] * v[outs.Of(i) / outPerGroup * groupIn + ins.Of(i)];
            op.Input[w.Input] = graph.AddConstant(op.Input[w.Input] + "_folded", shape, scaled);
        }

        op.Input[0] = affine.Input[1 - k];
        graph.Graph.Node.Remove(affine);
        graph.Refresh();
        return true;
    }
}
