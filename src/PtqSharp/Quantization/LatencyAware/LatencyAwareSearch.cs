using System.Diagnostics;
using Onnx;
using PtqSharp.Evaluation;

namespace PtqSharp.Quantization.LatencyAware;

/// <summary>
/// Latency-aware quantization, after calibration: the INT8 model must not be slower than FP32 on this
/// machine. No peer does this; TensorRT's builder, which times kernels per layer and keeps the faster
/// precision, is the closest idea.
/// <list type="number">
/// <item>ONNX Runtime's profiler times every node of the fully quantized model and of the float model
/// it was written from; <see cref="OpLatencyEstimator"/> charges those times to the quantized ops.</item>
/// <item>Ops whose integer kernel (with the quantizers charged to it) is clearly slower than their float
/// kernels form connected regions; a region whose profiled loss exceeds the quantizers its float
/// borders would need is a candidate. A region reads the outputs of the integer ops before it through
/// their DequantizeLinear, so those keep their kernels; an op that would still lose its output
/// quantizer would run in float anyway and joins the region.</item>
/// <item>Whole models are then timed, interleaved with FP32 (medians): the candidate regions are kept in
/// float only if the model runs faster so. While it is still not faster than FP32 by the margin, the
/// 1, 2, 4, 8, ... biggest profiled losers go to float as well, until a variant is; the fastest
/// variant measured is kept, and if even that is slower than FP32 by more than the margin, nothing
/// is left quantized.</item>
/// </list>
/// The input is one calibration sample of typical size, chosen by the seed, so a quiet machine makes the same decisions.
/// </summary>
internal static class LatencyAwareSearch
{
    /// <summary>Decides which ops <paramref name="calibrated"/> keeps in float for speed and records the report in it.</summary>
    public static void Run(
        ModelProto fp32, CalibratedModel calibrated, QuantizationPreset preset, ILatencyProbe probe, LatencyAwareOptions options,
        IProgress<QuantizationProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var plan = calibrated.FullPlan;
        string threads = probe.Threads == 0 ? "all cores" : $"{probe.Threads} thread{(probe.Threads == 1 ? "" : "s")}";
        int runs = options.Runs, sets = 1;
        var variants = new HashSet<ModelProto>(ReferenceEqualityComparer.Instance);

        IReadOnlyList<LatencyResult> Time(string stage, params ModelProto[] models)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(new QuantizationProgress($"Latency-aware: {stage} ({threads})", 0, 1));
            variants.UnionWith(models.Skip(1));
            var results = probe.Time(models);
            runs = results[0].Runs;
            sets = results[0].SessionSets;
            return results;
        }

        ModelProto Build(IReadOnlySet<NodeProto> floatOps) => calibrated.Build(preset, floatOps).Model;

        var none = NewSet();
        var full = Build(none);
        var first = Time("timing FP32 and INT8", fp32, full);
        double fp32Ms = first[0].MedianMs, fullMs = first[1].MedianMs;
        var chosen = (Ops: none, Fp32Ms: fp32Ms, Ms: fullMs);

        // Profiles first, even when INT8 is already faster: they find regions that do not pay off.
        progress?.Report(new QuantizationProgress($"Latency-aware: profiling every node ({threads})", 0, 1));
        var int8Profile = probe.Profile(full);
        var floatProfile = probe.Profile(calibrated.FloatModel);
        var estimator = new OpLatencyEstimator(plan, calibrated.Index);
        var latency = estimator.Estimate(int8Profile, floatProfile);
        var borders = new BorderCost(plan, estimator.TensorElements(int8Profile), OpLatencyEstimator.QdqMicrosecondsPerElement(int8Profile));

        // Regions of clear losers (a loss above the profiler's resolution) whose loss beats the
        // quantizers their borders would need, closed under the producers they take along.
        var order = new Dictionary<NodeProto, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < plan.Ops.Count; i++) order[plan.Ops[i].Node] = i;
        double significant = Math.Max(2, 0.01 * int8Profile.TotalMicroseconds);
        var candidates = NewSet();
        foreach (var region in borders.Regions(plan.Ops.Where(o => latency[o.Node].Loss > significant).Select(o => o.Node).ToList()))
        {
            var closed = Close(calibrated, region);
            if (Gain(closed, latency, borders) > 0) candidates.UnionWith(closed);
        }

        // The profile proposes, whole-model timing disposes: the regions go to float only if the model
        // then runs faster than fully quantized by the margin. Float ops cost accuracy, and per-node profiles
        // miss what float tensors cost the ops around them (EfficientNet-B0: a first Conv 250 µs faster in
        // float by its profile, the whole model 1.6 % slower), so a gain within noise is no gain.
        if (candidates.Count > 0 && candidates.Count < plan.Ops.Count)
        {
            var t = Time("timing the INT8 model with slow regions in float", fp32, full, Build(candidates));
            if (t[2].MedianMs < t[1].MedianMs * (1 - options.Margin)) chosen = (candidates, t[0].MedianMs, t[2].MedianMs);
        }

        var outcome = Outcome(chosen.Ms, chosen.Fp32Ms, options.Margin);
        if (outcome != LatencyOutcome.Faster)
        {
            // Still not faster than FP32: the 1, 2, 4, 8, ... biggest profiled losers go to float too,
            // until a variant is faster; the fastest one measured is kept.
            var ranked = plan.Ops.Select(o => o.Node).Where(o => !chosen.Ops.Contains(o))
                .OrderByDescending(o => latency[o].Loss).ThenBy(o => order[o]).ToList();
            var best = chosen;
            var tried = new HashSet<int> { chosen.Ops.Count };
            int worse = 0;
            for (int k = 1; k < 2 * ranked.Count && worse < 2; k *= 2)
            {
                var ops = Close(calibrated, chosen.Ops.Concat(ranked.Take(k)));
                if (ops.Count >= plan.Ops.Count) break;
                if (!tried.Add(ops.Count)) continue;
                var t = Time($"timing INT8 with {ops.Count} of {plan.Ops.Count} ops in float", fp32, Build(ops));
                double ratio = t[1].MedianMs / t[0].MedianMs, bestRatio = best.Ms / best.Fp32Ms;

                // Two variants in a row worse than the best by more than the margin: more float will not help.
                worse = ratio > bestRatio * (1 + options.Margin) ? worse + 1 : 0;
                if (ratio < bestRatio * (1 - options.Margin)) best = (ops, t[0].MedianMs, t[1].MedianMs);
                if (Outcome(t[1].MedianMs, t[0].MedianMs, options.Margin) == LatencyOutcome.Faster) break;
            }

            chosen = best;
            outcome = Outcome(chosen.Ms, chosen.Fp32Ms, options.Margin);
            if (outcome is null)
            {
                // Writing no INT8 model needs two independent measurements to agree: the best variant again, in
                // fresh sessions (a model of tens of microseconds can measure 0.9x in one pair of sessions, 1.25x in the next).
                var again = Time("confirming that no INT8 variant is faster", fp32, Build(best.Ops));
                outcome = Outcome(again[1].MedianMs, again[0].MedianMs, options.Margin);
                if (outcome is not null) chosen = (best.Ops, again[0].MedianMs, again[1].MedianMs);
            }

            if (outcome is null)
            {
                chosen = (plan.Ops.Select(o => o.Node).ToHashSet<NodeProto>(ReferenceEqualityComparer.Instance), chosen.Fp32Ms, chosen.Fp32Ms);
                outcome = LatencyOutcome.NothingQuantized;
            }
        }

        var regions = borders.Regions(chosen.Ops.OrderBy(o => order[o]).ToList())
            .Select(r => Describe(r, order, latency, borders))
            .OrderByDescending(r => r.GainMicroseconds)
            .ToList();
        calibrated.KeepInFloatForSpeed(chosen.Ops, new LatencyReport
        {
            Threads = probe.Threads,
            Cores = Environment.ProcessorCount,
            Runs = runs,
            SessionSets = sets,
            Margin = options.Margin,
            Fp32Ms = fp32Ms,
            FullyQuantizedMs = fullMs,
            FinalFp32Ms = chosen.Fp32Ms,
            FinalMs = chosen.Ms,
            Outcome = outcome.Value,
            Regions = regions,
            VariantsTimed = variants.Count,
            Time = clock.Elapsed,
        });
    }

    private static HashSet<NodeProto> NewSet() => new(ReferenceEqualityComparer.Instance);

    /// <summary>Faster or not slower than FP32 within the margin; null when slower.</summary>
    private static LatencyOutcome? Outcome(double int8Ms, double fp32Ms, double margin) =>
        int8Ms < fp32Ms * (1 - margin) ? LatencyOutcome.Faster : int8Ms <= fp32Ms * (1 + margin) ? LatencyOutcome.NotSlower : null;

    /// <summary>
    /// Adds the ops that keeping <paramref name="ops"/> in float leaves without their output quantizer
    /// (where no integer op writes the tensor the quantizer would serve): ONNX Runtime fuses an integer
    /// kernel only up to a quantizer, so they would run in float anyway, and dequantize their weights
    /// on every run on top.
    /// </summary>
    private static HashSet<NodeProto> Close(CalibratedModel calibrated, IEnumerable<NodeProto> ops)
    {
        var set = NewSet();
        set.UnionWith(ops);
        var quantized = calibrated.FullPlan.ActivationTensors.ToHashSet();
        while (true)
        {
            var kept = calibrated.EffectiveForSpeed(set).ActivationTensors.ToHashSet();
            var lost = calibrated.FullPlan.Ops
                .Where(o => !set.Contains(o.Node) && quantized.Contains(o.KernelOutput) && !kept.Contains(o.KernelOutput))
                .Select(o => o.Node)
                .ToList();
            if (lost.Count == 0) return set;
            set.UnionWith(lost);
        }
    }

    private static double Gain(IReadOnlyCollection<NodeProto> ops, IReadOnlyDictionary<NodeProto, OpLatency> latency, BorderCost borders) =>
        ops.Sum(o => latency[o].Loss) - borders.Of(ops);

    private static SpeedRegion Describe(IReadOnlyList<NodeProto> ops, IReadOnlyDictionary<NodeProto, int> order, IReadOnlyDictionary<NodeProto, OpLatency> latency, BorderCost borders)
    {
        var sorted = ops.OrderBy(o => order[o]).ToList();
        return new SpeedRegion(
            sorted.Select(o => o.Name).ToList(), sorted.Select(o => o.OpType).ToList(),
            sorted.Sum(o => latency[o].Int8Microseconds), sorted.Sum(o => latency[o].FloatMicroseconds), borders.Of(sorted));
    }
}
