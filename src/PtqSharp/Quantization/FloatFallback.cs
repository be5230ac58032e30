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

    public const string SpeedReason = "kept in float for speed: its integer kernels ran slower than float here (latency-aware quantization)";

    /// <param name="plan">The full plan.</param>
    /// <param name="index">The float graph's index.</param>
    /// <param name="ops">The ops to run in float.</param>
    /// <param name="reason">Why each reverted op is in float, for the report; accuracy control's reason when null.</param>
    /// <param name="readIntegerOutputs">
    /// Reverted ops (kept in float for speed) that read what an integer op writes through its
    /// DequantizeLinear, so that op keeps its output quantizer and its integer kernel: the border of
    /// a float region, where accuracy control's reverts instead read float and make the writer float too.
    /// </param>
    public static QuantizationPlan Revert(
        QuantizationPlan plan, GraphIndex index, IReadOnlyCollection<NodeProto> ops, Func<NodeProto, string>? reason = null,
        IReadOnlySet<NodeProto>? readIntegerOutputs = null)
    {
        if (ops.Count == 0) return plan;
        var reverted = ops.ToHashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var quantized = plan.ActivationTensors.ToHashSet();
        var planOps = plan.Ops.Select(o => o.Node).ToHashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var revertedOutputs = plan.Ops.Where(o => reverted.Contains(o.Node) && o.OutputTensor is not null).Select(o => o.OutputTensor!).ToHashSet();
        var integerOutputs = plan.Ops.Where(o => !reverted.Contains(o.Node)).Select(o => o.KernelOutput).Where(quantized.Contains).ToHashSet();
        var needed = new Dictionary<string, bool>();

        // A tensor an integer op writes, directly or through quantizer-sharing data movement (MaxPool, Reshape).
        bool WrittenByIntegerOp(string tensor)
        {
            if (integerOutputs.Contains(tensor)) return true;
            var producer = index.Producer(tensor);
            return producer is not null && !planOps.Contains(producer) && quantized.Contains(tensor) && producer.Input.Count > 0 && WrittenByIntegerOp(producer.Input[0]);
        }

        bool ReadsInteger(NodeProto node, string tensor) => readIntegerOutputs?.Contains(node) == true && WrittenByIntegerOp(tensor);

        // A quantized tensor is still needed unless every consumer is a reverted op or a data-movement
        // op whose quantized outputs are themselves no longer needed. The output quantizer of a reverted
        // op served only its integer kernel, so a model output keeps it only for other reasons.
        bool Needed(string tensor)
        {
            if (needed.TryGetValue(tensor, out var known)) return known;
            needed[tensor] = true; // guards cycles
            var uses = index.Consumers(tensor);
            bool ownOutput = !revertedOutputs.Contains(tensor) && (index.GraphOutputs.Contains(tensor) || uses.Count == 0);
            bool result = ownOutput || uses.Any(u => !plan.FloatInputs.Contains((u.Node, u.InputIndex)) && (NeedsQuantizedInput(u.Node) || ReadsInteger(u.Node, tensor)));
            needed[tensor] = result;
            return result;
        }

        bool IsPassThrough(NodeProto node) => !planOps.Contains(node) && node.Output.Any(quantized.Contains);

        bool NeedsQuantizedInput(NodeProto node) =>
            !reverted.Contains(node) && (!IsPassThrough(node) || node.Output.Where(quantized.Contains).Any(Needed));

        var dropped = quantized.Where(t => !Needed(t)).ToHashSet();

        // Border readers take the dequantized value of integer outputs and float everything else.
        var borderReaders = reverted.Where(n => readIntegerOutputs?.Contains(n) == true).ToList();
        var floatInputs = new HashSet<(NodeProto, int)>(plan.FloatInputs, NodeInputComparer.Instance);
        foreach (var node in borderReaders)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i].Length > 0 && !index.IsConstant(node.Input[i]) && !ReadsInteger(node, node.Input[i])) floatInputs.Add((node, i));
            }
        }

        var floatReaders = new HashSet<NodeProto>(reverted.Where(n => readIntegerOutputs?.Contains(n) != true), ReferenceEqualityComparer.Instance);
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
            Skipped = plan.Skipped.Concat(plan.Ops.Where(o => reverted.Contains(o.Node)).Select(o => new SkippedOp(o.Node, reason?.Invoke(o.Node) ?? Reason))).ToList(),
            FloatReaders = floatReaders,
            FloatInputs = floatInputs,
            Scaled = plan.Scaled.Where(s => !dropped.Contains(s.Source)).ToList(),
        };
    }
}
