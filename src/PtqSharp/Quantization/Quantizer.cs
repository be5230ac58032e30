using System.Diagnostics;
using Onnx;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Hardware;
using PtqSharp.Onnx;
using PtqSharp.Statistics;

namespace PtqSharp.Quantization;

/// <summary>The quantized model and its report.</summary>
public sealed class QuantizationResult
{
    internal QuantizationResult(ModelProto model, QuantizationReport report)
    {
        Model = model;
        Report = report;
    }

    public ModelProto Model { get; }

    public QuantizationReport Report { get; }

    /// <summary>Writes the model whole or not at all.</summary>
    public void Save(string path) => OnnxModelIO.Save(Model, path);
}

/// <summary>
/// Default Quantization: an FP32 or FP16 ONNX model plus a few hundred unlabeled samples in, an INT8
/// QDQ model out. The entry point of the library, like <c>nncf.quantize</c>.
/// </summary>
public static class Quantizer
{
    /// <summary>Quantizes the model at <paramref name="modelPath"/>; the file is only read.</summary>
    public static QuantizationResult Quantize(
        string modelPath, Dataset calibrationData, QuantizationOptions? options = null,
        IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Quantize(OnnxModelIO.Load(modelPath), calibrationData, options, progress, cancellationToken);

    /// <summary>Quantizes a loaded model; <paramref name="model"/> is not modified.</summary>
    public static QuantizationResult Quantize(
        ModelProto model, Dataset calibrationData, QuantizationOptions? options = null,
        IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new QuantizationOptions();
        var total = Stopwatch.StartNew();
        var rules = options.Rules;
        var calibrated = DefaultQuantization.Calibrate(model, calibrationData, options, rules, progress, cancellationToken);
        var (quantized, plan) = calibrated.Build(options.Preset, []);
        var calibrationTime = total.Elapsed;
        var report = Report(model, quantized, plan, calibrated, options.Preset, calibrationData, progress, calibrationTime, total);
        return new QuantizationResult(quantized, report);
    }

    /// <summary>Compares the written model with the original on held-out samples and counts its integer kernels.</summary>
    internal static QuantizationReport Report(
        ModelProto original, ModelProto quantized, QuantizationPlan plan, CalibratedModel calibrated, QuantizationPreset preset,
        Dataset calibrationData, IProgress<CalibrationProgress>? progress, TimeSpan calibrationTime, Stopwatch total)
    {
        OutputAgreement? agreement = null;
        if (calibrated.Split.HoldOut.Count > 0)
        {
            progress?.Report(new CalibrationProgress("Comparing FP32 and INT8 on held-out samples", 0, 1));
            agreement = ModelComparison.Agreement(original, quantized, calibrationData, calibrated.Split.HoldOut);
        }

        progress?.Report(new CalibrationProgress("Checking integer kernels", 0, 1));
        return new QuantizationReport
        {
            TargetDevice = calibrated.Rules.Name,
            Preset = preset,
            EffectivePreset = QuantizerSelection.Effective(calibrated.Rules, preset),
            Precision = PrecisionReport.For(quantized, calibrated.Rules.Operations.Keys),
            OverflowFix = calibrated.Rules.OverflowFix ? calibrated.Options.OverflowFix : OverflowFix.None, // other devices do not saturate
            OriginalOpset = calibrated.OriginalOpset,
            OpTypes = CountOpTypes(plan),
            Skipped = plan.Skipped.Select(s => new SkippedNode(s.Node.Name, s.Node.OpType, s.Reason)).ToList(),
            ActivationQuantizers = plan.Groups.Sum(g => g.Tensors.Count),
            BiasesCorrected = plan.Ops.Count(o => calibrated.IsBiasCorrected(preset, o.Node)),
            SizeBefore = original.CalculateSize(),
            SizeAfter = quantized.CalculateSize(),
            CalibrationSamples = calibrated.Split.Calibration.Count,
            HoldOutAgreement = agreement,
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
