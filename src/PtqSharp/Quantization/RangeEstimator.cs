namespace PtqSharp.Quantization;

/// <summary>A range estimator and its parameters; immutable, with POT's defaults.</summary>
public sealed record RangeEstimator
{
    /// <summary>POT's default: min/max with the mean aggregator.</summary>
    public static readonly RangeEstimator Default = new();

    /// <summary>Which estimator.</summary>
    public RangeEstimatorKind Kind { get; init; } = RangeEstimatorKind.MinMax;

    /// <summary>For <see cref="RangeEstimatorKind.MinMax"/>: how per-sample minima and maxima combine.</summary>
    public StatisticAggregator Aggregator { get; init; } = StatisticAggregator.Mean;

    /// <summary>For <see cref="RangeEstimatorKind.Quantile"/>: the probability mass clipped at each end.</summary>
    public double OutlierProb { get; init; } = 1e-4;

    /// <summary>For <see cref="RangeEstimatorKind.Percentile"/>: the percentage of values kept.</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary>
    /// For activations: the estimated minimum is raised to at least this value (POT's clipping_value of
    /// the min estimator, e.g. 0); null for no clipping.
    /// </summary>
    public double? ClipMin { get; init; }

    /// <summary>For activations: the estimated maximum is lowered to at most this value (POT's clipping_value of the max estimator, e.g. 6 for ReLU6 nets); null for no clipping.</summary>
    public double? ClipMax { get; init; }

    /// <summary>Whether the estimator needs a second pass that bins whole tensors.</summary>
    public bool NeedsHistogram => Kind is not RangeEstimatorKind.MinMax;

    internal void Validate(string what)
    {
        if (ClipMin is double lo && ClipMax is double hi && lo >= hi) ThrowHelper.Throw($"{what} clipping: the minimum's clipping value ({lo}) must be below the maximum's ({hi}).");
        if (!(OutlierProb is >= 0 and < 0.5)) ThrowHelper.Throw($"{what} outlier probability must be in [0, 0.5) (got {OutlierProb}).");
        if (!(Percentile is > 50 and <= 100)) ThrowHelper.Throw($"{what} percentile must be in (50, 100] (got {Percentile}).");
    }
}
