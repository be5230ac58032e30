using PtqSharp.Quantization.Pipeline;
using PtqSharp.Statistics;

namespace PtqSharp.Quantization.Steps;

/// <summary>Places quantizers by the device rules (<see cref="QuantizerPlacement"/>): structural, no statistics.</summary>
internal sealed class PlacementStep : QuantizationStep
{
    public override string Name => "quantizer placement";

    public override void Apply(PipelineState state, StatisticsContainer statistics, StatisticsEngine engine)
    {
        state.Plan = QuantizerPlacement.Plan(state.Index, state.Rules, state.Ignored);
        if (state.Plan.Ops.Count == 0)
        {
            ThrowHelper.Throw($"Nothing to quantize: the model has no op that the {state.Rules.Name} rules quantize ({string.Join(", ", state.Rules.Operations.Keys)}) outside the ignored scope.");
        }
    }
}
