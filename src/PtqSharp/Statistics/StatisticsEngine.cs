using Onnx;
using PtqSharp.Data;
using PtqSharp.Execution;
using PtqSharp.Quantization;

namespace PtqSharp.Statistics;

/// <summary>
/// The one place calibration data flows through a model. Given a model and the statistic points a
/// stage needs, it instruments a copy once, runs the calibration samples through it in batches and
/// streams each requested output into its aggregator: memory stays flat in the number of samples,
/// and no step reads the dataset itself.
/// </summary>
internal sealed class StatisticsEngine
{
    // Each image-sized sample is a large-object-heap array that only a gen-2 collection frees; on a
    // machine with plenty of RAM that comes late, so memory would grow with the subset size.
    private const long LargeObjectBudget = 64L << 20;

    private readonly Dataset _data;
    private readonly int _batchSize;
    private readonly IProgress<QuantizationProgress>? _progress;
    private readonly CancellationToken _cancellationToken;

    public StatisticsEngine(Dataset data, IReadOnlyList<int> samples, int batchSize, IProgress<QuantizationProgress>? progress, CancellationToken cancellationToken)
    {
        _data = data;
        Samples = samples;
        _batchSize = batchSize;
        _progress = progress;
        _cancellationToken = cancellationToken;
    }

    /// <summary>The calibration samples, by index into the dataset.</summary>
    public IReadOnlyList<int> Samples { get; }

    /// <summary>
    /// The same engine on the first <paramref name="count"/> samples only, for steps that run many
    /// passes; without <paramref name="reportProgress"/> its passes report nothing and the step reports
    /// its own progress through <see cref="Report"/>.
    /// </summary>
    public StatisticsEngine Take(int count, bool reportProgress = true) =>
        new(_data, Samples.Take(count).ToList(), _batchSize, reportProgress ? _progress : null, _cancellationToken);

    /// <summary>Reports a step's own progress (layers done, say) on the run's progress.</summary>
    public void Report(string stage, int done, int total) => _progress?.Report(new QuantizationProgress(stage, done, total));

    /// <summary>Collects every point in one pass over the samples; nothing is run when there are no points.</summary>
    public StatisticsContainer Collect(ModelProto model, IEnumerable<StatisticPoint> points, string stage)
    {
        var distinct = points.Distinct().ToList();
        if (distinct.Count == 0) return StatisticsContainer.Empty;

        var instrumented = new ModelInstrumentation(model);
        var outputs = new List<string>();
        var routes = new List<(IStatisticAccumulator Accumulator, int Part)>();
        var accumulators = new Dictionary<StatisticPoint, IStatisticAccumulator>();
        int runs = (Samples.Count + Math.Max(1, _batchSize) - 1) / Math.Max(1, _batchSize);
        foreach (var point in distinct)
        {
            var accumulator = point.Statistic.CreateAccumulator(runs);
            accumulators[point] = accumulator;
            var parts = point.Statistic.Instrument(instrumented, point.Tensor);
            for (int p = 0; p < parts.Count; p++)
            {
                outputs.Add(parts[p]);
                routes.Add((accumulator, p));
            }
        }

        // Full optimization is safe here: the observed tensors feed graph outputs, which ONNX Runtime
        // never fuses away, and it makes calibration cost close to plain inference.
        using var session = new ModelSession(instrumented.Model);
        int done = 0;
        long bytesSinceCollect = 0;
        foreach (var (batch, count) in SampleBatcher.Batches(_data, Samples, _batchSize))
        {
            _cancellationToken.ThrowIfCancellationRequested();
            session.Run(batch, outputs, (k, values) => routes[k].Accumulator.Add(routes[k].Part, values));
            done += count;

            bytesSinceCollect += batch.Inputs.Values.Sum(t => (long)Buffer.ByteLength(t.Data));
            if (bytesSinceCollect > LargeObjectBudget)
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: false);
                bytesSinceCollect = 0;
            }

            _progress?.Report(new QuantizationProgress(stage, done, Samples.Count));
        }

        return new StatisticsContainer(accumulators.ToDictionary(kv => kv.Key, kv => kv.Value.Result));
    }
}
