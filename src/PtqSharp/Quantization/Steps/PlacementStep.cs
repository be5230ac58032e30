using Onnx;
using PtqSharp.Hardware.Metatypes;
using PtqSharp.Onnx;
using PtqSharp.Quantization.Pipeline;
using PtqSharp.Statistics;

namespace PtqSharp.Quantization.Steps;

/// <summary>Places quantizers by the device rules (<see cref="QuantizerPlacement"/>): structural, no statistics.</summary>
internal sealed class PlacementStep : QuantizationStep
{
    public override string Name => "quantizer placement";

    public override void Apply(PipelineState state, StatisticsContainer statistics, StatisticsEngine engine)
    {
        ThrowIfRulesNameMissingInputs(state);
        state.Plan = QuantizerPlacement.Plan(state.Index, state.Rules, state.Ignored);
        if (state.Plan.Ops.Count == 0)
        {
            ThrowHelper.Throw($"Nothing to quantize: the model has no op that the {state.Rules.Name} rules quantize ({string.Join(", ", state.Rules.Operations.Keys)}) outside the ignored scope.");
        }

        // Before any pass over the data: NaN or infinity in a tensor that gets a quantizer has no quantized value.
        foreach (var op in state.Plan.Ops)
        {
            if (op.Weight is { } w) ThrowIfNotFinite(state, "weight", w.Tensor, op.Node);
            if (op.BiasIndex is int b) ThrowIfNotFinite(state, "bias", op.Node.Input[b], op.Node);
            foreach (var c in op.Constants) ThrowIfNotFinite(state, "constant input", c.Tensor, op.Node);
        }
    }

    /// <summary>
    /// A rule naming an input no node of its type has would quantize a different op than its author meant:
    /// name the key. Optional inputs a node leaves out are fine while some node of the type has them.
    /// </summary>
    private static void ThrowIfRulesNameMissingInputs(PipelineState state)
    {
        foreach (var (opType, rule) in state.Rules.Operations)
        {
            var nodes = state.Model.Graph.Node.Where(n => n.OpType == opType).ToList();
            if (nodes.Count == 0) continue;
            int most = nodes.Max(n => n.Input.Count);
            var indices = (rule.Inputs ?? []).Select((index, k) => ($"operations.{opType}.inputs[{k}]", index));

            // The op's own optional bias port (Conv's 2) may be absent from every node.
            bool knownBias = OperatorMetatypes.All.TryGetValue(opType, out var metatype) && metatype.Bias == rule.Bias;
            if (rule.Bias is int bias && !knownBias) indices = indices.Append(($"operations.{opType}.bias", bias));
            foreach (var (key, index) in indices.Where(x => x.index >= most))
            {
                ThrowHelper.Throw($"Hardware rules '{state.Rules.Name}': {key} is input {index}, but the {opType} nodes of this model have at most {most} inputs (0 to {most - 1}); fix the rule.");
            }
        }
    }

    private static void ThrowIfNotFinite(PipelineState state, string role, string tensor, NodeProto node)
    {
        if (state.Index.Initializer(tensor) is not { } initializer || TensorData.FirstNonFinite(initializer) is not { } bad) return;
        ThrowHelper.Throw($"The {role} '{tensor}' of node '{node.Name}' ({node.OpType}) holds {bad.Value} at element {bad.Index}: no quantizer can represent it. " +
            $"Fix the model (its training or export went wrong there), or keep the node in float with --ignore-names \"{node.Name}\".");
    }
}
