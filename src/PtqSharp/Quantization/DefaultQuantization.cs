using Onnx;
using PtqSharp.Data;
using PtqSharp.Hardware;
using PtqSharp.Hardware.Metatypes;
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
        IProgress<QuantizationProgress>? progress, CancellationToken cancellationToken)
    {
        options.Validate();
        if (data.Count == 0) ThrowHelper.Throw("The calibration dataset is empty.");

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
        return new CalibratedModel(state, split, originalOpset);
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
}
