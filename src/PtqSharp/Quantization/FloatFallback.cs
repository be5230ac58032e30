using Onnx;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization;

/// <summary>
/// Reverts quantized ops to float, as accuracy control does: the reverted op reads float weights and
/// float activations. An activation quantizer stays only where another consumer still needs it, so a
/// reverted op leaves no dead Q/DQ pairs behind. A producer whose output now also feeds a float reader
/// cannot end in an integer kernel (ONNX Runtime fuses only a producer whose sole consumer is the Q),
/// which is part of the speed that accuracy control trades.
/// </summary>
internal static class FloatFallback
{
    public const string Reason = "reverted to float by accuracy-aware quantization";

    public static QuantizationPlan Revert(QuantizationPlan plan, GraphIndex index, IReadOnlyCollection<NodeProto> ops)
    {
        if (ops.Count == 0) return plan;
        var reverted = ops.ToHashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var quantized = plan.ActivationTensors.ToHashSet();
        var planOps = plan.Ops.Select(o => o.Node).ToHashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var revertedOutputs = plan.Ops.Where(o => reverted.Contains(o.Node) && o.OutputTensor is not null).Select(o => o.OutputTensor!).ToHashSet();
        var needed = new Dictionary<string, bool>();

        // A quantized tensor is still needed unless every consumer is a reverted op or a data-movement
        // op whose quantized outputs are themselves no longer needed. The output quantizer of a reverted
        // op served only its integer kernel, so a model output keeps it only for other reasons.
        bool Needed(string tensor)
        {
            if (needed.TryGetValue(tensor, out var known)) return known;
            needed[tensor] = true; // guards cycles
            var uses = index.Consumers(tensor);
            bool ownOutput = !revertedOutputs.Contains(tensor) && (index.GraphOutputs.Contains(tensor) || uses.Count == 0);
            bool result = ownOutput || uses.Any(u => !plan.FloatInputs.Contains((u.Node, u.InputIndex)) && NeedsQuantizedInput(u.Node));
            needed[tensor] = result;
            return result;
        }

        bool IsPassThrough(NodeProto node) => !planOps.Contains(node) && node.Output.Any(quantized.Contains);

        bool NeedsQuantizedInput(NodeProto node) =>
            !reverted.Contains(node) && (!IsPassThrough(node) || node.Output.Where(quantized.Contains).Any(Needed));

        var dropped = quantized.Where(t => !Needed(t)).ToHashSet();
        var floatReaders = new HashSet<NodeProto>(reverted, ReferenceEqualityComparer.Instance);
        foreach (var node in index.TopologicalOrder)
        {
            if (IsPassThrough(node) && !NeedsQuantizedInput(node) && !reverted.Contains(node)) floatReaders.Add(node);
        }

        return plan with
        {
            Ops = plan.Ops.Where(o => !reverted.Contains(o.Node)).ToList(),
            Groups = plan.Groups
                .Select(g => new ActivationGroup(g.Tensors.Where(t => !dropped.Contains(t)).ToList()))
                .Where(g => g.Tensors.Count > 0)
                .ToList(),
            Skipped = plan.Skipped.Concat(plan.Ops.Where(o => reverted.Contains(o.Node)).Select(o => new SkippedOp(o.Node, Reason))).ToList(),
            FloatReaders = floatReaders,
            Scaled = plan.Scaled.Where(s => !dropped.Contains(s.Source)).ToList(),
        };
    }
}
