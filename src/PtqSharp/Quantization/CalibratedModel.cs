using System.Collections.Concurrent;
using Onnx;
using PtqSharp.Data;
using PtqSharp.Hardware;
using PtqSharp.Onnx;
using PtqSharp.Statistics;

namespace PtqSharp.Quantization;

/// <summary>A preprocessed model with its quantizer placement and calibration statistics.</summary>
internal sealed class CalibratedModel(
    ModelProto preprocessed, GraphIndex index, QuantizationPlan plan, IReadOnlyDictionary<string, MinMaxAggregator> statistics,
    HardwareConfig rules, QuantizationOptions options, SampleSplit split, int originalOpset)
{
    private readonly ConcurrentDictionary<QuantizationPreset, Lazy<PresetParameters>> _parameters = new();

    public SampleSplit Split => split;

    public int OriginalOpset => originalOpset;

    public HardwareConfig Rules => rules;

    public QuantizationOptions Options => options;

    /// <summary>The ops that can be reverted to float, in graph order.</summary>
    public IReadOnlyList<QuantizedOp> Ops => plan.Ops;

    /// <summary>
    /// Writes the QDQ model. Ranges always come from the full plan, so reverting an op leaves the
    /// scales of the others unchanged.
    /// </summary>
    /// <remarks>Thread-safe: accuracy control builds variants in parallel.</remarks>
    public (ModelProto Model, QuantizationPlan Plan) Build(QuantizationPreset preset, IReadOnlyCollection<NodeProto> floatOps)
    {
        var (activations, weights) = _parameters.GetOrAdd(preset, p => new Lazy<PresetParameters>(() => Compute(p))).Value;
        var effective = FloatFallback.Revert(plan, index, floatOps);
        return (QdqWriter.Write(preprocessed, effective, activations, weights), effective);
    }

    private PresetParameters Compute(QuantizationPreset preset)
    {
        var activations = ActivationParameters(plan, statistics, preset);
        return new PresetParameters(activations, WeightParameters(plan, index, activations, options.OverflowFix, rules));
    }

    private static Dictionary<string, QuantizationParameters> ActivationParameters(
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

    private static Dictionary<NodeProto, QuantizationParameters> WeightParameters(
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

/// <summary>Quantization parameters of every quantizer for one preset.</summary>
internal sealed record PresetParameters(
    IReadOnlyDictionary<string, QuantizationParameters> Activations, IReadOnlyDictionary<NodeProto, QuantizationParameters> Weights);
