using Onnx;
using PtqSharp.Data;
using PtqSharp.Execution;
using PtqSharp.Onnx;

namespace PtqSharp.Evaluation;

/// <summary>Compares a float and a quantized model on samples, and scores models with a metric.</summary>
public static class ModelComparison
{
    /// <summary>
    /// Agreement of the first float output on the given samples. Top-1 agreement is reported when
    /// each sample's output is a vector of scores (the output is [batch, classes]).
    /// </summary>
    /// <param name="reference">Usually the FP32 model.</param>
    /// <param name="candidate">Usually its quantized version.</param>
    /// <param name="data">Samples both models accept.</param>
    /// <param name="indices">Which samples to compare on.</param>
    public static OutputAgreement Agreement(OnnxModel reference, OnnxModel candidate, Dataset data, IReadOnlyList<int> indices) =>
        Agreement(reference.Proto, candidate.Proto, data, indices);

    internal static OutputAgreement Agreement(ModelProto reference, ModelProto candidate, Dataset data, IReadOnlyList<int> indices)
    {
        using var a = new ModelSession(reference);
        using var b = new ModelSession(candidate);
        var acc = new OutputAgreement.Accumulator();
        bool classifier = IsClassifierOutput(reference);
        foreach (var i in indices)
        {
            var sample = data.Get(i);
            var ra = a.Run(sample).FirstOrDefault(o => o is not null);
            var rb = b.Run(sample).FirstOrDefault(o => o is not null);
            if (ra is null || rb is null) break;
            acc.Add(ra, rb);
        }

        return acc.Result(classifier);
    }

    /// <summary>Top-1 accuracy of a classifier (argmax of the first output) on labeled data.</summary>
    /// <param name="model">The classifier.</param>
    /// <param name="data">Labeled samples.</param>
    /// <param name="progress">Receives the number of samples scored.</param>
    public static double Top1(OnnxModel model, LabeledDataset data, IProgress<int>? progress = null) =>
        Score(model.Proto, data, AccuracyMetric.Top1(data), reference: null, progress);

    /// <summary>
    /// The mean of a per-sample metric over the dataset. Agreement metrics compare with
    /// <paramref name="reference"/>'s outputs (without one, the model is its own reference).
    /// </summary>
    /// <param name="model">The model to score.</param>
    /// <param name="data">Validation samples.</param>
    /// <param name="metric">The metric, e.g. <see cref="AccuracyMetric.Top1"/>.</param>
    /// <param name="reference">The model agreement metrics compare with.</param>
    /// <param name="progress">Receives the number of samples scored.</param>
    public static double Score(OnnxModel model, Dataset data, AccuracyMetric metric, OnnxModel? reference = null, IProgress<int>? progress = null) =>
        Score(model.Proto, data, metric, reference?.Proto, progress);

    internal static double Score(ModelProto model, Dataset data, AccuracyMetric metric, ModelProto? reference, IProgress<int>? progress)
    {
        using var session = new ModelSession(model);
        using var referenceSession = reference is null ? null : new ModelSession(reference);
        metric = metric.BindTo(reference ?? model);
        double sum = 0;
        for (int i = 0; i < data.Count; i++)
        {
            var sample = data.Get(i);
            var outputs = session.Run(sample);
            sum += metric.Evaluate(i, outputs, referenceSession?.Run(sample) ?? outputs);
            progress?.Report(i + 1);
        }

        return data.Count == 0 ? double.NaN : sum / data.Count;
    }

    private static bool IsClassifierOutput(ModelProto model)
    {
        var output = model.Graph.Output.FirstOrDefault();
        var dims = output?.Type?.TensorType?.Shape?.Dim;
        return dims is { Count: 2 } && dims[1].DimValue > 1;
    }
}
