using System.Diagnostics;
using Onnx;
using PtqSharp.AccuracyControl;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Execution;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization;

/// <summary>
/// The entry point of the library, like <c>nncf.quantize</c> and <c>nncf.quantize_with_accuracy_control</c>:
/// an FP32 or FP16 ONNX model plus a few hundred unlabeled samples in, an INT8 QDQ model out.
/// </summary>
public static class Quantizer
{
    /// <summary>Default Quantization of the model at <paramref name="modelPath"/>; the file is only read.</summary>
    /// <param name="modelPath">The float model.</param>
    /// <param name="calibrationData">Unlabeled samples; <see cref="QuantizationOptions.SubsetSize"/> of them calibrate.</param>
    /// <param name="options">Preset, device, estimators and the rest; POT's defaults when null.</param>
    /// <param name="progress">Receives each stage's progress.</param>
    /// <param name="cancellationToken">Stops the run between samples.</param>
    /// <exception cref="PtqException">The model, data or options are not usable; the message says why.</exception>
    public static QuantizationResult Quantize(
        string modelPath, Dataset calibrationData, QuantizationOptions? options = null,
        IProgress<QuantizationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Quantize(OnnxModel.Load(modelPath), calibrationData, options, progress, cancellationToken);

    /// <summary>Default Quantization of a loaded model; <paramref name="model"/> is not modified.</summary>
    /// <param name="model">The float model.</param>
    /// <param name="calibrationData">Unlabeled samples; <see cref="QuantizationOptions.SubsetSize"/> of them calibrate.</param>
    /// <param name="options">Preset, device, estimators and the rest; POT's defaults when null.</param>
    /// <param name="progress">Receives each stage's progress.</param>
    /// <param name="cancellationToken">Stops the run between samples.</param>
    /// <exception cref="PtqException">The model, data or options are not usable; the message says why.</exception>
    public static QuantizationResult Quantize(
        OnnxModel model, Dataset calibrationData, QuantizationOptions? options = null,
        IProgress<QuantizationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new QuantizationOptions();
        using var runtime = RuntimeScope.Enter(options.Runtime);
        using var scratch = ScratchFolder.Enter();
        var total = Stopwatch.StartNew();
        var calibrated = DefaultQuantization.Calibrate(model.Proto, calibrationData, options, [options.Preset], progress, cancellationToken);
        var (quantized, plan) = calibrated.Build(options.Preset, []);
        ModelMetadata.Record(quantized, calibrationData, options);
        var calibrationTime = total.Elapsed;
        var report = Report(model.Proto, quantized, plan, calibrated, options.Preset, calibrationData, progress, calibrationTime, total);
        return new QuantizationResult(ScratchFolder.Result(quantized), report, options.LatencyAware.AllowFloatModel);
    }

    /// <summary>
    /// Accuracy-aware Quantization (POT's AccuracyAwareQuantization): the most quantized model whose
    /// metric drop on annotated validation data stays within <see cref="AccuracyControlOptions.MaxDrop"/>,
    /// found by reverting to float the ops that hurt most.
    /// </summary>
    /// <param name="model">The float model.</param>
    /// <param name="calibrationData">Unlabeled samples for Default Quantization.</param>
    /// <param name="validationData">Samples the metric is measured on (labeled for accuracy metrics).</param>
    /// <param name="metric">A per-sample metric: built in (e.g. <see cref="AccuracyMetric.Top1"/>) or <see cref="AccuracyMetric.Create"/>.</param>
    /// <param name="options">The bound and the search's settings.</param>
    /// <param name="quantization">Default Quantization's settings.</param>
    /// <param name="progress">Receives each stage's progress.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    public static AccuracyControlResult QuantizeWithAccuracyControl(
        OnnxModel model, Dataset calibrationData, Dataset validationData, AccuracyMetric metric,
        AccuracyControlOptions? options = null, QuantizationOptions? quantization = null,
        IProgress<QuantizationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new AccuracyControlOptions();
        using var runtime = RuntimeScope.Enter(quantization?.Runtime);
        using var scratch = ScratchFolder.Enter();
        var evaluator = new ValidationEvaluator(validationData, metric, validate: null, options.Parallelism);
        return AccuracyControlLoop.Run(model.Proto, calibrationData, evaluator, quantization ?? new QuantizationOptions(), options, progress, cancellationToken);
    }

    /// <summary>
    /// Accuracy-aware Quantization against a score from your validation function
    /// <c>(model, validationData) => score</c>, higher is better, for any task. Without per-sample
    /// values, ops are ranked by how much reverting each reduces the output error against FP32.
    /// </summary>
    /// <param name="model">The float model.</param>
    /// <param name="calibrationData">Unlabeled samples for Default Quantization.</param>
    /// <param name="validationData">What <paramref name="validate"/> scores on.</param>
    /// <param name="validate">Scores a model on the validation data; called once per full evaluation.</param>
    /// <param name="options">The bound and the search's settings.</param>
    /// <param name="quantization">Default Quantization's settings.</param>
    /// <param name="progress">Receives each stage's progress.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    public static AccuracyControlResult QuantizeWithAccuracyControl(
        OnnxModel model, Dataset calibrationData, Dataset validationData, Func<OnnxModel, Dataset, double> validate,
        AccuracyControlOptions? options = null, QuantizationOptions? quantization = null,
        IProgress<QuantizationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new AccuracyControlOptions();
        using var runtime = RuntimeScope.Enter(quantization?.Runtime);
        using var scratch = ScratchFolder.Enter();
        var evaluator = new ValidationEvaluator(validationData, metric: null, (m, d) => validate(new OnnxModel(m), d), options.Parallelism);
        return AccuracyControlLoop.Run(model.Proto, calibrationData, evaluator, quantization ?? new QuantizationOptions(), options, progress, cancellationToken);
    }

    /// <summary>Compares the written model with the original on held-out samples and counts its integer kernels.</summary>
    internal static QuantizationReport Report(
        ModelProto original, ModelProto quantized, QuantizationPlan plan, CalibratedModel calibrated, QuantizationPreset preset,
        Dataset calibrationData, IProgress<QuantizationProgress>? progress, TimeSpan calibrationTime, Stopwatch total)
    {
        OutputAgreement? agreement = null;
        if (calibrated.Split.HoldOut.Count > 0)
        {
            progress?.Report(new QuantizationProgress("Comparing FP32 and INT8 on held-out samples", 0, 1));
            agreement = ModelComparison.Agreement(original, quantized, calibrationData, calibrated.Split.HoldOut);
        }

        progress?.Report(new QuantizationProgress("Checking integer kernels", 0, 1));
        return new QuantizationReport
        {
            TargetDevice = calibrated.Rules.Name,
            Preset = preset,
            EffectivePreset = QuantizerSelection.Effective(calibrated.Rules, preset, calibrated.Options.ActivationConstraints, calibrated.Options.WeightConstraints),
            Precision = PrecisionReport.For(quantized, calibrated.Rules.Operations.Keys),
            OverflowFix = calibrated.Rules.OverflowFix ? calibrated.Options.OverflowFix : OverflowFix.None, // other devices do not saturate
            OriginalOpset = calibrated.OriginalOpset,
            OpTypes = CountOpTypes(plan),
            Skipped = plan.Skipped.Select(s => new SkippedNode(s.Node.Name, s.Node.OpType, s.Reason)).ToList(),
            ActivationQuantizers = plan.Groups.Sum(g => g.Tensors.Count),
            Rewrites = calibrated.Rewrites,
            BiasesCorrected = plan.Ops.Count(o => calibrated.IsBiasCorrected(preset, o.Node)),
            GptqRounded = plan.Ops.Where(o => calibrated.IsGptqRounded(preset, o.Node)).Select(o => o.Node.Name).ToList(),
            SizeBefore = OnnxModelIO.SizeOf(original),
            SizeAfter = OnnxModelIO.SizeOf(quantized),
            CalibrationSamples = calibrated.Split.Calibration,
            HoldOutSamples = calibrated.Split.HoldOut,
            HoldOutAgreement = agreement,
            Latency = calibrated.Latency,
            Kernels = FusedKernelReport.For(quantized),
            CalibrationTime = calibrationTime,
            TotalTime = total.Elapsed,
        };
    }

    private static List<OpTypeCount> CountOpTypes(QuantizationPlan plan)
    {
        var quantized = plan.Ops.GroupBy(o => o.Node.OpType).ToDictionary(g => g.Key, g => g.Count());
        var skipped = plan.Skipped.GroupBy(s => s.Node.OpType).ToDictionary(g => g.Key, g => g.Count());
        return quantized.Keys.Union(skipped.Keys).Order(StringComparer.Ordinal)
            .Select(t => new OpTypeCount(t, quantized.GetValueOrDefault(t), quantized.GetValueOrDefault(t) + skipped.GetValueOrDefault(t)))
            .ToList();
    }
}
