using System.Diagnostics;
using Onnx;
using PtqSharp.Data;
using PtqSharp.Onnx;
using PtqSharp.Quantization;

namespace PtqSharp.AccuracyControl;

/// <summary>
/// POT's AccuracyAwareQuantization: Default Quantization, then, while the metric drop exceeds the
/// bound, revert to float the ops whose reversal restores most on the samples that degraded most, in
/// ranked order, one or several per step. A step that made the drop grow is stepped back; steps that
/// did not help trigger a new ranking of the ranking's head.
/// </summary>
internal sealed class AccuracyControlLoop
{
    private readonly ModelProto _original;
    private readonly Dataset _calibration;
    private readonly ValidationEvaluator _evaluator;
    private readonly QuantizationOptions _quantization;
    private readonly AccuracyControlOptions _options;
    private readonly IProgress<QuantizationProgress>? _progress;
    private readonly CancellationToken _ct;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<AccuracyControlIteration> _iterations = new();

    private AccuracyControlLoop(
        ModelProto original, Dataset calibration, ValidationEvaluator evaluator, QuantizationOptions quantization,
        AccuracyControlOptions options, IProgress<QuantizationProgress>? progress, CancellationToken ct)
    {
        _original = original;
        _calibration = calibration;
        _evaluator = evaluator;
        _quantization = quantization;
        _options = options;
        _progress = progress;
        _ct = ct;
    }

    public static AccuracyControlResult Run(
        ModelProto original, Dataset calibration, ValidationEvaluator evaluator, QuantizationOptions quantization,
        AccuracyControlOptions options, IProgress<QuantizationProgress>? progress, CancellationToken ct)
    {
        options.Validate();
        quantization.Validate();
        return new AccuracyControlLoop(original, calibration, evaluator, quantization, options, progress, ct).Run();
    }

    private sealed record State(QuantizationPreset Preset, List<NodeProto> Reverted, ModelProto Model, QuantizationPlan Plan, Evaluation Result, double Drop);

    private AccuracyControlResult Run()
    {
        var baseline = _evaluator.Baseline(_original, Samples($"Evaluating FP32 on {_evaluator.Count} validation samples"), _ct);
        double fp32Seconds = _clock.Elapsed.TotalSeconds;
        if (!double.IsFinite(baseline.Score)) ThrowHelper.Throw($"The FP32 model's {_evaluator.MetricName} is {baseline.Score}; accuracy control needs a finite metric.");

        // A given baseline (POT's baseline_value) replaces the measured one for drops; per-sample values stay measured for ranking.
        if (_options.BaselineScore is double given) baseline = baseline with { Score = given };

        // Calibrate once, for the mixed preset too when it may be tried: every variant reuses these parameters.
        QuantizationPreset[] presets = _options.ConvertToMixedPreset && _quantization.Preset == QuantizationPreset.Performance
            ? [QuantizationPreset.Performance, QuantizationPreset.Mixed]
            : [_quantization.Preset];
        var calibrated = DefaultQuantization.Calibrate(_original, _calibration, _quantization, presets, _progress, _ct);
        if (calibrated.Latency is { Outcome: LatencyOutcome.NothingQuantized } latency && !_quantization.LatencyAware.AllowFloatModel)
        {
            throw new NotFasterException(latency); // before any evaluation: there is no INT8 model to control
        }

        var calibrationTime = _clock.Elapsed - TimeSpan.FromSeconds(fp32Seconds);
        var current = Evaluate(calibrated, baseline, _quantization.Preset, [], "Evaluating INT8 (Default Quantization)");
        var fullyQuantized = current;
        Record("Default Quantization", current, kept: true);

        if (current.Drop > _options.MaxDrop && _options.ConvertToMixedPreset && current.Preset == QuantizationPreset.Performance)
        {
            var mixed = Evaluate(calibrated, baseline, QuantizationPreset.Mixed, [], "Evaluating INT8 (mixed preset)");
            bool better = mixed.Drop < current.Drop;
            Record("Mixed preset (asymmetric activations)", mixed, better);
            if (better) current = mixed;
        }

        var reverted = new List<AccuracyControlRevertedOp>();
        var excluded = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        List<(RankedLayer Layer, int Rank)>? ranking = null;
        List<QuantizedOp>? stalled = null; // what was left of a ranking that stopped paying: its head is ranked again
        int stale = 0, step = 1;
        int rankings = 0, rankedVariants = 0, candidatesInRanking = 0, evaluations = 0;
        long rankedSampleRuns = 0;
        double rankingSeconds = 0;
        string outcome;
        while (true)
        {
            if (current.Drop <= _options.MaxDrop)
            {
                outcome = current.Reverted.Count == 0 ? "the fully quantized model already meets it" : $"met with {current.Reverted.Count} of {calibrated.Ops.Count} ops back in float";
                break;
            }

            if (evaluations >= _options.MaxIterations)
            {
                outcome = $"stopped at the iteration limit ({_options.MaxIterations})";
                break;
            }

            var inFloat = current.Reverted.ToHashSet<NodeProto>(ReferenceEqualityComparer.Instance);
            var candidates = calibrated.Ops.Where(o => !inFloat.Contains(o.Node) && !excluded.Contains(o.Node)).ToList();
            if (candidates.Count == 0)
            {
                outcome = "no quantized op left to revert";
                break;
            }

            if (ranking is not { Count: > 0 })
            {
                // A ranking that stalled is re-ranked at its head only, in the current model: ops far down
                // it mattered little before and re-ranking them all would cost a full ranking again.
                var (toRank, unrankedTail, head) = ToRank(candidates, stalled, ReRankHead);
                stalled = null;
                var started = _clock.Elapsed;
                var subset = RankingSubset(baseline, WithOutputErrors(current), RankingSamples(_options.RankingSubsetSize, _evaluator.Count, toRank.Count, head ? ReRankingBudget : RankingBudget));
                var cache = subset.ToDictionary(i => i, _evaluator.Load);
                var stage = $"Ranking {toRank.Count} ops on {subset.Length} samples (drop {current.Drop:0.0000}, {current.Reverted.Count} in float)";
                var ranked = LayerRanker.Rank(calibrated, current.Preset, current.Reverted, toRank, _evaluator, subset, i => cache[i], _options.Parallelism, Steps(stage, toRank.Count), _ct);
                var unranked = unrankedTail.Select(op => new RankedLayer(op, double.NaN, double.NaN));
                ranking = ranked.Concat(unranked).Select((layer, k) => (layer, k + 1)).ToList();
                rankings++;
                rankedVariants += toRank.Count;
                rankedSampleRuns += (long)toRank.Count * subset.Length;
                candidatesInRanking = ranking.Count;
                rankingSeconds += (_clock.Elapsed - started).TotalSeconds;
            }

            // A step reverts the next few ops of the ranking at once when the drop is spread thin (see below),
            // so such a model reaches the bound in a few evaluations; a step back starts again from one op.
            var picks = ranking.Take(step).ToList();
            ranking.RemoveRange(0, picks.Count);
            var nodes = picks.Select(p => p.Layer.Op.Node).ToList();
            evaluations++;
            var trial = Evaluate(calibrated, baseline, current.Preset, [.. current.Reverted, .. nodes],
                $"Iteration {_iterations.Count}: {Describe(nodes)} to float (drop {current.Drop:0.0000}, {current.Reverted.Count} in float)");

            // Keep a step unless the drop grew. The ranking stays in use (rank once, revert in ranked
            // order, step back) until it runs out or StaleAfter steps in a row did not reduce the drop.
            bool kept = trial.Drop <= current.Drop;
            Record($"revert {Describe(nodes)}", trial, kept);
            if (!kept && picks.Count > 1) ranking.InsertRange(0, picks); // tried again one by one
            else if (!kept) excluded.Add(nodes[0]);

            stale = trial.Drop < current.Drop ? 0 : stale + 1;
            if (stale >= StaleAfter)
            {
                stalled = ranking.Select(r => r.Layer.Op).ToList();
                ranking = null;
                stale = 0;
            }

            if (!kept)
            {
                step = 1;
                continue;
            }

            // The next step aims at half of the ops the remaining gap still needs at this step's gain per op:
            // large early gains keep steps small, a drop spread thin over many ops makes them grow.
            double gainPerOp = (current.Drop - trial.Drop) / picks.Count;
            step = gainPerOp > 0 ? (int)Math.Clamp(Math.Ceiling((trial.Drop - _options.MaxDrop) / gainPerOp / 2), 1, MaxStep) : 1;
            current = trial;
            foreach (var (pick, rank) in picks)
            {
                reverted.Add(new AccuracyControlRevertedOp(pick.Op.Node.Name, pick.Op.Node.OpType, _iterations[^1].Number, rank, candidatesInRanking, pick.Score));
            }
        }

        // Only steps that did not raise the drop are kept, so the current model is the best one found.
        var final = current;
        var quantizationReport = Quantizer.Report(_original, final.Model, final.Plan, calibrated, final.Preset, _calibration, _progress, calibrationTime, _clock);
        var report = new AccuracyControlReport
        {
            Metric = _evaluator.MetricName,
            DropType = _options.DropType,
            MaxDrop = _options.MaxDrop,
            ValidationSamples = _evaluator.Count,
            RankingSubsetSize = _options.RankingSubsetSize,
            Baseline = baseline.Score,
            DefaultScore = fullyQuantized.Result.Score,
            DefaultDrop = fullyQuantized.Drop,
            FinalScore = final.Result.Score,
            FinalDrop = final.Drop,
            BoundMet = final.Drop <= _options.MaxDrop,
            Outcome = final.Drop <= _options.MaxDrop ? outcome : $"{outcome}; kept the model with the smallest drop found",
            FinalPreset = final.Preset,
            Iterations = _iterations,
            Reverted = reverted,
            Rankings = rankings,
            RankedVariants = rankedVariants,
            RankedSampleRuns = rankedSampleRuns,
            Fp32EvaluationSeconds = fp32Seconds,
            RankingSeconds = rankingSeconds,
            TotalSeconds = _clock.Elapsed.TotalSeconds,
            Quantization = quantizationReport,
        };
        ModelMetadata.Record(final.Model, _calibration, _quantization);
        ModelMetadata.Record(fullyQuantized.Model, _calibration, _quantization);
        return new AccuracyControlResult(ScratchFolder.Result(final.Model), ScratchFolder.Result(fullyQuantized.Model), report);
    }

    private State Evaluate(CalibratedModel calibrated, Evaluation baseline, QuantizationPreset preset, List<NodeProto> reverted, string stage)
    {
        var (model, plan) = calibrated.Build(preset, reverted);
        var result = _evaluator.EvaluateAll(model, Samples(stage), _ct);
        return new State(preset, reverted, model, plan, result, _options.Drop(baseline.Score, result.Score));
    }

    /// <summary>A user validation function yields no output errors; compute them when a ranking subset must be chosen.</summary>
    private Evaluation WithOutputErrors(State state) =>
        state.Result.Nmse.Length > 0
            ? state.Result
            : state.Result with { Nmse = _evaluator.Evaluate(state.Model, Enumerable.Range(0, _evaluator.Count).ToArray(), _evaluator.Load, Samples("Measuring output errors"), _ct).Nmse };

    private void Record(string action, State state, bool kept) =>
        _iterations.Add(new AccuracyControlIteration(_iterations.Count, action, state.Result.Score, state.Drop, kept, state.Reverted.Count, _clock.Elapsed.TotalSeconds));

    /// <summary>
    /// The samples the quantized model degrades most: by metric loss, then by output error, which
    /// alone orders them when the metric has no per-sample values.
    /// </summary>
    /// <summary>Steps in a row that did not reduce the drop after which the ops are ranked again.</summary>
    private const int StaleAfter = 3;

    /// <summary>The most ops one step reverts at once.</summary>
    private const int MaxStep = 8;

    private static string Describe(IReadOnlyList<NodeProto> nodes) =>
        nodes.Count == 1 ? $"{nodes[0].Name} ({nodes[0].OpType})" : $"{nodes.Count} ops ({string.Join(", ", nodes.Select(n => n.Name))})";

    /// <summary>How many ops of a stalled ranking's remainder are ranked again.</summary>
    private const int ReRankHead = 24;

    /// <summary>
    /// The ops a ranking evaluates: every candidate, or after a stalled ranking the first <paramref name="head"/>
    /// still-candidate ops of what was left of it; the rest of that remainder follows them unranked, in its old order.
    /// <c>Head</c> says which of the two it is.
    /// </summary>
    internal static (List<T> ToRank, List<T> Unranked, bool Head) ToRank<T>(IReadOnlyList<T> candidates, IReadOnlyList<T>? stalled, int head)
    {
        var remaining = candidates.ToHashSet();
        var tail = stalled?.Where(remaining.Contains).ToList() ?? [];
        return tail.Count == 0 ? (candidates.ToList(), [], false) : (tail.Take(head).ToList(), tail.Skip(head).ToList(), true);
    }

    /// <summary>A ranking may cost at most this many evaluations of the validation set.</summary>
    private const int RankingBudget = 25;

    /// <summary>A re-ranking of a stalled ranking's head may cost at most this many.</summary>
    private const int ReRankingBudget = 8;

    /// <summary>
    /// Samples a ranking runs each variant on: the asked subset size, unless ranking every candidate on
    /// it would cost more than <paramref name="budget"/> evaluations of the validation set (small
    /// validation sets, many ops); never fewer than 16.
    /// </summary>
    internal static int RankingSamples(int asked, int validation, int candidates, int budget = RankingBudget) =>
        Math.Min(Math.Min(asked, validation), Math.Max(16, budget * validation / Math.Max(1, candidates)));

    internal static int[] RankingSubset(Evaluation baseline, Evaluation quantized, int size) =>
        Enumerable.Range(0, quantized.Nmse.Length)
            .OrderByDescending(k => baseline.PerSample is { } b && quantized.PerSample is { } q ? b[k] - q[k] : 0)
            .ThenByDescending(k => quantized.Nmse[k])
            .Take(size)
            .Order()
            .ToArray();

    private IProgress<int>? Samples(string stage) => Steps(stage, _evaluator.Count);

    private IProgress<int>? Steps(string stage, int total) => _progress is null ? null : new StageProgress(_progress, stage, total);

    private sealed class StageProgress(IProgress<QuantizationProgress> inner, string stage, int total) : IProgress<int>
    {
        public void Report(int value) => inner.Report(new QuantizationProgress(stage, value, total));
    }
}
