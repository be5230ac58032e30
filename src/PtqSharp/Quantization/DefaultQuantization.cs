using Onnx;
using PtqSharp.Data;
using PtqSharp.Hardware;
using PtqSharp.Hardware.Metatypes;
using PtqSharp.Quantization.LatencyAware;
using PtqSharp.Quantization.Pipeline;
using PtqSharp.Statistics;

namespace PtqSharp.Quantization;

/// <summary>
/// POT's DefaultQuantization: preprocess (opset upgrade, BatchNorm and constant folding), then run the
/// <see cref="QuantizationPipeline.Default"/> steps over one statistics engine that owns the
/// calibration samples. The result writes QDQ models for the requested presets or sets of float ops.
/// </summary>
internal static class DefaultQuantization
{
    public static CalibratedModel Calibrate(
        ModelProto original, Dataset data, QuantizationOptions options, IReadOnlyList<QuantizationPreset> presets,
        IProgress<QuantizationProgress>? progress, CancellationToken cancellationToken, ILatencyProbe? latencyProbe = null)
    {
        options.Validate();
        if (data.Count == 0) ThrowHelper.Throw("The calibration dataset is empty.");
        ThrowIfQuantized(original);

        // Match the ignored scope against the user's node names, before folding removes any.
        var ignored = IgnoredScopeMatcher.Create(options.IgnoredScope, original.Graph);

        progress?.Report(new QuantizationProgress("Preprocessing (BatchNorm and constant folding)", 0, 1));
        var (preprocessed, originalOpset) = ModelPreprocessor.Prepare(original);
        var split = SubsetSelector.Select(data.Count, options.SubsetSize, options.Seed, options.HoldOutSize, options.ShuffleData);
        var engine = new StatisticsEngine(data, split.Calibration, options.BatchSize, progress, cancellationToken);
        var rules = RulesFor(options);

        // Requirements the device cannot meet fail here, before any pass over the data.
        QuantizerSelection.CheckConstraints(rules, options.ActivationConstraints, options.WeightConstraints);
        var state = new PipelineState(preprocessed, rules, options, ignored, presets);
        QuantizationPipeline.Default(options).Run(state, engine);
        var calibrated = new CalibratedModel(original, state, split, originalOpset);

        // Timed on written models, so after the pipeline: it decides which ops every model built from here keeps in float.
        // Only for devices that run here: this CPU's timings say nothing about a GPU, an NPU or GNA.
        if (options.LatencyAware.Enabled && rules.RunsOnHost)
        {
            var probe = latencyProbe ?? new RuntimeLatencyProbe(TypicalSample(data, split.Calibration), options.LatencyAware);
            LatencyAwareSearch.Run(original, calibrated, presets[0], probe, options.LatencyAware, progress, cancellationToken);
        }

        return calibrated;
    }

    /// <summary>
    /// The input latency is measured on: of up to 31 calibration samples, the one of median size. Token
    /// sequences differ in length, and integer kernels pay off on long ones sooner than on short ones;
    /// the median is the typical load, and the seed's subset makes the choice repeatable.
    /// </summary>
    private static Sample TypicalSample(Dataset data, IReadOnlyList<int> calibration)
    {
        var candidates = calibration.Take(31).Select(i => data.Get(i)).ToList();
        return candidates.OrderBy(s => s.Inputs.Values.Sum(t => t.Shape.Aggregate(1L, (a, d) => a * d))).ElementAt(candidates.Count / 2);
    }

    /// <summary>
    /// The rules in force. Transformers quantize only ops with weights (the matrix products); LayerNorm,
    /// Softmax, GELU and the residual adds stay in float, where 8 bits would cost accuracy for no speed.
    /// </summary>
    private static HardwareConfig RulesFor(QuantizationOptions options)
    {
        var rules = options.Rules;
        if (options.ModelType != ModelType.Transformer) return rules;
        var weighted = rules.Operations.Where(kv => OperatorMetatypes.All.TryGetValue(kv.Key, out var m) && m.Weight is not null).ToDictionary(kv => kv.Key, kv => kv.Value);
        return rules with { Operations = weighted };
    }

    /// <summary>
    /// A QDQ or QOperator model quantized again would stack a second set of quantizers on integer
    /// tensors and come out damaged: refuse it, naming a node that shows it.
    /// </summary>
    private static void ThrowIfQuantized(ModelProto model)
    {
        var quantized = model.Graph.Node.FirstOrDefault(n => n.OpType is "QuantizeLinear" or "DequantizeLinear" or "DynamicQuantizeLinear" || OperatorMetatypes.IntegerKernels.Contains(n.OpType));
        if (quantized is not null)
        {
            ThrowHelper.Throw($"The model is already quantized: node '{quantized.Name}' is a {quantized.OpType}. Give PtqSharp the FP32 or FP16 model it was made from.");
        }
    }
}
