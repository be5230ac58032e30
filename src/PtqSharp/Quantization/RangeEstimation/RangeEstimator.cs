using PtqSharp.Statistics;

namespace PtqSharp.Quantization.RangeEstimation;

/// <summary>How a quantizer's range is chosen from calibration statistics.</summary>
public enum RangeEstimatorKind
{
    /// <summary>Each sample's min and max, aggregated (POT's default: mean).</summary>
    MinMax,

    /// <summary>Clip the outlier tails: the <see cref="RangeEstimator.OutlierProb"/> and 1 - OutlierProb quantiles.</summary>
    Quantile,

    /// <summary>Histogram percentile: keep <see cref="RangeEstimator.Percentile"/> percent of the values (of |x| when symmetric).</summary>
    Percentile,

    /// <summary>Minimize the KL divergence between the value histogram and its quantized version (TensorRT's entropy calibration: 2,048 bins, 128 levels).</summary>
    Entropy,

    /// <summary>Minimize the expected squared quantization error, clipping plus rounding, over candidate ranges.</summary>
    Mse,
}

/// <summary>A range estimator and its parameters; immutable, with POT's defaults.</summary>
public sealed record RangeEstimator
{
    public static readonly RangeEstimator Default = new();

    public RangeEstimatorKind Kind { get; init; } = RangeEstimatorKind.MinMax;

    /// <summary>For <see cref="RangeEstimatorKind.MinMax"/>: how per-sample minima and maxima combine.</summary>
    public StatisticAggregator Aggregator { get; init; } = StatisticAggregator.Mean;

    /// <summary>For <see cref="RangeEstimatorKind.Quantile"/>: the probability mass clipped at each end.</summary>
    public double OutlierProb { get; init; } = 1e-4;

    /// <summary>For <see cref="RangeEstimatorKind.Percentile"/>: the percentage of values kept.</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary>Whether the estimator needs a second pass that bins whole tensors.</summary>
    public bool NeedsHistogram => Kind is not RangeEstimatorKind.MinMax;

    internal void Validate(string what)
    {
        if (!(OutlierProb is >= 0 and < 0.5)) ThrowHelper.Throw($"{what} outlier probability must be in [0, 0.5) (got {OutlierProb}).");
        if (!(Percentile is > 50 and <= 100)) ThrowHelper.Throw($"{what} percentile must be in (50, 100] (got {Percentile}).");
    }
}
