using Onnx;
using PtqSharp.Data;
using PtqSharp.Execution;
using PtqSharp.Onnx;
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

    /// <summary>Sessions run side by side; null to choose by model size and cores (see <see cref="Workers"/>).</summary>
    public int? Parallelism { get; init; }

    /// <summary>
    /// The same engine on the first <paramref name="count"/> samples only, for steps that run many
    /// passes; without <paramref name="reportProgress"/> its passes report nothing and the step reports
    /// its own progress through <see cref="Report"/>.
    /// </summary>
    public StatisticsEngine Take(int count, bool reportProgress = true) =>
        new(_data, Samples.Take(count).ToList(), _batchSize, reportProgress ? _progress : null, _cancellationToken) { Parallelism = Parallelism };

    /// <summary>Reports a step's own progress (layers done, say) on the run's progress.</summary>
    public void Report(string stage, int done, int total) => _progress?.Report(new QuantizationProgress(stage, done, total));

    /// <summary>Collects every point in one pass over the samples; nothing is run when there are no points.</summary>
    public StatisticsContainer Collect(ModelProto model, IEnumerable<StatisticPoint> points, string stage)
    {
        var distinct = points.Distinct().ToList();
        if (distinct.Count == 0) return StatisticsContainer.Empty;

        int runs = SampleBatcher.Count(Samples.Count, _batchSize);
        var instrumented = new InstrumentedPoints(model, distinct, runs);

        int workers = Math.Clamp(Parallelism ?? Workers(model, runs), 1, runs);
        var turns = new Turns();
        int done = 0;
        long bytesSinceCollect = 0;
        ParallelRunner.For(workers, workers, _cancellationToken, w =>
        {
            try
            {
                // Full optimization is safe here: the observed tensors feed graph outputs, which ONNX
                // Runtime never fuses away, and it makes calibration cost close to plain inference.
                using var session = new ModelSession(instrumented.Model, workers == 1 ? ExecutionSettings.Default : ExecutionSettings.WithThreads(1));
                for (int b = w; b < runs; b += workers)
                {
                    _cancellationToken.ThrowIfCancellationRequested();
                    var (batch, count) = SampleBatcher.Batch(_data, Samples, _batchSize, b);

                    // Runs overlap; aggregation goes in batch order, so results do not depend on timing.
                    // A worker that finds another failed stops quietly, so the first error is the one reported.
                    bool? turn = null;
                    session.Run(batch, instrumented.Outputs, (k, values) =>
                    {
                        turn ??= turns.WaitFor(b);
                        if (turn == true)
                        {
                            instrumented.Add(k, values);
                        }
                    });
                    if ((turn ??= turns.WaitFor(b)) == false) return;

                    done += count;
                    bytesSinceCollect += batch.Inputs.Values.Sum(t => (long)Buffer.ByteLength(t.Data));
                    if (bytesSinceCollect > LargeObjectBudget)
                    {
                        GC.Collect(2, GCCollectionMode.Forced, blocking: false);
                        bytesSinceCollect = 0;
                    }

                    _progress?.Report(new QuantizationProgress(stage, done, Samples.Count));
                    turns.Pass(b);
                }
            }
            catch
            {
                turns.Fail();
                throw;
            }
        });

        return instrumented.Results();
    }

    /// <summary>
    /// A pass over these samples that runs a model piece by piece, keeping what crosses from one piece to the next, up
    /// to <paramref name="keptBytes"/> (a piece that would keep more fails).
    /// </summary>
    public PiecewisePass Piecewise(long keptBytes) => new(new TensorCache(_data, Samples, _batchSize, keptBytes), runs: SampleBatcher.Count(Samples.Count, _batchSize));

    /// <summary>
    /// How many one-thread sessions run the pass side by side. On small models that beats one session
    /// over every core: ONNX Runtime splits small kernels poorly and runs layout reorders of exposed
    /// tensors on one thread (MobileNetV3-Small with its activations exposed, 2 cores: 3.8 ms per sample
    /// with one session, 2.9 ms with two). Each session holds its own weights and activations, so only
    /// models up to <see cref="SideBySideLimit"/> run side by side, at most four at a time.
    /// </summary>
    private static int Workers(ModelProto model, int runs) =>
        runs < 2 * Environment.ProcessorCount || OnnxModelIO.SizeOf(model) > SideBySideLimit ? 1 : Math.Min(4, Environment.ProcessorCount);

    private const long SideBySideLimit = 256L << 20;

    /// <summary>Lets batches take their turn in order; a failed worker releases every waiter with false.</summary>
    private sealed class Turns
    {
        private readonly object _gate = new();
        private int _next;
        private bool _failed;

        public bool WaitFor(int turn)
        {
            lock (_gate)
            {
                while (_next != turn && !_failed) Monitor.Wait(_gate);
                return !_failed;
            }
        }

        public void Pass(int turn)
        {
            lock (_gate)
            {
                _next = turn + 1;
                Monitor.PulseAll(_gate);
            }
        }

        public void Fail()
        {
            lock (_gate)
            {
                _failed = true;
                Monitor.PulseAll(_gate);
            }
        }
    }
}
