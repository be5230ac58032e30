using Microsoft.ML.OnnxRuntime;
using Onnx;
using PtqSharp.Data;
using PtqSharp.Execution;
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
        var copy = model.Clone();
        var existing = copy.Graph.Output.Select(o => o.Name).ToHashSet();
        foreach (var t in tensors.Where(existing.Add))
        {
            copy.Graph.Output.Add(new ValueInfoProto { Name = t, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = TensorData.Float } } });
        }

        var result = tensors.ToDictionary(t => t, t => new Histogram(absMaxByTensor[t]));
        using var session = SessionFactory.ForInference(copy);
        var feeder = new SampleFeeder(session);
        using var runOptions = new RunOptions();
        var names = tensors.ToArray();
        int done = 0;
        foreach (var (batch, count) in SampleBatcher.Batches(data, indices, batchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var inputs = feeder.Feed(batch);
            try
            {
                using var values = session.Run(runOptions, feeder.InputNames, inputs, names);
                for (int i = 0; i < names.Length; i++) result[names[i]].Add(values[i].GetTensorDataAsSpan<float>());
            }
            finally
            {
                foreach (var v in inputs) v.Dispose();
            }

            done += count;
            progress?.Report(new CalibrationProgress("Collecting histograms", done, indices.Count));
        }

        return result;
    }
}
