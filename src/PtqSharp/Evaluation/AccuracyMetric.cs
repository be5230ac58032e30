using PtqSharp.Data;
using PtqSharp.Evaluation.Metrics;

namespace PtqSharp.Evaluation;

/// <summary>
/// A task metric made of per-sample values, higher is better; the metric of a dataset is their
/// mean. Per-sample values let accuracy control find the samples and layers that quantization hurts.
/// For a lower-is-better metric (a loss), return its negative.
/// </summary>
public abstract class AccuracyMetric
{
    /// <summary>Short name for reports and the command line, e.g. "top1".</summary>
    public abstract string Name { get; }

    /// <summary>The value of one sample.</summary>
    /// <param name="sample">Index of the sample in the validation dataset, e.g. to look up its label.</param>
    /// <param name="outputs">Outputs of the evaluated model, in model order (null for non-float outputs).</param>
    /// <param name="reference">Outputs of the original FP32 model on the same sample.</param>
    public abstract double Evaluate(int sample, IReadOnlyList<float[]?> outputs, IReadOnlyList<float[]?> reference);

    /// <summary>The metric as it applies to outputs of <paramref name="model"/> (the FP32 original); most metrics need nothing from it.</summary>
    internal virtual AccuracyMetric BindTo(global::Onnx.ModelProto model) => this;

    /// <summary>Top-1 accuracy of a classifier: argmax of the first float output against the label.</summary>
    public static AccuracyMetric Top1(LabeledDataset data) => new TopKAccuracy(data, 1);

    /// <summary>Top-5 accuracy: the label is among the five highest scores.</summary>
    public static AccuracyMetric Top5(LabeledDataset data) => new TopKAccuracy(data, 5);

    /// <summary>
    /// For unlabeled data: 1 where the quantized model's top-1 class is the FP32 model's, else 0; for outputs of several
    /// positions of class scores (the last axis the classes), the share of positions that agree.
    /// </summary>
    public static AccuracyMetric Top1Agreement { get; } = new Top1Agreement();

    /// <summary>For unlabeled data: cosine similarity of the first float output with the FP32 model's.</summary>
    public static AccuracyMetric Cosine { get; } = new CosineAgreement();

    /// <summary>A user metric from a per-sample function of the sample index and the model outputs.</summary>
    public static AccuracyMetric Create(string name, Func<int, IReadOnlyList<float[]?>, double> perSample) => new CustomMetric(name, perSample);

    /// <summary>The first float output, which the built-in metrics score.</summary>
    protected static float[] FirstFloat(IReadOnlyList<float[]?> outputs, string metric) =>
        outputs.FirstOrDefault(o => o is not null)
        ?? throw new PtqException($"Metric '{metric}' needs a floating-point model output, and the model has none.");
}
