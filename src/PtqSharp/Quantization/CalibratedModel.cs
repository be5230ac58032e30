using System.Collections.Concurrent;
using Onnx;
using PtqSharp.Data;
using PtqSharp.Hardware;
using PtqSharp.Onnx;
using PtqSharp.Quantization.RangeEstimation;
using PtqSharp.Statistics;

namespace PtqSharp.Quantization;

/// <summary>A preprocessed model with its quantizer placement and calibration statistics.</summary>
internal sealed class CalibratedModel(
    ModelProto preprocessed, GraphIndex index, QuantizationPlan plan, CalibrationStatistics statistics,
    HardwareConfig rules, QuantizationOptions options, SampleSplit split, int originalOpset, Dataset data)
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
        var parameters = Parameters(preset);
        var effective = FloatFallback.Revert(plan, index, floatOps);
        return (QdqWriter.Write(preprocessed, effective, parameters.Activations, parameters.Weights, parameters.Biases), effective);
    }

    /// <summary>Whether FastBiasCorrection corrected this op's bias for the preset.</summary>
    public bool IsBiasCorrected(QuantizationPreset preset, NodeProto op) => Parameters(preset).Biases.ContainsKey(op);

    private PresetParameters Parameters(QuantizationPreset preset) =>
        _parameters.GetOrAdd(preset, p => new Lazy<PresetParameters>(() => Compute(p))).Value;

    private PresetParameters Compute(QuantizationPreset preset)
    {
        var activations = ActivationParameters(plan, statistics, rules, preset, options.ActivationRange, options.ModelType == ModelType.Transformer);
        var weights = WeightParameters(plan, index, activations, options, rules, preset);
        var biases = options.BiasCorrection switch
        {
            BiasCorrectionMode.Fast => BiasCorrection.Fast(plan, index, weights, statistics.ChannelMeans),
            BiasCorrectionMode.Full => SequentialBiasCorrection.Run(preprocessed, index, plan, activations, weights, data, split.Calibration, options.BatchSize),
            _ => new Dictionary<NodeProto, float[]>(ReferenceEqualityComparer.Instance),
        };
        return new PresetParameters(activations, weights, biases);
    }

    private static bool FeedsActivationMatMul(ActivationGroup group, QuantizationPlan plan) =>
        plan.Ops.Any(o => o.Node.OpType == "MatMul" && o.Weight is null && o.ActivationInputs.Count == 2 && o.ActivationInputs.Any(group.Tensors.Contains));

    /// <summary>The activation quantizers a group may use: those every op reading or writing it allows.</summary>
    private static IReadOnlyList<QuantizerConfig> AllowedFor(ActivationGroup group, QuantizationPlan plan, HardwareConfig rules)
    {
        var tensors = group.Tensors.ToHashSet();
        var lists = plan.Ops
            .Where(o => o.ActivationInputs.Any(tensors.Contains) || (o.OutputTensor is { } t && tensors.Contains(t)))
            .Select(o => rules.ActivationsFor(o.Node.OpType))
            .ToList();
        return lists.Count > 0 ? QuantizerSelection.Intersect(lists) : rules.Activations;
    }

    private static Dictionary<string, QuantizationParameters> ActivationParameters(
        QuantizationPlan plan, CalibrationStatistics stats, HardwareConfig rules, QuantizationPreset preset, RangeEstimator estimator, bool transformer)
    {
        var result = new Dictionary<string, QuantizationParameters>();
        foreach (var group in plan.Groups)
        {
            var allowed = AllowedFor(group, plan, rules);
            if (transformer && FeedsActivationMatMul(group, plan) && allowed.Any(c => c.Mode == QuantizationMode.Symmetric))
            {
                // Both inputs of attention MatMuls are activations: symmetric keeps their product's zero-point terms away.
                allowed = allowed.Where(c => c.Mode == QuantizationMode.Symmetric).ToList();
            }

            var config = QuantizerSelection.Choose(allowed, preset, weights: false);
            bool symmetric = config.Mode == QuantizationMode.Symmetric;
            var observed = group.Tensors.Select(t => stats.Ranges[t]).Where(s => s.Count > 0).ToList();
            bool unsigned = observed.Count > 0 && observed.All(s => s.GlobalMin >= 0f);
            int levels = symmetric && !(unsigned && !config.Signed) ? (1 << (config.Bits - 1)) - 1 : (1 << config.Bits) - 1;

            // Tensors sharing a quantizer get the widest of their estimated ranges.
            float min = 0f, max = 0f;
            foreach (var t in group.Tensors.Where(t => stats.Ranges[t].Count > 0))
            {
                var (lo, hi) = ActivationRange.Estimate(estimator, stats.Ranges[t], stats.Histograms.GetValueOrDefault(t), symmetric, levels);
                min = Math.Min(min, lo);
                max = Math.Max(max, hi);
            }

            var p = symmetric
                ? RangeMath.SymmetricActivation(Math.Max(-min, max), unsigned, config.Bits, config.Signed, config.NarrowRange)
                : RangeMath.AsymmetricActivation(min, max, config.Bits, config.Signed);
            foreach (var t in group.Tensors) result[t] = p;
        }

        return result;
    }

    private static Dictionary<NodeProto, QuantizationParameters> WeightParameters(
        QuantizationPlan plan, GraphIndex index, IReadOnlyDictionary<string, QuantizationParameters> activations,
        QuantizationOptions options, HardwareConfig rules, QuantizationPreset preset)
    {
        var result = new Dictionary<NodeProto, QuantizationParameters>(ReferenceEqualityComparer.Instance);
        foreach (var op in plan.Ops)
        {
            if (op.Weight is not { } w) continue;
            var config = QuantizerSelection.Choose(rules.WeightsFor(op.Node.OpType), preset, weights: true);
            var axis = config.Granularity == Granularity.PerChannel ? w.Axis : null;
            var tensor = index.Initializer(w.Tensor)!;
            var values = TensorData.ToFloats(tensor);
            QuantizationParameters p;
            if (config.Mode == QuantizationMode.Asymmetric)
            {
                var (min, max) = WeightStatistics.MinMaxPerChannel(values, tensor.Dims, axis);
                p = RangeMath.AsymmetricWeights(min, max, axis, config.Bits);
            }
            else
            {
                // The overflow fix narrows 8-bit weights only on devices whose kernels can saturate.
                bool narrowBits = rules.OverflowFix && config.Bits == 8 &&
                    (options.OverflowFix == OverflowFix.All || (options.OverflowFix == OverflowFix.FirstLayer && plan.FirstLayers.Contains(op.Node)));
                int levelHigh = narrowBits ? 64 : (1 << (config.Bits - 1)) - 1;
                p = RangeMath.SymmetricWeights(WeightRange.Thresholds(options.WeightRange, values, tensor.Dims, axis, levelHigh), levelHigh, config.NarrowRange, axis, config.Bits);
            }

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
    IReadOnlyDictionary<string, QuantizationParameters> Activations,
    IReadOnlyDictionary<NodeProto, QuantizationParameters> Weights,
    IReadOnlyDictionary<NodeProto, float[]> Biases);
