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

    public static CalibrationStatistics Collect(
        ModelProto model, IReadOnlyList<string> tensors, IReadOnlyList<string> channelMeanTensors, Dataset data, IReadOnlyList<int> indices, int batchSize,
        IProgress<CalibrationProgress>? progress, CancellationToken cancellationToken)
    {
        var (instrumented, outputs) = InPlaceStatistics.Instrument(model, tensors);
        var meanOutputs = InPlaceStatistics.AddChannelMeans(instrumented, channelMeanTensors.Distinct().ToList());
        var result = tensors.Distinct().ToDictionary(t => t, _ => new MinMaxAggregator());
        var means = meanOutputs.ToDictionary(m => m.Tensor, _ => new MeanAggregator());

        var outputNames = outputs.SelectMany(o => new[] { o.MinOutput, o.MaxOutput }).Concat(meanOutputs.Select(m => m.MeanOutput)).ToArray();
        Run(instrumented, outputNames, data, indices, batchSize, "Collecting statistics", progress, cancellationToken, values =>
        {
            for (int i = 0; i < outputs.Count; i++)
            {
                float min = OutputReader.ToFloats(values[2 * i])[0];
                float max = OutputReader.ToFloats(values[2 * i + 1])[0];
                result[outputs[i].Tensor].Add(min, max);
            }

            for (int i = 0; i < meanOutputs.Count; i++)
            {
                means[meanOutputs[i].Tensor].Add(OutputReader.ToFloats(values[2 * outputs.Count + i]));
            }
        });

        return new CalibrationStatistics(result, means.ToDictionary(kv => kv.Key, kv => kv.Value.Mean), new Dictionary<string, Histogram>());
    }

    /// <summary>
    /// Runs the samples through the model in batches and hands each batch's requested outputs to
    /// <paramref name="consume"/>, which must not keep them: every calibration pass streams this way.
    /// </summary>
    public static void Run(
        ModelProto model, string[] outputNames, Dataset data, IReadOnlyList<int> indices, int batchSize, string stage,
        IProgress<CalibrationProgress>? progress, CancellationToken cancellationToken, Action<IReadOnlyList<OrtValue>> consume)
    {
        // Full optimization is safe here: the observed tensors feed graph outputs, which ONNX
        // Runtime never fuses away, and it makes calibration cost close to plain inference.
        using var session = SessionFactory.ForInference(model);
        var feeder = new SampleFeeder(session);
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
                consume(values);
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

            progress?.Report(new CalibrationProgress(stage, done, indices.Count));
        }
    }
}

/// <summary>What calibration yields: ranges of the quantized tensors, channel means of the inputs of biased layers, histograms when an estimator needs them.</summary>
internal sealed record CalibrationStatistics(
    IReadOnlyDictionary<string, MinMaxAggregator> Ranges, IReadOnlyDictionary<string, float[]> ChannelMeans, IReadOnlyDictionary<string, Histogram> Histograms);

/// <summary>Running mean of equally sized vectors.</summary>
internal sealed class MeanAggregator
{
    private double[]? _sum;
    private int _count;

    public void Add(ReadOnlySpan<float> values)
    {
        _sum ??= new double[values.Length];
        if (values.Length != _sum.Length) return; // a sample of another width carries no comparable channel means
        for (int i = 0; i < values.Length; i++) _sum[i] += values[i];
        _count++;
    }

    public float[] Mean => _sum is null ? [] : _sum.Select(v => (float)(v / _count)).ToArray();
}
