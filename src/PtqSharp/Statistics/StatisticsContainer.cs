namespace PtqSharp.Statistics;

/// <summary>The statistics one engine pass collected, by point.</summary>
internal sealed class StatisticsContainer
{
    public static readonly StatisticsContainer Empty = new(new Dictionary<StatisticPoint, object>());

    private readonly IReadOnlyDictionary<StatisticPoint, object> _results;

    public StatisticsContainer(IReadOnlyDictionary<StatisticPoint, object> results) => _results = results;

    /// <summary>The aggregated statistic of a point the pass collected.</summary>
    public T Get<T>(StatisticPoint point) => _results.TryGetValue(point, out var r) && r is T value
        ? value
        : throw new InvalidOperationException($"No {typeof(T).Name} was collected for {point}; the step did not declare it.");

    /// <summary>Per-sample minima and maxima of a tensor.</summary>
    public MinMaxAggregator MinMax(string tensor) => Get<MinMaxAggregator>(new(tensor, MinMaxStatistic.Instance));

    /// <summary>Channel means of a tensor (empty when no sample reached it).</summary>
    public float[] ChannelMean(string tensor) => Get<float[]>(new(tensor, ChannelMeanStatistic.Instance));
}
