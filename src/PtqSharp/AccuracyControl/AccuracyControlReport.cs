using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PtqSharp.Quantization;

namespace PtqSharp.AccuracyControl;

/// <summary>What Accuracy-aware Quantization did, step by step, and what it cost.</summary>
public sealed record AccuracyControlReport
{
    /// <summary>The metric's name, e.g. "top1", or "validation function".</summary>
    public required string Metric { get; init; }

    /// <summary>How drops are measured.</summary>
    public required DropType DropType { get; init; }

    /// <summary>The bound the run aimed for.</summary>
    public required double MaxDrop { get; init; }

    /// <summary>Samples in the validation set.</summary>
    public required int ValidationSamples { get; init; }

    /// <summary>Most samples ops were ranked on.</summary>
    public required int RankingSubsetSize { get; init; }

    /// <summary>The FP32 model's metric.</summary>
    public required double Baseline { get; init; }

    /// <summary>The fully quantized model's metric and drop.</summary>
    public required double DefaultScore { get; init; }

    /// <summary>The fully quantized model's drop.</summary>
    public required double DefaultDrop { get; init; }

    /// <summary>The final model's metric.</summary>
    public required double FinalScore { get; init; }

    /// <summary>The final model's drop.</summary>
    public required double FinalDrop { get; init; }

    /// <summary>Whether the final drop is within <see cref="MaxDrop"/>.</summary>
    public required bool BoundMet { get; init; }

    /// <summary>Why the search ended.</summary>
    public required string Outcome { get; init; }

    /// <summary>The preset of the final model (mixed when the conversion helped).</summary>
    public required QuantizationPreset FinalPreset { get; init; }

    /// <summary>Every full evaluation, Default Quantization first.</summary>
    public required IReadOnlyList<AccuracyControlIteration> Iterations { get; init; }

    /// <summary>The ops in float in the final model, in the order they were reverted.</summary>
    public required IReadOnlyList<AccuracyControlRevertedOp> Reverted { get; init; }

    /// <summary>How many times the candidate ops were ranked, and how many variant models that evaluated.</summary>
    public required int Rankings { get; init; }

    /// <summary>Variant models evaluated while ranking, over all rankings.</summary>
    public required int RankedVariants { get; init; }

    /// <summary>Samples run while ranking, over all variants (each variant runs on that ranking's subset).</summary>
    public required long RankedSampleRuns { get; init; }

    /// <summary>Wall time of the FP32 evaluation of the validation set: the unit of <see cref="TimeInFp32Evaluations"/>.</summary>
    public required double Fp32EvaluationSeconds { get; init; }

    /// <summary>Wall time spent ranking.</summary>
    public required double RankingSeconds { get; init; }

    /// <summary>Wall time of the whole run.</summary>
    public required double TotalSeconds { get; init; }

    /// <summary>Evaluations of the whole validation set: the FP32 baseline and every INT8 model in <see cref="Iterations"/>.</summary>
    public int FullEvaluations => 1 + Iterations.Count;

    /// <summary>
    /// Every model evaluation in units of the validation set: the full ones plus each ranking variant,
    /// which runs on the ranking subset only (its share of the validation set).
    /// </summary>
    public double Evaluations => FullEvaluations + RankedSampleRuns / (double)Math.Max(1, ValidationSamples);

    /// <summary>The run's wall time in units of one FP32 evaluation of the validation set.</summary>
    public double TimeInFp32Evaluations => TotalSeconds / Math.Max(Fp32EvaluationSeconds, 1e-9);

    /// <summary>The final model's quantization report: ops, kernels, size, hold-out agreement.</summary>
    public required QuantizationReport Quantization { get; init; }

    /// <summary>Decimals that show drops two digits finer than the bound (at least 4).</summary>
    [JsonIgnore]
    public int Decimals => MaxDrop > 0 ? Math.Clamp((int)Math.Ceiling(-Math.Log10(MaxDrop)) + 2, 4, 10) : 6;

    /// <summary>Formats a metric value or drop with <see cref="Decimals"/>.</summary>
    public string Format(double value) => value.ToString("F" + Decimals, CultureInfo.InvariantCulture);

    /// <summary>The report as indented JSON with snake_case keys (the <c>name.accuracy.json</c> file), as <see cref="ReportJson"/> writes every report.</summary>
    public string ToJson() => ReportJson.Serialize(this);

    /// <summary>A plain-text account: the bound, the table of iterations, the reverted ops.</summary>
    public string ToText()
    {
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        string unit = DropType == DropType.Absolute ? "absolute" : "relative";
        s.AppendLine(c, $"Accuracy-aware quantization: metric {Metric} on {ValidationSamples} validation samples, max drop {MaxDrop} ({unit})");
        s.AppendLine(c, $"FP32 baseline {Format(Baseline)}; fully quantized {Format(DefaultScore)} (drop {Format(DefaultDrop)}); final {Format(FinalScore)} (drop {Format(FinalDrop)})");
        s.AppendLine(BoundMet ? $"Bound met: {Outcome}" : $"BOUND NOT MET: {Outcome}");
        s.AppendLine();
        int w = Decimals + 3;
        s.AppendLine(c, $"  iter  {"action",-50}  {"score".PadLeft(w)}  {"drop".PadLeft(w)}  kept  float ops  time (s)");
        foreach (var i in Iterations)
        {
            s.AppendLine(c, $"  {i.Number,4}  {Truncate(i.Action, 50),-50}  {Format(i.Score).PadLeft(w)}  {Format(i.Drop).PadLeft(w)}  {(i.Kept ? "yes" : "no"),-4}  {i.RevertedCount,9}  {i.Seconds,8:0.0}");
        }

        s.AppendLine();
        s.AppendLine(c, $"Reverted to float ({Reverted.Count} of {Quantization.QuantizableOps} quantizable ops):");
        foreach (var r in Reverted)
        {
            s.AppendLine(c, $"  {r.Name} ({r.OpType}): iteration {r.Iteration}, ranked {r.Rank} of {r.Candidates}, ranking-subset score {(double.IsNaN(r.RankingScore) ? "- (below the re-ranked head)" : Format(r.RankingScore))}");
        }

        if (Reverted.Count == 0) s.AppendLine("  none");
        s.AppendLine();
        s.AppendLine(c, $"Final preset {FinalPreset.ToString().ToLowerInvariant()}; {Quantization.QuantizedOps} of {Quantization.QuantizableOps} ops quantized; integer kernels {Quantization.Kernels.IntegerKernelCount}");
        s.AppendLine(c, $"Evaluations {Evaluations:0.0} validation sets: {FullEvaluations} full (FP32 and {Iterations.Count} INT8), {RankedVariants} ranking variants ({RankedSampleRuns} samples run)");
        s.AppendLine(c, $"Time {TotalSeconds:0.0} s: FP32 evaluation {Fp32EvaluationSeconds:0.0} s, {Rankings} ranking(s) of {RankedVariants} variants {RankingSeconds:0.0} s ({TimeInFp32Evaluations:0.0}x one FP32 evaluation)");
        return s.ToString();
    }

    private static string Truncate(string text, int width) => text.Length <= width ? text : text[..(width - 3)] + "...";
}
