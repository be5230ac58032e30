using PtqSharp.Statistics;

namespace PtqSharp.Quantization.RangeEstimation;

/// <summary>
/// An activation quantizer's range from its statistics. Symmetric quantizers get a range
/// [-t, t] (or [0, t] for never-negative tensors); asymmetric ones [min, max].
/// </summary>
internal static class ActivationRange
{
    /// <param name="estimator">The estimator and its parameters.</param>
    /// <param name="stats">Per-sample minima and maxima of the tensor.</param>
    /// <param name="histogram">Its value histogram, for entropy and MSE.</param>
    /// <param name="tails">Its extreme values, for quantile and percentile.</param>
    /// <param name="symmetric">Whether the quantizer is symmetric.</param>
    /// <param name="levels">Quantization steps from zero to the range end: 127 for int8 symmetric, 255 for uint8 and asymmetric.</param>
    public static (float Min, float Max) Estimate(RangeEstimator estimator, MinMaxAggregator stats, Histogram? histogram, TensorTails? tails, bool symmetric, int levels)
    {
        var (min, max) = estimator.TailShare is double share && tails is { Total: > 0 }
            ? FromTails(tails, share, symmetric, stats.GlobalMin >= 0f)
            : Unclipped(estimator, stats, histogram, symmetric, levels);
        if (estimator.ClipMin is double lo) min = MathF.Max(min, (float)lo);
        if (estimator.ClipMax is double hi) max = MathF.Min(max, (float)hi);
        return (MathF.Min(min, max), max);
    }

    /// <summary>Quantile and percentile: the values with the given share of the tensor beyond them, from its exact tails.</summary>
    private static (float Min, float Max) FromTails(TensorTails tails, double share, bool symmetric, bool unsigned)
    {
        if (!symmetric) return (tails.Lower(share), tails.Upper(share));
        float t = tails.AbsUpper(share);
        return (unsigned ? 0f : -t, t);
    }

    private static (float Min, float Max) Unclipped(RangeEstimator estimator, MinMaxAggregator stats, Histogram? histogram, bool symmetric, int levels)
    {
        bool unsigned = stats.GlobalMin >= 0f;
        if (!estimator.NeedsHistogram || histogram is null || histogram.Total == 0)
        {
            if (!symmetric) return (stats.Min(estimator.Aggregator), stats.Max(estimator.Aggregator));
            float t = stats.AbsMax(estimator.Aggregator);
            return (unsigned ? 0f : -t, t);
        }

        if (symmetric)
        {
            float t = estimator.Kind switch
            {
                RangeEstimatorKind.Entropy => EntropyThreshold.Find(histogram.Folded(), histogram.BinWidth, levels: unsigned ? 255 : 128),
                _ => MseRange.Symmetric(histogram.Folded(), histogram.BinWidth, levels),
            };
            return (unsigned ? 0f : -t, t);
        }

        return estimator.Kind switch
        {
            RangeEstimatorKind.Entropy => EntropyRange(histogram, stats, unsigned ? 255 : 128),
            _ => MseRange.Asymmetric(histogram, stats.GlobalMin, stats.GlobalMax, levels),
        };
    }

    /// <summary>Entropy is defined on |x|: the threshold clips both sides, within what was observed.</summary>
    private static (float, float) EntropyRange(Histogram histogram, MinMaxAggregator stats, int levels)
    {
        float t = EntropyThreshold.Find(histogram.Folded(), histogram.BinWidth, levels);
        return (Math.Max(stats.GlobalMin, -t), Math.Min(stats.GlobalMax, t));
    }
}
