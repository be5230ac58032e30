namespace PtqSharp.Quantization;

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
