using Microsoft.ML.OnnxRuntime;
using Onnx;
using PtqSharp.Data;
using PtqSharp.Execution;
using PtqSharp.Hardware;
using PtqSharp.Onnx;
using PtqSharp.Statistics;

namespace PtqSharp.Quantization;

/// <summary>
/// POT's DefaultQuantization: preprocess (opset upgrade, BatchNorm and constant folding), place
/// quantizers by the device rules, collect min/max statistics in one streaming pass; the result
/// writes QDQ models for any preset or set of float ops without seeing the data again.
/// </summary>
internal static class DefaultQuantization
{
    public static CalibratedModel Calibrate(
        ModelProto original, Dataset data, QuantizationOptions options, HardwareConfig rules,
        IProgress<CalibrationProgress>? progress, CancellationToken cancellationToken)
    {
        options.Validate();
        if (data.Count == 0) ThrowHelper.Throw("The calibration dataset is empty.");

        // Match the ignored scope against the user's node names, before folding removes any.
        var ignored = IgnoredScopeMatcher.Create(options.IgnoredScope, original.Graph);

        progress?.Report(new CalibrationProgress("Preprocessing (BatchNorm and constant folding)", 0, 1));
        var (preprocessed, originalOpset) = ModelPreprocessor.Prepare(original);
        var split = SubsetSelector.Select(data.Count, options.SubsetSize, options.Seed, options.HoldOutSize);
        if (options.ModelType == ModelType.Transformer)
        {
            // Quantize only the matrix products; LayerNorm, Softmax, GELU and the residual adds stay in float.
            var kept = rules.Operations.Where(kv => kv.Key is "MatMul" or "Gemm" or "Conv").ToDictionary(kv => kv.Key, kv => kv.Value);
            rules = rules with { Operations = kept };
            if (options.SmoothQuantAlpha > 0)
            {
                SmoothQuant.Apply(preprocessed, options.SmoothQuantAlpha, data, split.Calibration, options.BatchSize, progress, cancellationToken);
            }
        }

        var index = new GraphIndex(preprocessed.Graph);
        var plan = QuantizerPlacement.Plan(index, rules, ignored);
        if (plan.Ops.Count == 0)
        {
            ThrowHelper.Throw($"Nothing to quantize: the model has no op that the {rules.Name} rules quantize ({string.Join(", ", rules.Operations.Keys)}) outside the ignored scope.");
        }

        var meanInputs = options.BiasCorrection != BiasCorrectionMode.Fast ? [] : plan.Ops.Select(BiasCorrection.MeanInput).OfType<string>().ToList();
        var stats = StatisticsCollector.Collect(preprocessed, plan.ActivationTensors.ToList(), meanInputs, data, split.Calibration, options.BatchSize, progress, cancellationToken);
        if (options.ActivationRange.NeedsHistogram)
        {
            var absMax = stats.Ranges.Where(kv => kv.Value.Count > 0).ToDictionary(kv => kv.Key, kv => Math.Max(Math.Abs(kv.Value.GlobalMin), Math.Abs(kv.Value.GlobalMax)));
            var histograms = HistogramCollector.Collect(preprocessed, absMax, data, split.Calibration, options.BatchSize, progress, cancellationToken);
            stats = stats with { Histograms = histograms };
        }

        return new CalibratedModel(preprocessed, index, plan, stats, rules, options, split, originalOpset, data);
    }
}
