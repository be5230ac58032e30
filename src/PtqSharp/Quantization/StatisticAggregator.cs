namespace PtqSharp.Quantization;

/// <summary>How per-sample statistics (each sample's min or max) become one value, as POT's aggregators.</summary>
public enum StatisticAggregator
{
    /// <summary>The mean of the per-sample values (POT's default).</summary>
    Mean,
    /// <summary>The smallest.</summary>
    Min,
    /// <summary>The largest: the whole observed range.</summary>
    Max,
    /// <summary>The median.</summary>
    Median,

    /// <summary>Mean of the values inside Tukey's fences (quartiles -/+ 1.5 interquartile ranges).</summary>
    MeanNoOutliers,

    /// <summary>Median of the values inside Tukey's fences.</summary>
    MedianNoOutliers,

    /// <summary>The Hodges-Lehmann estimator (POT's hl_estimator): the median of all pairwise means, robust like the median but less noisy.</summary>
    HodgesLehmann,
}
