using Onnx;
using PtqSharp.Hardware;
using PtqSharp.Hardware.Metatypes;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization;

/// <summary>
/// Decides where quantizers go so that ONNX Runtime can fuse them into integer kernels:
/// <list type="bullet">
/// <item>inputs of quantizable ops (per the device rules) get activation quantizers, constant weights get weight quantizers;</item>
/// <item>outputs of ops with integer-output kernels (Conv, Add, pools) are quantized after any Relu/Clip that directly follows, which the runtime then folds away;</item>
/// <item>ops that only move data (MaxPool, Reshape, ...) carry their input's quantizer to their output with the same scale, so the runtime can drop the Q/DQ pair around them;</item>
/// <item>Concat inputs and output share one scale.</item>
/// </list>
/// </summary>
internal static class QuantizerPlacement
{
    public static QuantizationPlan Plan(GraphIndex index, HardwareConfig rules, IgnoredScopeMatcher ignored)
    {
        var candidates = new List<(NodeProto Node, QuantizedOp? Op, OperationRule? Rule, string? Reason, bool Foldable)>();
        var skipped = new List<SkippedOp>();
        foreach (var node in index.TopologicalOrder)
        {
            bool foldable = ScaleFactor(index, node) is not null && !ignored.IsIgnored(node);
            if (node.Domain is not ("" or "ai.onnx") || !rules.Operations.TryGetValue(node.OpType, out var rule))
            {
                if (foldable) candidates.Add((node, null, null, null, true));
                continue;
            }

            if (ignored.IsIgnored(node))
            {
                skipped.Add(new SkippedOp(node, "in the ignored scope"));
                continue;
            }

            var op = TryQuantize(index, rules, node, rule, out var reason);
            if (op is not null || foldable) candidates.Add((node, op, rule, reason, foldable));
            else skipped.Add(new SkippedOp(node, reason!));
        }

        var floatInputs = FloatInputs(index, candidates.Where(c => c.Op is not null).Select(c => (c.Op!, c.Rule!)).ToList());
        var ops = new List<QuantizedOp>();
        var groups = new UnionFind();
        var scaled = new Dictionary<string, ScaledTensor>();
        foreach (var (node, candidate, rule, reason, foldable) in candidates)
        {
            // A Mul by a positive constant after a quantized tensor needs no kernel: the quantizer's scale takes the factor.
            if (foldable && ScaleFactor(index, node) is var (input, factor) && (groups.Contains(input) || scaled.ContainsKey(input)))
            {
                var source = scaled.TryGetValue(input, out var upstream) ? upstream : null;
                scaled[node.Output[0]] = new ScaledTensor(node, source?.Source ?? input, node.Output[0], factor * (source?.Factor ?? 1f));
                continue;
            }

            if (candidate is null)
            {
                if (rule is not null) skipped.Add(new SkippedOp(node, reason!));
                continue;
            }

            var op = candidate;
            foreach (var t in op.ActivationInputs.Where(t => !scaled.ContainsKey(t))) groups.Add(t);
            if (rule!.SharedScale)
            {
                foreach (var t in op.ActivationInputs.Skip(1).Where(t => !scaled.ContainsKey(t) && !scaled.ContainsKey(op.ActivationInputs[0]))) groups.Union(op.ActivationInputs[0], t);
            }

            // An output quantizer serves consumers that read integers; none is needed when every
            // consumer must read float (CPU_SPR's second Add input).
            var tail = rule.QuantizeOutput ? FusionTail(index, rules, ignored, node.Output[0]) : null;
            if (tail is not null && (index.GraphOutputs.Contains(tail) || index.Consumers(tail).Any(u => !floatInputs.Contains((u.Node, u.InputIndex)))))
            {
                groups.Add(tail);
                if (rule.SharedScale && !scaled.ContainsKey(op.ActivationInputs[0])) groups.Union(op.ActivationInputs[0], tail);
                op = op with { OutputTensor = tail };
            }

            ops.Add(op);
        }

        // Carry quantization through data-movement ops, in topological order so chains propagate.
        foreach (var node in index.TopologicalOrder)
        {
            if (!rules.PassThrough.Contains(node.OpType) || node.Domain is not ("" or "ai.onnx") || ignored.IsIgnored(node)) continue;
            if (node.Input.Count == 0 || !groups.Contains(node.Input[0])) continue;
            foreach (var output in node.Output.Where(o => o.Length > 0 && IsFloat(index, o)))
            {
                groups.Add(output);
                groups.Union(node.Input[0], output);
            }
        }

        var firstLayers = FirstWeightedLayers(index, ops);
        return new QuantizationPlan(ops, groups.Groups().Select(g => new ActivationGroup(g)).ToList(), firstLayers, skipped) { FloatInputs = floatInputs, Scaled = scaled.Values.ToList() };
    }

    /// <summary>Activation inputs of quantized ops that their rule leaves out: they read float even where the tensor is quantized.</summary>
    private static HashSet<(NodeProto, int)> FloatInputs(GraphIndex index, List<(QuantizedOp Op, OperationRule Rule)> ops)
    {
        var result = new HashSet<(NodeProto, int)>(NodeInputComparer.Instance);
        foreach (var (op, rule) in ops)
        {
            if (rule.Inputs is null) continue;
            for (int i = 0; i < op.Node.Input.Count; i++)
            {
                var t = op.Node.Input[i];
                if (t.Length > 0 && !rule.Inputs.Contains(i) && i != rule.Bias && !index.IsConstant(t)) result.Add((op.Node, i));
            }
        }

        return result;
    }

    private static QuantizedOp? TryQuantize(GraphIndex index, HardwareConfig rules, NodeProto node, OperationRule rule, out string? reason)
    {
        reason = null;
        var inputs = rule.Inputs ?? Enumerable.Range(0, node.Input.Count).ToList();
        if (rule.ActivationsOnly && node.Input.FirstOrDefault(i => i.Length > 0 && index.IsConstant(i)) is { } constant)
        {
            reason = $"input '{constant}' is a constant and this op is quantized only between activations";
            return null;
        }

        var activations = new List<string>();
        var constants = new List<WeightInput>();
        WeightInput? weight = null;
        foreach (int i in inputs)
        {
            if (i >= node.Input.Count || node.Input[i].Length == 0) continue;
            var tensor = node.Input[i];
            if (!IsFloat(index, tensor))
            {
                reason = $"input '{tensor}' is not floating point";
                return null;
            }

            if (index.IsConstant(tensor))
            {
                var metatype = OperatorMetatypes.For(node);
                if (!rule.ActivationsOnly && metatype.Weight is null && rule.QuantizeConstants)
                {
                    constants.Add(new WeightInput(i, tensor, null));
                    continue;
                }

                if (rule.ActivationsOnly || metatype.Weight is null)
                {
                    reason = $"input '{tensor}' is a constant and this op is quantized only between activations";
                    return null;
                }

                weight = new WeightInput(i, tensor, metatype.PerChannelAxis(node, i, index.Initializer(tensor)!.Dims.Count));
            }
            else
            {
                activations.Add(tensor);
            }
        }

        if (activations.Count == 0)
        {
            reason = "it has no activation input";
            return null;
        }

        int? bias = null;
        if (rule.Bias is int b && b < node.Input.Count && node.Input[b].Length > 0 && weight is not null
            && index.Initializer(node.Input[b]) is { } biasTensor && index.IsConstant(node.Input[b]) && biasTensor.Dims.Count == 1
            && TensorData.IsFloat(biasTensor.DataType))
        {
            bias = b;
        }

        return new QuantizedOp(node, activations, weight, bias) { Constants = constants };
    }

    /// <summary>The other input and the factor when the node multiplies by a positive, finite scalar constant.</summary>
    private static (string Input, float Factor)? ScaleFactor(GraphIndex index, NodeProto node)
    {
        if (node.OpType != "Mul" || node.Domain is not ("" or "ai.onnx") || node.Input.Count != 2 || node.Output.Count != 1) return null;
        for (int k = 0; k < 2; k++)
        {
            string constant = node.Input[k], other = node.Input[1 - k];
            if (!index.IsConstant(constant) || index.IsConstant(other) || !IsFloat(index, other)) continue;
            var c = index.Initializer(constant)!;
            if (TensorData.ElementCount(c) != 1 || !TensorData.IsFloat(c.DataType)) continue;
            float factor = TensorData.ToFloats(c)[0];
            if (factor > 0 && float.IsFinite(factor)) return (other, factor);
        }

        return null;
    }

    /// <summary>The tensor to quantize for an op's output: after Relu/Clip that only it feeds, so the runtime folds them into the integer kernel.</summary>
    private static string FusionTail(GraphIndex index, HardwareConfig rules, IgnoredScopeMatcher ignored, string tensor)
    {
        while (!index.GraphOutputs.Contains(tensor))
        {
            var uses = index.Consumers(tensor);
            if (uses.Count != 1) break;
            var next = uses[0].Node;
            if (!rules.FusableActivations.Contains(next.OpType) || ignored.IsIgnored(next) || uses[0].InputIndex != 0) break;
            if (OperatorMetatypes.For(next).ParameterInputs.Any(i => i < next.Input.Count && next.Input[i].Length > 0 && !index.IsConstant(next.Input[i]))) break;
            tensor = next.Output[0];
        }

        return tensor;
    }

    /// <summary>Quantized weighted ops with no weighted op upstream: they see the raw model input.</summary>
    private static HashSet<NodeProto> FirstWeightedLayers(GraphIndex index, List<QuantizedOp> ops)
    {
        var memo = new Dictionary<string, bool>();
        bool HasWeightedUpstream(string tensor)
        {
            if (memo.TryGetValue(tensor, out var known)) return known;
            memo[tensor] = false; // guards cycles
            var producer = index.Producer(tensor);
            bool result = producer is not null &&
                (OperatorMetatypes.For(producer).Weight is not null || producer.Input.Where(i => i.Length > 0 && !index.IsConstant(i)).Any(HasWeightedUpstream));
            memo[tensor] = result;
            return result;
        }

        return ops.Where(o => o.Weight is not null && !o.ActivationInputs.Any(HasWeightedUpstream)).Select(o => o.Node).ToHashSet<NodeProto>(ReferenceEqualityComparer.Instance);
    }

    private static bool IsFloat(GraphIndex index, string tensor) => index.ElementType(tensor) is not int t || TensorData.IsFloat(t);

    /// <summary>Disjoint sets of tensor names that must share one quantizer.</summary>
    private sealed class UnionFind
    {
        private readonly Dictionary<string, string> _parent = new();
        private readonly List<string> _order = new();

        public bool Contains(string t) => _parent.ContainsKey(t);

        public void Add(string t)
        {
            if (_parent.TryAdd(t, t)) _order.Add(t);
        }

        public void Union(string a, string b)
        {
            Add(a);
            Add(b);
            var ra = Find(a);
            var rb = Find(b);
            if (ra != rb) _parent[rb] = ra;
        }

        public IEnumerable<List<string>> Groups() =>
            _order.GroupBy(Find).Select(g => g.ToList());

        private string Find(string t)
        {
            while (_parent[t] != t)
            {
                _parent[t] = _parent[_parent[t]];
                t = _parent[t];
            }

            return t;
        }
    }
}
