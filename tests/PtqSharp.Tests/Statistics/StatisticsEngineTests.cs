using PtqSharp.Data;
using PtqSharp.Quantization;
using PtqSharp.Statistics;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Statistics;

public class StatisticsEngineTests
{
    /// <summary>y = Relu(x) for x [1, 3, 2, 2]: the statistics of x and y are known from the samples.</summary>
    private static global::Onnx.ModelProto ReluModel()
    {
        var b = new GraphBuilder().Input("x", 1, 3, 2, 2).Output("y", 1, 3, 2, 2);
        b.Node("Relu", "relu", ["x"], ["y"]);
        return b.Build();
    }

    private static Dataset Samples(params float[][] values) =>
        Dataset.FromTensors(values.Select(v => new SampleTensor(v, [1, 3, 2, 2])).ToList());

    private static readonly float[] First = [1, 2, 3, 4, -1, -2, -3, -4, 0, 0, 0, 8];
    private static readonly float[] Second = [5, 5, 5, 5, 1, 1, 1, 1, -6, 0, 0, 0];

    [Fact]
    public void Every_point_of_a_pass_comes_from_one_run_over_the_samples()
    {
        var data = new CountingDataset(Samples(First, Second));
        var engine = new StatisticsEngine(data, [0, 1], batchSize: 1, progress: null, default);
        var points = new[]
        {
            new StatisticPoint("x", MinMaxStatistic.Instance),
            new StatisticPoint("y", MinMaxStatistic.Instance),
            new StatisticPoint("x", ChannelMeanStatistic.Instance),
            new StatisticPoint("x", new ChannelAbsMaxStatistic(2)),
            new StatisticPoint("x", new HistogramStatistic(8f, 16)),
            new StatisticPoint("x", MinMaxStatistic.Instance), // asked twice (two steps): collected once
        };

        var stats = engine.Collect(ReluModel(), points, "test");

        Assert.Equal(2, data.Reads);
        var x = stats.MinMax("x");
        Assert.Equal(2, x.Count);
        Assert.Equal(-6f, x.GlobalMin);
        Assert.Equal(8f, x.GlobalMax);
        Assert.Equal((-4f + -6f) / 2, x.Min(StatisticAggregator.Mean));
        Assert.Equal(0f, stats.MinMax("y").GlobalMin);

        // Channel means over both samples: (mean of sample 1 + mean of sample 2) / 2 per channel.
        Assert.Equal([(2.5f + 5f) / 2, (-2.5f + 1f) / 2, (2f + -1.5f) / 2], stats.ChannelMean("x"));
        Assert.Equal([6f, 8f], stats.Get<float[]>(new StatisticPoint("x", new ChannelAbsMaxStatistic(2))));
        var histogram = stats.Get<Histogram>(new StatisticPoint("x", new HistogramStatistic(8f, 16)));
        Assert.Equal(24, histogram.Total);
    }

    [Fact]
    public void The_largest_magnitude_per_last_axis_channel_is_the_maximum_over_samples()
    {
        // [1, 3, 2, 2] reshaped to [-1, 2]: channel 0 holds even positions, channel 1 odd ones.
        var engine = new StatisticsEngine(Samples(First, Second), [0, 1], 1, null, default);
        var point = new StatisticPoint("x", new ChannelAbsMaxStatistic(2));
        var absMax = engine.Collect(ReluModel(), [point], "test").Get<float[]>(point);
        Assert.Equal([6f, 8f], absMax);
    }

    [Fact]
    public void No_points_means_no_pass()
    {
        var data = new CountingDataset(Samples(First));
        var stats = new StatisticsEngine(data, [0], 1, null, default).Collect(ReluModel(), [], "nothing");
        Assert.Equal(0, data.Reads);
        Assert.Throws<InvalidOperationException>(() => stats.MinMax("x"));
    }

    [Fact]
    public void A_smaller_engine_reads_only_its_first_samples_and_cancellation_stops_a_pass()
    {
        var data = new CountingDataset(RandomData.Samples(10, [1, 3, 2, 2]));
        var engine = new StatisticsEngine(data, Enumerable.Range(0, 10).ToList(), 1, null, default);
        engine.Take(4).Collect(ReluModel(), [new StatisticPoint("x", MinMaxStatistic.Instance)], "four");
        Assert.Equal(4, data.Reads);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var stopped = new StatisticsEngine(data, Enumerable.Range(0, 10).ToList(), 1, null, cancelled.Token);
        Assert.Throws<OperationCanceledException>(() => stopped.Collect(ReluModel(), [new StatisticPoint("x", MinMaxStatistic.Instance)], "cancelled"));
    }
}
