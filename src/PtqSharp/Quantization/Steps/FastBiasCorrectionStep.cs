using Onnx;
using PtqSharp.Onnx;
using PtqSharp.Quantization.Pipeline;
using PtqSharp.Statistics;

namespace PtqSharp.Quantization.Steps;

/// <summary>
/// POT/NNCF FastBiasCorrection: each biased layer's input channel means come from the FP32 model in the
/// same pass as the ranges, so layers are corrected independently and calibration costs nothing more.
/// </summary>
internal sealed class FastBiasCorrectionStep : QuantizationStep
{
    public override string Name => "fast bias correction";

    public override IEnumerable<StatisticPoint> StatisticPoints(PipelineState state) =>
        state.Plan.Ops.Select(o => BiasCorrection.MeanInput(o, state.Index)).OfType<string>().Select(t => new StatisticPoint(t, ChannelMeanStatistic.Instance));

    public override void Apply(PipelineState state, StatisticsContainer statistics, StatisticsEngine engine)
    {
        foreach (var preset in state.Presets)
        {
            var parameters = state.Parameters[preset];
            var corrected = new Dictionary<NodeProto, float[]>(ReferenceEqualityComparer.Instance);
            foreach (var op in state.Plan.Ops)
            {
                if (BiasCorrection.MeanInput(op, state.Index) is not { } input || !parameters.Weights.TryGetValue(op.Node, out var p)) continue;
                var mean = statistics.ChannelMean(input);
                if (mean.Length == 0) continue;
                var bias = TensorData.ToFloats(state.Index.Initializer(op.Node.Input[op.BiasIndex!.Value])!);
                var shift = BiasCorrection.Shift(op.Node, state.Index.Initializer(op.Weight!.Tensor)!, p, mean);
                if (shift is null || shift.Length != bias.Length) continue;
                if (BiasCorrection.Magnitude(bias, shift) < BiasCorrection.Threshold) corrected[op.Node] = bias.Zip(shift, (b, s) => b - s).ToArray();
            }

            state.Parameters[preset] = parameters with { Biases = corrected };
        }
    }
}
