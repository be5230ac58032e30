namespace PtqSharp.Quantization;

/// <summary>A range estimator and its parameters; immutable, with POT's defaults.</summary>
public sealed record RangeEstimator
{
    /// <summary>POT's default: min/max with the mean aggregator; the weights' default (for them, the exact extremes of each channel).</summary>
    public static readonly RangeEstimator MinMax = new();

    /// <summary>
    /// The activations' default: the 99.999th percentile of each tensor's values over all calibration
    /// samples, read from exact tails gathered in the calibration pass. It beat POT's min/max with the
    /// mean aggregator on ResNet18, MiniLM and 6 of the 8 mobile benchmark models (README, "Range estimators
    /// and bias correction", "Mobile and OCR models").
    /// </summary>
    public static readonly RangeEstimator DefaultActivations = new() { Kind = RangeEstimatorKind.Percentile };

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

    /// <summary>Whether the estimator needs a second pass that bins whole tensors (entropy and MSE; quantile and percentile read exact tails kept in the first pass).</summary>
    public bool NeedsHistogram => Kind is RangeEstimatorKind.Entropy or RangeEstimatorKind.Mse;

    /// <summary>For quantile and percentile: the share of values left outside the range at each end.</summary>
    internal double? TailShare => Kind switch
    {
        RangeEstimatorKind.Quantile => OutlierProb,
        RangeEstimatorKind.Percentile => 1 - (Percentile / 100),
        _ => null,
    };

    internal void Validate(string what)
    {
        if (ClipMin is double lo && ClipMax is double hi && lo >= hi) ThrowHelper.Throw($"{what} clipping: the minimum's clipping value ({lo}) must be below the maximum's ({hi}).");
        if (!(OutlierProb is >= 0 and < 0.5)) ThrowHelper.Throw($"{what} outlier probability must be in [0, 0.5) (got {OutlierProb}).");
        if (!(Percentile is > 50 and <= 100)) ThrowHelper.Throw($"{what} percentile must be in (50, 100] (got {Percentile}).");
    }
}
