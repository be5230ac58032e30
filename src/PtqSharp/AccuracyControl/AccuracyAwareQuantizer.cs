using Onnx;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using PtqSharp.Statistics;

namespace PtqSharp.AccuracyControl;

/// <summary>The model accuracy control settled on, the fully quantized model it started from, and the report.</summary>
public sealed class AccuracyAwareResult
{
    internal AccuracyAwareResult(ModelProto model, ModelProto fullyQuantized, AccuracyControlReport report)
    {
        Model = model;
        FullyQuantizedModel = fullyQuantized;
        Report = report;
    }

    /// <summary>The final model: within the bound, or the best found when <see cref="AccuracyControlReport.BoundMet"/> is false.</summary>
    public ModelProto Model { get; }

    /// <summary>The Default Quantization result, every quantizable op quantized.</summary>
    public ModelProto FullyQuantizedModel { get; }

    public AccuracyControlReport Report { get; }

    /// <summary>Writes the final model whole or not at all.</summary>
    public void Save(string path) => OnnxModelIO.Save(Model, path);

    /// <summary>
    /// Writes the final model to <paramref name="path"/> and beside it the fully quantized model
    /// (<c>name.fully-quantized.onnx</c>) and the report (<c>name.accuracy.txt</c>, <c>name.accuracy.json</c>).
    /// </summary>
    /// <returns>The paths written, final model first.</returns>
    public IReadOnlyList<string> SaveAll(string path)
    {
        var stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileNameWithoutExtension(path));
        string full = stem + ".fully-quantized.onnx", text = stem + ".accuracy.txt", json = stem + ".accuracy.json";
        Save(path);
        OnnxModelIO.Save(FullyQuantizedModel, full);
        AtomicFile.WriteAllText(text, Report.ToText());
        AtomicFile.WriteAllText(json, Report.ToJson());
        return [Path.GetFullPath(path), full, text, json];
    }
}

/// <summary>
/// Accuracy-aware Quantization, like POT's AccuracyAwareQuantization and
/// <c>nncf.quantize_with_accuracy_control</c>: the most quantized model whose metric drop on
/// annotated validation data stays within a bound, found by reverting the ops that hurt most to float.
/// </summary>
public static class AccuracyAwareQuantizer
{
    /// <summary>Controls a per-sample metric (built in, e.g. <see cref="AccuracyMetric.Top1"/>, or a user's).</summary>
    public static AccuracyAwareResult Quantize(
        ModelProto model, Dataset calibrationData, Dataset validationData, AccuracyMetric metric,
        AccuracyControlOptions? options = null, QuantizationOptions? quantization = null,
        IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new AccuracyControlOptions();
        var evaluator = new ValidationEvaluator(validationData, metric, validate: null, options.Parallelism);
        return AccuracyAwareQuantization.Run(model, calibrationData, evaluator, quantization ?? new QuantizationOptions(), options, progress, cancellationToken);
    }

    /// <summary>
    /// Controls a score from the user's validation function <c>(model, validationData) => score</c>,
    /// higher is better, for any task. Without per-sample values, ops are ranked by how much reverting
    /// each reduces the output error against FP32.
    /// </summary>
    public static AccuracyAwareResult Quantize(
        ModelProto model, Dataset calibrationData, Dataset validationData, Func<ModelProto, Dataset, double> validate,
        AccuracyControlOptions? options = null, QuantizationOptions? quantization = null,
        IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new AccuracyControlOptions();
        var evaluator = new ValidationEvaluator(validationData, metric: null, validate, options.Parallelism);
        return AccuracyAwareQuantization.Run(model, calibrationData, evaluator, quantization ?? new QuantizationOptions(), options, progress, cancellationToken);
    }
}
