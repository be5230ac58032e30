using Microsoft.ML.OnnxRuntime;
using Onnx;
using PtqSharp.Data;
using PtqSharp.Execution;
using PtqSharp.Hardware;
using PtqSharp.Onnx;
using PtqSharp.Statistics;

namespace PtqSharp.Quantization;

/// <summary>What Default Quantization produced, before any evaluation.</summary>
internal sealed record DefaultQuantizationOutput(ModelProto Model, QuantizationPlan Plan, SampleSplit Split, int OriginalOpset);

/// <summary>
/// POT's DefaultQuantization: preprocess (opset upgrade, BatchNorm and constant folding), place
/// quantizers by the device rules, collect min/max statistics in one streaming pass, compute
/// ranges, and write QDQ.
/// </summary>
internal static class DefaultQuantization
{
    public static DefaultQuantizationOutput Run(
        ModelProto original, Dataset data, QuantizationOptions options, HardwareConfig rules,
        IProgress<CalibrationProgress>? progress, CancellationToken cancellationToken)
    {
        options.Validate();
        if (data.Count == 0) ThrowHelper.Throw("The calibration dataset is empty.");

        var working = original.Clone();
        int originalOpset = OpsetUpgrader.Upgrade(working);
        if (Float16Converter.HasFloat16(working)) Float16Converter.ToFloat32(working);
        var ignored = IgnoredScopeMatcher.Create(options.IgnoredScope, working.Graph);

        progress?.Report(new CalibrationProgress("Preprocessing (BatchNorm and constant folding)", 0, 1));
        var preprocessed = SessionFactory.Optimize(working, GraphOptimizationLevel.ORT_ENABLE_BASIC);
        var index = new GraphIndex(preprocessed.Graph);
        var plan = QuantizerPlacement.Plan(index, rules, ignored);
        if (plan.Ops.Count == 0)
        {
            ThrowHelper.Throw($"Nothing to quantize: the model has no op that the {rules.Name} rules quantize ({string.Join(", ", rules.Operations.Keys)}) outside the ignored scope.");
        }

        var split = SubsetSelector.Select(data.Count, options.SubsetSize, options.Seed, options.HoldOutSize);
        var tensors = plan.ActivationTensors.ToList();
        var stats = StatisticsCollector.Collect(preprocessed, tensors, data, split.Calibration, options.BatchSize, progress, cancellationToken);

        var activations = ActivationParameters(plan, stats, options.Preset);
        var weights = WeightParameters(plan, index, activations, options.OverflowFix, rules);
        var model = QdqWriter.Write(preprocessed, plan, activations, weights);
        return new DefaultQuantizationOutput(model, plan, split, originalOpset);
    }

    internal static Dictionary<string, QuantizationParameters> ActivationParameters(
        QuantizationPlan plan, IReadOnlyDictionary<string, MinMaxAggregator> stats, QuantizationPreset preset)
    {
        var result = new Dictionary<string, QuantizationParameters>();
        foreach (var group in plan.Groups)
        {
            var (min, max, absMax, globalMin) = MinMaxAggregator.Union(group.Tensors.Select(t => stats[t]));
            var p = preset == QuantizationPreset.Performance
                ? RangeMath.SymmetricActivation(absMax, unsigned: globalMin >= 0f)
                : RangeMath.AsymmetricActivation(min, max);
            foreach (var t in group.Tensors) result[t] = p;
        }

        return result;
    }

    internal static Dictionary<NodeProto, QuantizationParameters> WeightParameters(
        QuantizationPlan plan, GraphIndex index, IReadOnlyDictionary<string, QuantizationParameters> activations,
        OverflowFix overflowFix, HardwareConfig rules)
    {
        var result = new Dictionary<NodeProto, QuantizationParameters>(ReferenceEqualityComparer.Instance);
        foreach (var op in plan.Ops)
        {
            if (op.Weight is not { } w) continue;
            var tensor = index.Initializer(w.Tensor)!;
            var values = TensorData.ToFloats(tensor);
            var absMax = WeightStatistics.AbsMaxPerChannel(values, tensor.Dims, w.Axis);

            bool narrowBits = overflowFix == OverflowFix.All || (overflowFix == OverflowFix.FirstLayer && plan.FirstLayers.Contains(op.Node));
            int levelHigh = narrowBits ? 64 : (1 << (rules.Weights.Bits - 1)) - 1;
            var p = RangeMath.SymmetricWeights(absMax, levelHigh, rules.Weights.NarrowRange, w.Axis);

            if (op.BiasIndex is int b)
            {
                // Raise a channel's weight scale where its bias would not fit int32 at input x weight scale.
                float inputScale = activations[op.ActivationInputs[0]].Scale[0];
                var bias = TensorData.ToFloats(index.Initializer(op.Node.Input[b])!);
                for (int c = 0; c < p.Scale.Length; c++)
                {
                    float needed = p.PerChannel ? RangeMath.MinWeightScaleForBias(bias[c], inputScale) : bias.Max(v => RangeMath.MinWeightScaleForBias(v, inputScale));
                    p.Scale[c] = MathF.Max(p.Scale[c], needed);
                }
            }

            result[op.Node] = p;
        }

        return result;
    }
}
