using Onnx;
using PtqSharp.Hardware;
using PtqSharp.Hardware.Metatypes;
using PtqSharp.Onnx;
using PtqSharp.Quantization.Pipeline;
using PtqSharp.Quantization.RangeEstimation;
using PtqSharp.Statistics;

namespace PtqSharp.Quantization.Steps;

/// <summary>
/// POT's MinMaxQuantization: the scale and zero point of every quantizer, for each preset. Activations
/// from per-sample minima and maxima (plus a histogram pass for histogram-based estimators), weights
/// from their values; the quantizer type is what the preset picks among those the device allows.
/// </summary>
internal sealed class RangeEstimationStep : QuantizationStep
{
    public override string Name => "range estimation";

    public override IEnumerable<StatisticPoint> StatisticPoints(PipelineState state)
    {
        var measured = Measured(state).ToList();
        var points = measured.Select(t => new StatisticPoint(t, MinMaxStatistic.Instance));
        return state.Options.ActivationRange.TailShare is double share
            ? points.Concat(measured.Select(t => new StatisticPoint(t, new TailStatistic(share))))
            : points;
    }

    /// <summary>The range an activation cannot leave because of the op that makes it (Sigmoid's [0, 1]; operators.json's "output_range").</summary>
    private static (float Min, float Max)? FixedRange(string tensor, PipelineState state) =>
        state.Index.Producer(tensor) is { } producer ? OperatorMetatypes.For(producer).OutputRange : null;

    /// <summary>The activations whose ranges come from calibration: every one without a fixed range.</summary>
    private static IEnumerable<string> Measured(PipelineState state) => state.Plan.ActivationTensors.Distinct().Where(t => FixedRange(t, state) is null);

    /// <summary>
    /// A padded tensor's tails counted over its real channels only: the zero channels padding added sit in the bulk of
    /// its values, and counting them would read the percentile deeper in the tails than the unpadded model does
    /// (MobileNetV3-Small's cosine 0.9658 fell to 0.9635 before this).
    /// </summary>
    private static TensorTails RealTails(TensorTails tails, string tensor, PipelineState state) =>
        state.RealChannelShare.TryGetValue(tensor, out var real) ? tails with { Total = (long)Math.Round(tails.Total * real) } : tails;

    public override void Apply(PipelineState state, StatisticsContainer statistics, StatisticsEngine engine)
    {
        var ranges = Measured(state).ToDictionary(t => t, statistics.MinMax);
        var tails = state.Options.ActivationRange.TailShare is double share
            ? ranges.Keys.ToDictionary(t => t, t => RealTails(statistics.Get<TensorTails>(new(t, new TailStatistic(share))), t, state))
            : new Dictionary<string, TensorTails>();
        var histograms = new Dictionary<string, Histogram>();
        if (state.Options.ActivationRange.NeedsHistogram)
        {
            // Bins over the range the min/max pass found, so every later value lands in a bin.
            var points = ranges.Where(kv => kv.Value.Count > 0)
                .Select(kv => new StatisticPoint(kv.Key, new HistogramStatistic(Math.Max(Math.Abs(kv.Value.GlobalMin), Math.Abs(kv.Value.GlobalMax)))))
                .ToList();
            var collected = engine.Collect(state.Model, points, "Collecting histograms");
            foreach (var p in points) histograms[p.Tensor] = collected.Get<Histogram>(p);
        }

        bool transformer = state.Options.ModelType == ModelType.Transformer;
        foreach (var preset in state.Presets)
        {
            var activations = ActivationParameters(state.Plan, ranges, histograms, tails, state.Rules, preset, state, transformer);
            foreach (var s in state.Plan.Scaled)
            {
                // The same integers read with a proportionally larger scale are the source times the factor.
                var source = activations[s.Source];
                activations[s.Output] = source with { Scale = source.Scale.Select(v => v * s.Factor).ToArray() };
            }

            var weights = WeightParameters(state.Plan, state.Index, activations, state.Options, state.Rules, preset);
            var constants = ConstantParameters(state.Plan, state.Index, state.Rules, preset, state.Options.ActivationConstraints);
            state.Parameters[preset] = new PresetParameters(activations, weights, new Dictionary<NodeProto, float[]>(ReferenceEqualityComparer.Instance), constants);
        }
    }

    /// <summary>Whether the group feeds a product of two activations (attention scores, attention x values).</summary>
    private static bool FeedsActivationProduct(ActivationGroup group, QuantizationPlan plan) =>
        plan.Ops.Any(o => o.Weight is null && o.ActivationInputs.Count == 2 && OperatorMetatypes.For(o.Node).Weight is not null && o.ActivationInputs.Any(group.Tensors.Contains));

    /// <summary>The activation quantizers a group may use: those every op reading or writing it allows.</summary>
    internal static IReadOnlyList<QuantizerConfig> AllowedFor(ActivationGroup group, QuantizationPlan plan, HardwareConfig rules)
    {
        var tensors = group.Tensors.ToHashSet();
        var lists = plan.Ops
            .Where(o => o.ActivationInputs.Any(tensors.Contains) || (o.OutputTensor is { } t && tensors.Contains(t)))
            .Select(o => rules.ActivationsFor(o.Node.OpType))
            .ToList();
        return lists.Count > 0 ? QuantizerSelection.Intersect(lists) : rules.Activations;
    }

    private static Dictionary<string, QuantizationParameters> ActivationParameters(
        QuantizationPlan plan, IReadOnlyDictionary<string, MinMaxAggregator> ranges, IReadOnlyDictionary<string, Histogram> histograms,
        IReadOnlyDictionary<string, TensorTails> tails, HardwareConfig rules, QuantizationPreset preset, PipelineState state, bool transformer)
    {
        var estimator = state.Options.ActivationRange;
        var result = new Dictionary<string, QuantizationParameters>();
        foreach (var group in plan.Groups)
        {
            var allowed = AllowedFor(group, plan, rules);
            if (transformer && FeedsActivationProduct(group, plan) && allowed.Any(c => c.Mode == QuantizationMode.Symmetric))
            {
                // Both inputs of attention MatMuls are activations: symmetric keeps their product's zero-point terms away.
                allowed = allowed.Where(c => c.Mode == QuantizationMode.Symmetric).ToList();
            }

            var config = QuantizerSelection.Choose(allowed, preset, weights: false, state.Options.ActivationConstraints);
            bool symmetric = config.Mode == QuantizationMode.Symmetric;
            var fixedRanges = group.Tensors.Select(t => FixedRange(t, state)).OfType<(float Min, float Max)>().ToList();
            var observed = group.Tensors.Where(ranges.ContainsKey).Select(t => ranges[t]).Where(s => s.Count > 0).ToList();
            bool unsigned = observed.Count + fixedRanges.Count > 0 && observed.All(s => s.GlobalMin >= 0f) && fixedRanges.All(r => r.Min >= 0f);
            int levels = symmetric && !(unsigned && !config.Signed) ? (1 << (config.Bits - 1)) - 1 : (1 << config.Bits) - 1;

            // Tensors sharing a quantizer get the widest of their ranges, estimated or fixed (with the estimator's clipping values).
            float min = 0f, max = 0f;
            foreach (var t in group.Tensors)
            {
                var (lo, hi) = FixedRange(t, state) is { } range
                    ? (estimator.ClipMin is double clipLo ? MathF.Max(range.Min, (float)clipLo) : range.Min, estimator.ClipMax is double clipHi ? MathF.Min(range.Max, (float)clipHi) : range.Max)
                    : ranges[t].Count > 0 ? ActivationRange.Estimate(estimator, ranges[t], histograms.GetValueOrDefault(t), tails.GetValueOrDefault(t), symmetric, levels)
                    : (0f, 0f);
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

    /// <summary>
    /// Constant inputs of Add and Mul: the activations' integer type (the kernels take one type for both
    /// inputs) fitted to the constant's own values, so a scalar like 3 or 1/6 is exact.
    /// </summary>
    private static Dictionary<(NodeProto, int), QuantizationParameters> ConstantParameters(
        QuantizationPlan plan, GraphIndex index, HardwareConfig rules, QuantizationPreset preset, QuantizerConstraints constraints)
    {
        var result = new Dictionary<(NodeProto, int), QuantizationParameters>(NodeInputComparer.Instance);
        foreach (var op in plan.Ops)
        {
            foreach (var c in op.Constants)
            {
                var config = QuantizerSelection.Choose(rules.ActivationsFor(op.Node.OpType), preset, weights: false, constraints);
                var values = TensorData.ToFloats(index.Initializer(c.Tensor)!);
                float min = values.Length == 0 ? 0 : values.Min(), max = values.Length == 0 ? 0 : values.Max();
                result[(op.Node, c.InputIndex)] = config.Mode == QuantizationMode.Symmetric
                    ? RangeMath.SymmetricActivation(Math.Max(-min, max), min >= 0, config.Bits, config.Signed, config.NarrowRange)
                    : RangeMath.AsymmetricActivation(min, max, config.Bits, config.Signed);
            }
        }

        return result;
    }

    /// <summary>
    /// Whether the overflow fix narrows this op's 8-bit symmetric weights to [-64, 64]: only on devices whose kernels can
    /// saturate (u8 x s8 pairs summed in int16 without VNNI), in the first layers or everywhere as the options say.
    /// </summary>
    private static bool NarrowsWeights(HardwareConfig rules, QuantizationOptions options, QuantizationPlan plan, NodeProto node, QuantizerConfig config) =>
        rules.OverflowFix && config.Mode == QuantizationMode.Symmetric && config.Bits == 8 &&
        (options.OverflowFix == OverflowFix.All || (options.OverflowFix == OverflowFix.FirstLayer && plan.FirstLayers.Contains(node)));

    /// <summary>The weight quantizer a preset picks for an op among those the device allows.</summary>
    internal static QuantizerConfig WeightConfig(HardwareConfig rules, QuantizationOptions options, NodeProto node, QuantizationPreset preset) =>
        QuantizerSelection.Choose(rules.WeightsFor(node.OpType), preset, weights: true, options.WeightConstraints);

    private static Dictionary<NodeProto, QuantizationParameters> WeightParameters(
        QuantizationPlan plan, GraphIndex index, IReadOnlyDictionary<string, QuantizationParameters> activations,
        QuantizationOptions options, HardwareConfig rules, QuantizationPreset preset)
    {
        var result = new Dictionary<NodeProto, QuantizationParameters>(ReferenceEqualityComparer.Instance);
        foreach (var op in plan.Ops)
        {
            if (op.Weight is not { } w) continue;
            var config = WeightConfig(rules, options, op.Node, preset);
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
                int levelHigh = NarrowsWeights(rules, options, plan, op.Node, config) ? 64 : (1 << (config.Bits - 1)) - 1;
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
