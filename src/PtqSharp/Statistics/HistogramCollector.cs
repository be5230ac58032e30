using Onnx;
using PtqSharp.Data;
using PtqSharp.Onnx;

namespace PtqSharp.Statistics;

/// <summary>
/// A second calibration pass for histogram-based range estimators: each observed tensor comes out
/// of ONNX Runtime whole, is binned over the range the first pass found, and is dropped, so memory
/// is the bins, whatever the number of samples.
/// </summary>
internal static class HistogramCollector
{
    public static Dictionary<string, Histogram> Collect(
        ModelProto model, IReadOnlyDictionary<string, float> absMaxByTensor, Dataset data, IReadOnlyList<int> indices, int batchSize,
        IProgress<CalibrationProgress>? progress, CancellationToken cancellationToken)
    {
        var tensors = absMaxByTensor.Keys.ToList();
        var copy = GraphOutputs.Expose(model, tensors);
        var result = tensors.ToDictionary(t => t, t => new Histogram(absMaxByTensor[t]));
        var names = tensors.ToArray();
        StatisticsCollector.Run(copy, names, data, indices, batchSize, "Collecting histograms", progress, cancellationToken, values =>
        {
            for (int i = 0; i < names.Length; i++) result[names[i]].Add(values[i].GetTensorDataAsSpan<float>());
        });

        return result;
    }
}
