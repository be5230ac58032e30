using Onnx;
using PtqSharp.Data;
using PtqSharp.Execution;
using PtqSharp.Onnx;

namespace PtqSharp.Evaluation;

/// <summary>
/// Times models as users run them (all ONNX Runtime optimizations on) on one input, after a warm-up;
/// several models are timed interleaved, so INT8 and FP32 can be compared side by side.
/// </summary>
public static class LatencyBenchmark
{
    /// <summary>Times the model on <paramref name="sample"/> (repeated to the batch size), or on synthetic inputs.</summary>
    /// <param name="model">The model to time.</param>
    /// <param name="options">Threads, batch size, runs; defaults when null.</param>
    /// <param name="sample">A real input; without one, inputs are synthetic (see <see cref="BenchmarkOptions.Shapes"/>).</param>
    public static LatencyResult Run(OnnxModel model, BenchmarkOptions? options = null, Sample? sample = null) => Run(model.Proto, options, sample);

    internal static LatencyResult Run(ModelProto model, BenchmarkOptions? options = null, Sample? sample = null) => Compare([model], options, sample)[0];

    /// <summary>
    /// Times several models (an INT8 model and its FP32 original, say) in one interleaved run: each
    /// round runs every model once, starting with a different one each time, so a noisy neighbour or
    /// a frequency change hits all of them alike and the medians compare.
    /// </summary>
    /// <param name="models">The models; each gets its own session with the same settings.</param>
    /// <param name="options">Threads, batch size, runs; defaults when null.</param>
    /// <param name="sample">A real input every model accepts; without one, inputs are synthetic per model.</param>
    /// <returns>One result per model, in order.</returns>
    public static IReadOnlyList<LatencyResult> Compare(IReadOnlyList<OnnxModel> models, BenchmarkOptions? options = null, Sample? sample = null) =>
        Compare(models.Select(m => m.Proto).ToList(), options, sample);

    /// <summary>
    /// Where the time goes: each node's median kernel time from ONNX Runtime's profiler, slowest first, for the
    /// model as users run it (all optimizations, so fused and integer kernels appear under their own names).
    /// </summary>
    /// <param name="model">The model to profile.</param>
    /// <param name="options">Threads, batch size and shapes; up to 50 of its runs are profiled, after its warm-up.</param>
    /// <param name="sample">A real input; without one, inputs are synthetic.</param>
    public static IReadOnlyList<OpTime> ProfileOps(OnnxModel model, BenchmarkOptions? options = null, Sample? sample = null)
    {
        options ??= new BenchmarkOptions();
        options.Validate();
        using var runtime = RuntimeScope.Enter(options.Runtime);
        var settings = ExecutionSettings.WithThreads(options.Threads);
        Sample input;
        if (sample is not null)
        {
            input = Batch(sample, options.BatchSize);
        }
        else
        {
            using var session = new ModelSession(model.Proto, settings);
            input = SyntheticSample(session.Inputs, options);
        }

        var profile = ModelProfiler.Profile(model.Proto, settings, input, runs: Math.Min(options.Runs, 50), warmup: Math.Max(1, options.Warmup));
        double total = Math.Max(profile.TotalMicroseconds, 1e-9);
        return profile.Nodes.Values.OrderByDescending(n => n.Microseconds).ThenBy(n => n.Name, StringComparer.Ordinal)
            .Select(n => new OpTime(n.Name, n.OpType, n.Microseconds, n.Microseconds / total)).ToList();
    }

    /// <summary>Most fresh session sets one comparison is spread over (see <see cref="Compare(IReadOnlyList{ModelProto}, BenchmarkOptions?, Sample?, double)"/>).</summary>
    internal const int MaxSessionSets = 5;

    /// <param name="models">The models.</param>
    /// <param name="options">Threads, batch size, runs.</param>
    /// <param name="sample">The input, or null for synthetic ones.</param>
    /// <param name="minMilliseconds">
    /// For models that run in microseconds: the warm-up lasts at least a quarter of this and the timed
    /// rounds at least this long in all (up to 100 times the runs asked for), so a median of tiny
    /// times is not decided by a cold cache or a thread pool waking up. The rounds past the runs asked
    /// for go to fresh sessions, up to <see cref="MaxSessionSets"/> sets, as many as open in a quarter of
    /// the time, each warmed up and given at least the runs asked for, and the medians pool them: on a
    /// small model, where one session's place in memory decides its speed, eight pairs of sessions in one
    /// process measured the shipped sample's INT8 model at 0.94x, 0.96x and 1.11-1.37x of FP32; the
    /// median over several pairs does not hang on one draw.
    /// </param>
    internal static IReadOnlyList<LatencyResult> Compare(IReadOnlyList<ModelProto> models, BenchmarkOptions? options = null, Sample? sample = null, double minMilliseconds = 0)
    {
        options ??= new BenchmarkOptions();
        options.Validate();
        using var runtime = RuntimeScope.Enter(options.Runtime);
        var times = models.Select(_ => new List<double>()).ToArray();
        int sets = 1, perSet = options.Runs, rounds = 0;
        for (int set = 0; set < sets; set++)
        {
            long opened = System.Diagnostics.Stopwatch.GetTimestamp();
            using var sessions = new SessionSet(models, options, sample);
            double openMs = System.Diagnostics.Stopwatch.GetElapsedTime(opened).TotalMilliseconds;
            double round = sessions.WarmUp(options.Warmup, minMilliseconds / sets, options.Runs);
            if (set == 0 && minMilliseconds > 0 && options.Duration is null)
            {
                // The first warm-up sizes the timed part: enough rounds to last minMilliseconds, in as many
                // sets (of at least the runs asked for each) as that fills, and only as many as open in a
                // quarter of that time: fresh sessions are for models that build in milliseconds.
                int count = (int)Math.Clamp(Math.Ceiling(minMilliseconds / Math.Max(round, 1e-3)), options.Runs, 100L * options.Runs);
                int affordable = (int)Math.Min(MaxSessionSets, minMilliseconds / (4 * Math.Max(openMs, 1e-3)));
                sets = Math.Clamp(Math.Min(count / options.Runs, affordable), 1, MaxSessionSets);
                perSet = (count + sets - 1) / sets;
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; options.Duration is { } duration ? i == 0 || clock.Elapsed < duration : i < perSet; i++, rounds++)
            {
                sessions.Round(times, rounds);
            }
        }

        return models.Select((model, m) =>
        {
            var sorted = times[m].Order().ToArray();
            return new LatencyResult(OnnxModelIO.SizeOf(model), options.BatchSize, options.Threads, sorted.Length,
                Percentile(sorted, 0.5), Percentile(sorted, 0.9), sorted.Average()) { Concurrency = options.Concurrency, SessionSets = sets };
        }).ToList();
    }

    /// <summary>One session per model and inference in flight, all with the same settings, fed the same input.</summary>
    private sealed class SessionSet : IDisposable
    {
        private readonly List<ModelSession> _sessions = [];
        private readonly List<ModelRuns> _runs = [];

        public SessionSet(IReadOnlyList<ModelProto> models, BenchmarkOptions options, Sample? sample)
        {
            try
            {
                foreach (var model in models)
                {
                    // One session per inference in flight, each with the threads asked for.
                    var requests = new List<ModelSession.RepeatedRun>();
                    for (int c = 0; c < options.Concurrency; c++)
                    {
                        var session = new ModelSession(model, ExecutionSettings.WithThreads(options.Threads));
                        _sessions.Add(session);
                        requests.Add(session.Prepare(sample is null ? SyntheticSample(session.Inputs, options) : Batch(sample, options.BatchSize)));
                    }

                    _runs.Add(new ModelRuns(requests));
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        /// <summary>
        /// At least <paramref name="warmup"/> untimed rounds and a quarter of <paramref name="minMilliseconds"/>,
        /// but no more than the runs asked for once a round is long enough to fill the time alone.
        /// </summary>
        /// <returns>The last round's wall time in milliseconds.</returns>
        public double WarmUp(int warmup, double minMilliseconds, int runs)
        {
            double warm = 0, round = 0;
            for (int i = 0; i < warmup || warm < minMilliseconds / 4; i++)
            {
                round = _runs.Sum(r => r.Round(null));
                warm += round;
                if (i >= warmup && round * runs >= minMilliseconds) break; // no tiny model: enough
            }

            return round;
        }

        /// <summary>Runs every model once, starting with a different one each round, and records each one's times.</summary>
        public void Round(List<double>[] times, int index)
        {
            for (int k = 0; k < _runs.Count; k++)
            {
                int m = (index + k) % _runs.Count;
                _runs[m].Round(times[m]);
            }
        }

        public void Dispose()
        {
            foreach (var run in _runs) run.Dispose();
            foreach (var session in _sessions) session.Dispose();
        }
    }

    /// <summary>A model's inferences in flight: one round runs each once, together, and records each one's latency.</summary>
    private sealed class ModelRuns(List<ModelSession.RepeatedRun> requests) : IDisposable
    {
        /// <returns>The round's wall time in milliseconds.</returns>
        public double Round(List<double>? latencies)
        {
            if (requests.Count == 1)
            {
                double t = requests[0].Run();
                latencies?.Add(t);
                return t;
            }

            var each = new double[requests.Count];
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            Parallel.For(0, requests.Count, new ParallelOptions { MaxDegreeOfParallelism = requests.Count }, r => each[r] = requests[r].Run());
            latencies?.AddRange(each);
            return System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        public void Dispose()
        {
            foreach (var r in requests) r.Dispose();
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static Sample Batch(Sample sample, int batch)
    {
        if (batch == 1) return sample;
        foreach (var (name, t) in sample.Inputs) ElementsWithin(name, [batch, .. t.Shape.Skip(1)], batch);
        return SampleBatcher.Concat(Enumerable.Repeat(sample, batch).ToList());
    }

    /// <summary>The values an input of <paramref name="shape"/> holds, refused (without overflowing) past the budget one sample may hold.</summary>
    private static long ElementsWithin(string name, long[] shape, int batch)
    {
        const long budget = Npy.MaxBytes / sizeof(float);
        long count = SampleTensor.ElementCountUpTo(shape, budget);
        if (count > budget)
        {
            ThrowHelper.Throw($"Input '{name}' at batch size {batch} would hold [{string.Join("x", shape)}] values, over the {Npy.MaxBytes >> 20} MiB a benchmark input may hold; use a smaller --batch-size.");
        }

        return count;
    }

    /// <summary>
    /// An input for every model input: the first dynamic dimension is the batch, others come from
    /// <see cref="BenchmarkOptions.Shapes"/>; floats are random in [-1, 1), integers 1 (valid token ids and masks).
    /// </summary>
    internal static Sample SyntheticSample(IReadOnlyList<ModelInput> inputs, BenchmarkOptions options)
    {
        var random = new Random(0);
        var tensors = new Dictionary<string, SampleTensor>();
        foreach (var meta in inputs)
        {
            var name = meta.Name;
            long[] shape;
            if (options.Shapes.TryGetValue(name, out var given))
            {
                shape = given;
            }
            else
            {
                shape = (long[])meta.Dimensions.Clone();
                int dynamic = Array.FindIndex(shape, d => d <= 0);
                if (dynamic >= 0) shape[dynamic] = options.BatchSize;
                int other = Array.FindIndex(shape, d => d <= 0);
                if (other >= 0)
                {
                    var symbol = meta.Symbols[other] is { Length: > 0 } s ? $" ('{s}')" : string.Empty;
                    ThrowHelper.Throw($"Input '{name}' has a second dynamic dimension at axis {other}{symbol}; give its size with a shape such as {name}={string.Join("x", shape.Select(d => d <= 0 ? 128 : d))}.");
                }
            }

            long count = ElementsWithin(name, shape, options.BatchSize);
            Array data = meta.ElementType switch
            {
                TensorData.Float or TensorData.Float16 or TensorData.Double =>
                    Enumerable.Range(0, (int)count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray(),
                TensorData.Int64 => Enumerable.Repeat(1L, (int)count).ToArray(),
                TensorData.Int32 => Enumerable.Repeat(1, (int)count).ToArray(),
                TensorData.Bool => Enumerable.Repeat(true, (int)count).ToArray(),
                TensorData.UInt8 => new byte[count],
                var t => ThrowHelper.Throw<Array>($"Input '{name}' is {TensorData.TypeName(t)}; synthetic benchmark inputs cover float, int32, int64, bool and uint8."),
            };
            tensors[name] = new SampleTensor(data, shape);
        }

        return new Sample(tensors, "synthetic input");
    }
}
