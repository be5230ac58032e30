using PtqSharp.Quantization;

namespace PtqSharp.Statistics;

/// <summary>Applies a <see cref="StatisticAggregator"/> to a list of per-sample values.</summary>
internal static class StatisticAggregation
{
    public static float Aggregate(IReadOnlyList<float> values, StatisticAggregator aggregator)
    {
        if (values.Count == 0) return 0f;
        return aggregator switch
        {
            StatisticAggregator.Mean => (float)values.Average(v => (double)v),
            StatisticAggregator.Min => values.Min(),
            StatisticAggregator.Max => values.Max(),
            StatisticAggregator.Median => Quantile(values.Order().ToArray(), 0.5),
            StatisticAggregator.MeanNoOutliers => (float)WithoutOutliers(values).Average(v => (double)v),
            StatisticAggregator.MedianNoOutliers => Quantile(WithoutOutliers(values), 0.5),
            StatisticAggregator.HodgesLehmann => HodgesLehmann(values),
            _ => throw new ArgumentOutOfRangeException(nameof(aggregator)),
        };
    }

    /// <summary>The median of the Walsh averages (x_i + x_j) / 2 over i &lt;= j: n(n+1)/2 values, 45,150 for 300 samples.</summary>
    private static float HodgesLehmann(IReadOnlyList<float> values)
    {
        var averages = new float[values.Count * (values.Count + 1) / 2];
        int k = 0;
        for (int i = 0; i < values.Count; i++)
        {
            for (int j = i; j < values.Count; j++) averages[k++] = (values[i] + values[j]) / 2;
        }

        Array.Sort(averages);
        return Quantile(averages, 0.5);
    }

    /// <summary>The sorted values inside [Q1 - 1.5 IQR, Q3 + 1.5 IQR]; never empty.</summary>
    private static float[] WithoutOutliers(IReadOnlyList<float> values)
    {
        var sorted = values.Order().ToArray();
        float q1 = Quantile(sorted, 0.25), q3 = Quantile(sorted, 0.75), fence = 1.5f * (q3 - q1);
        var kept = sorted.Where(v => v >= q1 - fence && v <= q3 + fence).ToArray();
        return kept.Length > 0 ? kept : sorted;
    }

    /// <summary>Linear-interpolated quantile of sorted values.</summary>
    private static float Quantile(float[] sorted, double q)
    {
        double at = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(at), hi = Math.Min(lo + 1, sorted.Length - 1);
        return (float)(sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo));
    }
}
