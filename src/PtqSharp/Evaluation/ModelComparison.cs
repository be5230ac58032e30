using Onnx;
using PtqSharp.Data;

namespace PtqSharp.Evaluation;

/// <summary>Compares a float and a quantized model on samples, and scores classifiers on labels.</summary>
public static class ModelComparison
{
    /// <summary>
    /// Agreement of the first float output on the given samples. Top-1 agreement is reported when
    /// each sample's output is a vector of scores (the output is [batch, classes]).
    /// </summary>
    public static OutputAgreement Agreement(ModelProto reference, ModelProto candidate, Dataset data, IReadOnlyList<int> indices)
    {
        using var a = new ModelRunner(reference);
        using var b = new ModelRunner(candidate);
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
    public static double Top1(ModelProto model, LabeledDataset data, IProgress<int>? progress = null) =>
        Score(model, data, AccuracyMetric.Top1(data), reference: null, progress);

    /// <summary>
    /// The mean of a per-sample metric over the dataset. Agreement metrics compare with
    /// <paramref name="reference"/>'s outputs (without one, the model is its own reference).
    /// </summary>
    public static double Score(ModelProto model, Dataset data, AccuracyMetric metric, ModelProto? reference = null, IProgress<int>? progress = null)
    {
        using var runner = new ModelRunner(model);
        using var referenceRunner = reference is null ? null : new ModelRunner(reference);
        double sum = 0;
        for (int i = 0; i < data.Count; i++)
        {
            var sample = data.Get(i);
            var outputs = runner.Run(sample);
            sum += metric.Evaluate(i, outputs, referenceRunner?.Run(sample) ?? outputs);
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
