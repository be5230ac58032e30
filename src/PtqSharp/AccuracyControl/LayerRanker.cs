using Onnx;
using PtqSharp.Data;
using PtqSharp.Execution;
using PtqSharp.Quantization;

namespace PtqSharp.AccuracyControl;

/// <summary>A quantized op and how much reverting it restores the model on the ranking subset.</summary>
/// <param name="Op">The op reverted to float.</param>
/// <param name="Score">Metric on the ranking subset with the op in float, or minus the output error when the metric has no per-sample values.</param>
/// <param name="Nmse">Mean normalized squared error of the outputs against FP32 on the subset.</param>
internal sealed record RankedLayer(QuantizedOp Op, double Score, double Nmse);

/// <summary>
/// Ranks quantized ops by the effect of reverting each one alone on top of those already reverted.
/// Every variant reuses the calibration statistics and runs on the cached ranking subset, several at
/// once on single-threaded sessions.
/// </summary>
internal static class LayerRanker
{
    public static List<RankedLayer> Rank(
        CalibratedModel calibrated, QuantizationPreset preset, IReadOnlyList<NodeProto> reverted, IReadOnlyList<QuantizedOp> candidates,
        ValidationEvaluator evaluator, IReadOnlyList<int> subset, Func<int, Sample> load, int parallelism,
        IProgress<int>? progress, CancellationToken ct)
    {
        var results = new RankedLayer[candidates.Count];
        int done = 0;
        ParallelRunner.For(candidates.Count, parallelism, ct, c =>
        {
            var (model, _) = calibrated.Build(preset, reverted.Append(candidates[c].Node).ToList());
            var e = evaluator.Evaluate(model, subset, load, progress: null, ct, parallelism: 1);
            double nmse = e.Nmse.Length == 0 ? 0 : e.Nmse.Average();
            results[c] = new RankedLayer(candidates[c], e.PerSample is null ? -nmse : e.Score, nmse);
            progress?.Report(Interlocked.Increment(ref done));
        });

        // Ties are common with 0/1 metrics on few samples; the output error breaks them.
        return results.OrderByDescending(r => r.Score).ThenBy(r => r.Nmse).ToList();
    }
}
