using PtqSharp.Quantization;
using PtqSharp.Statistics;

namespace PtqSharp.Tests.Statistics;

public class StatisticAggregationTests
{
    // Per-sample maxima of a tensor: mostly about 10, one sample with a spike.
    private static readonly float[] Maxima = [9.8f, 10.1f, 10f, 9.9f, 10.2f, 10f, 9.9f, 10.1f, 60f];

    [Theory]
    [InlineData(StatisticAggregator.Mean, 15.5, 15.6)]
    [InlineData(StatisticAggregator.Max, 60, 60)]
    [InlineData(StatisticAggregator.Median, 10, 10)]
    [InlineData(StatisticAggregator.MeanNoOutliers, 9.9, 10.1)]
    [InlineData(StatisticAggregator.HodgesLehmann, 9.95, 10.1)]
    public void Aggregators_combine_per_sample_values_as_pot_does(StatisticAggregator aggregator, double low, double high) =>
        Assert.InRange(StatisticAggregation.Aggregate(Maxima, aggregator), low, high);

    [Fact]
    public void Hodges_lehmann_is_the_median_of_pairwise_means()
    {
        // Walsh averages of {0, 1, 5}: 0, 0.5, 2.5, 1, 3, 5 -> median of sorted {0, 0.5, 1, 2.5, 3, 5} = 1.75.
        Assert.Equal(1.75f, StatisticAggregation.Aggregate([0f, 1f, 5f], StatisticAggregator.HodgesLehmann));
    }
}
