using Onnx;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Execution;

namespace PtqSharp.AccuracyControl;

/// <summary>One model's result on validation samples.</summary>
/// <param name="Score">The metric (higher is better).</param>
/// <param name="PerSample">Metric value per evaluated sample, or null when the metric is a user function of the whole dataset.</param>
/// <param name="Nmse">Normalized squared error of the outputs against FP32, per evaluated sample.</param>
internal sealed record Evaluation(double Score, double[]? PerSample, double[] Nmse);

/// <summary>
/// Scores models on the validation set against FP32 outputs computed once. Samples are split across
/// single-threaded sessions, which uses the cores better than one session for the small per-sample
/// work of typical validation models. User metrics are called from several threads at once.
/// </summary>
internal sealed class ValidationEvaluator
{
    private readonly Dataset _data;
    private AccuracyMetric? _metric;
    private readonly Func<ModelProto, Dataset, double>? _validate;
    private readonly int _parallelism;
    private float[]?[][] _reference = [];

    public ValidationEvaluator(Dataset data, AccuracyMetric? metric, Func<ModelProto, Dataset, double>? validate, int parallelism)
    {
        if (data.Count == 0) ThrowHelper.Throw("The validation dataset is empty.");
        _data = data;
        _metric = metric;
        _validate = validate;
        _parallelism = parallelism;
    }

    public int Count => _data.Count;

    public Sample Load(int index) => _data.Get(index);

    public string MetricName => _metric?.Name ?? "validation function";

    /// <summary>Evaluates the FP32 model on every sample and keeps its outputs as the reference.</summary>
    public Evaluation Baseline(ModelProto fp32, IProgress<int>? progress, CancellationToken ct)
    {
        var all = Enumerable.Range(0, _data.Count).ToArray();
        _metric = _metric?.BindTo(fp32);
        _reference = new float[]?[_data.Count][];
        Run(fp32, all, _data.Get, (i, outputs) => _reference[i] = outputs, progress, ct);
        if (_metric is null) return new Evaluation(_validate!(fp32, _data), null, new double[all.Length]);
        var perSample = all.Select(i => _metric.Evaluate(i, _reference[i], _reference[i])).ToArray();
        return new Evaluation(perSample.Average(), perSample, new double[all.Length]);
    }

    /// <summary>
    /// Per-sample values and errors on the given samples; the score is their mean, or NaN for a user
    /// validation function, which only runs on the whole set. <paramref name="load"/> may serve cached samples.
    /// </summary>
    public Evaluation Evaluate(ModelProto model, IReadOnlyList<int> indices, Func<int, Sample> load, IProgress<int>? progress, CancellationToken ct, int? parallelism = null)
    {
        var perSample = new double[indices.Count];
        var nmse = new double[indices.Count];
        var position = new Dictionary<int, int>();
        for (int k = 0; k < indices.Count; k++) position[indices[k]] = k;

        Run(model, indices, load, (i, outputs) =>
        {
            int k = position[i];
            nmse[k] = Nmse(_reference[i], outputs);
            if (_metric is not null) perSample[k] = _metric.Evaluate(i, outputs, _reference[i]);
        }, progress, ct, parallelism);

        return _metric is not null
            ? new Evaluation(indices.Count == 0 ? double.NaN : perSample.Average(), perSample, nmse)
            : new Evaluation(double.NaN, null, nmse);
    }

    /// <summary>Full-set evaluation: the metric on every validation sample, or the user's validation function.</summary>
    /// <remarks>A validation function's result has no output errors (an empty <see cref="Evaluation.Nmse"/>): they cost another pass, made only when needed.</remarks>
    public Evaluation EvaluateAll(ModelProto model, IProgress<int>? progress, CancellationToken ct) =>
        _metric is not null
            ? Evaluate(model, Enumerable.Range(0, _data.Count).ToArray(), _data.Get, progress, ct)
            : new Evaluation(_validate!(model, _data), null, []);

    private void Run(ModelProto model, IReadOnlyList<int> indices, Func<int, Sample> load, Action<int, float[]?[]> consume, IProgress<int>? progress, CancellationToken ct, int? parallelism = null)
    {
        int workers = Math.Clamp(parallelism ?? _parallelism, 1, Math.Max(1, indices.Count));
        int done = 0;
        ParallelRunner.For(workers, workers, ct, w =>
        {
            using var runner = new ModelSession(model, ExecutionSettings.WithThreads(1));
            for (int k = w; k < indices.Count; k += workers)
            {
                ct.ThrowIfCancellationRequested();
                int i = indices[k];
                consume(i, runner.Run(load(i)));
                progress?.Report(Interlocked.Increment(ref done));
            }
        });
    }

    /// <summary>Squared error over all float outputs, relative to the reference's energy.</summary>
    internal static double Nmse(float[]?[] reference, float[]?[] outputs)
    {
        double error = 0, energy = 0;
        for (int o = 0; o < reference.Length; o++)
        {
            if (reference[o] is not { } r || outputs[o] is not { } q || r.Length != q.Length) continue;
            for (int j = 0; j < r.Length; j++)
            {
                double d = (double)r[j] - q[j];
                error += d * d;
                energy += (double)r[j] * r[j];
            }
        }

        return energy == 0 ? error : error / energy;
    }
}
