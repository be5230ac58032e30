namespace PtqSharp.AccuracyControl;

/// <summary>Settings of Accuracy-aware Quantization. Defaults follow POT's AccuracyAwareQuantization.</summary>
public sealed record AccuracyControlOptions
{
    /// <summary>The largest accepted drop of the metric.</summary>
    public double MaxDrop { get; init; } = 0.01;

    /// <summary>Whether <see cref="MaxDrop"/> is absolute (in the metric's units) or relative to the baseline.</summary>
    public DropType DropType { get; init; } = DropType.Absolute;

    /// <summary>Validation samples, those the quantized model degrades most, on which layers are ranked.</summary>
    public int RankingSubsetSize { get; init; } = 300;

    /// <summary>Most full evaluations of a reverted model before giving up.</summary>
    public int MaxIterations { get; init; } = 30;

    /// <summary>
    /// The original model's metric when already known (POT's baseline_value): drops are measured against
    /// it instead of the FP32 evaluation, which still runs for agreement metrics and ranking.
    /// </summary>
    public double? BaselineScore { get; init; }

    /// <summary>Try the mixed preset (asymmetric activations) before reverting any layer.</summary>
    public bool ConvertToMixedPreset { get; init; }

    /// <summary>Models evaluated at once while ranking; defaults to the number of cores.</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    internal void Validate()
    {
        if (BaselineScore is double b && !double.IsFinite(b)) ThrowHelper.Throw($"Baseline score must be a finite number (got {b}).");
        if (!(MaxDrop >= 0) || double.IsInfinity(MaxDrop)) ThrowHelper.Throw($"Max drop must be a finite number of at least 0 (got {MaxDrop}).");
        if (RankingSubsetSize < 1) ThrowHelper.Throw($"Ranking subset size must be at least 1 (got {RankingSubsetSize}).");
        if (MaxIterations < 0) ThrowHelper.Throw($"Max iterations cannot be negative (got {MaxIterations}).");
        if (Parallelism < 1) ThrowHelper.Throw($"Parallelism must be at least 1 (got {Parallelism}).");
    }

    internal double Drop(double baseline, double score) => DropType == DropType.Absolute
        ? baseline - score
        : baseline == 0 ? (score == 0 ? 0 : double.PositiveInfinity) : (baseline - score) / Math.Abs(baseline);
}
