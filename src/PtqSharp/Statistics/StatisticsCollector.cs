using Microsoft.ML.OnnxRuntime;
using Onnx;
using PtqSharp.Data;
using PtqSharp.Execution;

namespace PtqSharp.Statistics;

/// <summary>Progress of a pass over calibration samples.</summary>
public readonly record struct CalibrationProgress(string Stage, int Done, int Total);

/// <summary>
/// Runs the calibration subset through the model once, with reductions added in the graph, and
/// aggregates each observed tensor's range as it streams.
/// </summary>
internal static class StatisticsCollector
{
    private const long LargeObjectBudget = 64L << 20;

    public static Dictionary<string, MinMaxAggregator> Collect(
        ModelProto model, IReadOnlyList<string> tensors, Dataset data, IReadOnlyList<int> indices, int batchSize,
        IProgress<CalibrationProgress>? progress, CancellationToken cancellationToken)
    {
        var (instrumented, outputs) = InPlaceStatistics.Instrument(model, tensors);
        var result = tensors.Distinct().ToDictionary(t => t, _ => new MinMaxAggregator());

        // Full optimization is safe here: the observed tensors feed graph outputs, which ONNX
        // Runtime never fuses away, and it makes calibration cost close to plain inference.
        using var session = SessionFactory.ForInference(instrumented);
        var feeder = new SampleFeeder(session);
        var outputNames = outputs.SelectMany(o => new[] { o.MinOutput, o.MaxOutput }).ToArray();
        using var runOptions = new RunOptions();
        int done = 0;
        long bytesSinceCollect = 0;
        foreach (var (batch, count) in SampleBatcher.Batches(data, indices, batchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var inputs = feeder.Feed(batch);
            try
            {
                using var values = session.Run(runOptions, feeder.InputNames, inputs, outputNames);
                for (int i = 0; i < outputs.Count; i++)
                {
                    float min = OutputReader.ToFloats(values[2 * i])[0];
                    float max = OutputReader.ToFloats(values[2 * i + 1])[0];
                    result[outputs[i].Tensor].Add(min, max);
                }
            }
            catch (OnnxRuntimeException e)
            {
                ThrowHelper.Throw($"ONNX Runtime failed on sample {SampleFeeder.SourceOf(batch)}: {e.Message}", e);
            }
            finally
            {
                foreach (var v in inputs) v.Dispose();
            }

            done += count;

            // Each image-sized sample is a large-object-heap array that only a gen-2 collection frees;
            // on a machine with plenty of RAM that comes late, so memory would grow with the subset size.
            bytesSinceCollect += batch.Inputs.Values.Sum(t => (long)Buffer.ByteLength(t.Data));
            if (bytesSinceCollect > LargeObjectBudget)
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: false);
                bytesSinceCollect = 0;
            }

            progress?.Report(new CalibrationProgress("Collecting statistics", done, indices.Count));
        }

        return result;
    }
}
