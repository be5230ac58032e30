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

    [Theory]
    [InlineData(0, 104)]
    [InlineData(104, 0)]
    [InlineData(57, 100)]
    public void Each_sample_extreme_counts_wherever_it_lies_in_the_tensor(int minAt, int maxAt)
    {
        // 105 values: vector blocks of 4, 8 or 16 leave a partial block at the end.
        var values = Enumerable.Range(0, 105).Select(i => (float)Math.Sin(i)).ToArray();
        values[minAt] = -7f;
        values[maxAt] = 9f;
        var b = new GraphBuilder().Input("x", 1, 3, 7, 5).Output("y", 1, 3, 7, 5);
        b.Node("Relu", "relu", ["x"], ["y"]);
        var engine = new StatisticsEngine(Dataset.FromTensors([new SampleTensor(values, [1, 3, 7, 5])]), [0], 1, null, default);

        var stats = engine.Collect(b.Build(), [new StatisticPoint("x", MinMaxStatistic.Instance), new StatisticPoint("y", MinMaxStatistic.Instance)], "test");

        Assert.Equal((-7f, 9f), (stats.MinMax("x").GlobalMin, stats.MinMax("x").GlobalMax));
        Assert.Equal((0f, 9f), (stats.MinMax("y").GlobalMin, stats.MinMax("y").GlobalMax));
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

    [Fact]
    public void Sessions_side_by_side_aggregate_in_sample_order_with_the_results_of_one()
    {
        // Every third sample loads slowly, so workers finish their runs out of order.
        var random = RandomData.Samples(40, [1, 3, 2, 2], scale: 3f, seed: 7);
        var data = Dataset.FromList(Enumerable.Range(0, 40).ToList(), i =>
        {
            if (i % 3 == 0) Thread.Sleep(20);
            return random.Get(i);
        });
        var points = new[]
        {
            new StatisticPoint("x", MinMaxStatistic.Instance),
            new StatisticPoint("x", new TailStatistic(0.05)),
            new StatisticPoint("y", ChannelMeanStatistic.Instance),
            new StatisticPoint("x", new FirstValues()),
        };
        StatisticsContainer Collect(int parallelism, List<int> done) =>
            new StatisticsEngine(data, Enumerable.Range(0, 40).ToList(), 1, new Recorder(p => done.Add(p.Done)), default) { Parallelism = parallelism }
                .Collect(ReluModel(), points, "test");

        var oneDone = new List<int>();
        var threeDone = new List<int>();
        var one = Collect(1, oneDone);
        var three = Collect(3, threeDone);

        Assert.Equal(Enumerable.Range(1, 40), threeDone);
        Assert.Equal(oneDone, threeDone);
        var inOrder = Enumerable.Range(0, 40).Select(i => random.Get(i).Inputs.Values.Single().Data.GetValue(0)).Cast<float>();
        Assert.Equal(inOrder, one.Get<List<float>>(points[3]));
        Assert.Equal(inOrder, three.Get<List<float>>(points[3]));

        // Per-sample extremes kept in sample order: the mean of the first half differs from the second's.
        var (a, b) = (one.MinMax("x"), three.MinMax("x"));
        Assert.Equal(40, b.Count);
        foreach (var aggregator in new[] { StatisticAggregator.Mean, StatisticAggregator.Median, StatisticAggregator.Min })
        {
            Assert.Equal(a.Min(aggregator), b.Min(aggregator));
            Assert.Equal(a.Max(aggregator), b.Max(aggregator));
        }

        Assert.Equal(one.ChannelMean("y"), three.ChannelMean("y"));
        var (ta, tb) = (one.Get<TensorTails>(points[1]), three.Get<TensorTails>(points[1]));
        Assert.Equal(ta.Largest, tb.Largest);
        Assert.Equal(ta.Smallest, tb.Smallest);
    }

    [Fact]
    public async Task A_bad_sample_in_a_side_by_side_pass_is_the_error_reported_and_no_worker_waits_for_it()
    {
        var good = RandomData.Samples(30, [1, 3, 2, 2]);
        var data = Dataset.FromList(Enumerable.Range(0, 30).ToList(), i => i == 11
            ? new Sample(new Dictionary<string, SampleTensor> { ["x"] = new(new float[6], [1, 3, 2, 1]) }, "sample-eleven.npy")
            : good.Get(i));
        var engine = new StatisticsEngine(data, Enumerable.Range(0, 30).ToList(), 1, null, default) { Parallelism = 3 };

        var collect = Task.Run(() => engine.Collect(ReluModel(), [new StatisticPoint("x", MinMaxStatistic.Instance)], "test"));
        Assert.True(await Task.WhenAny(collect, Task.Delay(TimeSpan.FromSeconds(60))) == collect, "the pass hung after a worker failed");
        var error = await Assert.ThrowsAsync<PtqException>(() => collect);
        Assert.Contains("sample-eleven.npy", error.Message);
    }

    /// <summary>The first value of the tensor in each run, in the order runs were aggregated.</summary>
    private sealed record FirstValues : TensorStatistic
    {
        public override IReadOnlyList<string> Instrument(ModelInstrumentation model, string tensor) => [model.Expose(tensor)];

        public override IStatisticAccumulator CreateAccumulator(int runs) => new Accumulator();

        private sealed class Accumulator : IStatisticAccumulator
        {
            private readonly List<float> _first = [];

            public object Result => _first;

            public void Add(int part, ReadOnlySpan<float> values) => _first.Add(values[0]);
        }
    }

    private sealed class Recorder(Action<QuantizationProgress> report) : IProgress<QuantizationProgress>
    {
        public void Report(QuantizationProgress value) => report(value);
    }
}
