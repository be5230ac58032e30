using PtqSharp.Quantization;
using PtqSharp.Quantization.RangeEstimation;
using PtqSharp.Statistics;

namespace PtqSharp.Tests.Quantization;

public class RangeEstimatorTests
{
    /// <summary>Standard normal values with a few far outliers.</summary>
    private static float[] GaussianWithOutliers(int n = 200_000)
    {
        var random = new Random(3);
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        values[0] = 40f;
        values[1] = -35f;
        return values;
    }

    private static (MinMaxAggregator Stats, Histogram Histogram, TensorTails Tails) Observe(float[] values, double share = 1e-4)
    {
        var stats = new MinMaxAggregator();
        stats.Add(values.Min(), values.Max());
        var histogram = new Histogram(Math.Max(-values.Min(), values.Max()));
        histogram.Add(values);
        var tails = new TailStatistic(share).CreateAccumulator(runs: 1);
        tails.Add(0, values);
        return (stats, histogram, (TensorTails)tails.Result);
    }

    [Theory]
    [InlineData(RangeEstimatorKind.Quantile, 3.3, 4.2)]
    [InlineData(RangeEstimatorKind.Percentile, 4.0, 6.0)]
    [InlineData(RangeEstimatorKind.Entropy, 2.0, 8.0)]
    [InlineData(RangeEstimatorKind.Mse, 2.0, 30.0)] // squared error keeps far outliers when clipping them costs more than coarser steps
    public void Histogram_estimators_clip_outliers_of_a_gaussian(RangeEstimatorKind kind, double low, double high)
    {
        var estimator = new RangeEstimator { Kind = kind };
        var (stats, histogram, tails) = Observe(GaussianWithOutliers(), estimator.TailShare ?? 0);
        var (min, max) = ActivationRange.Estimate(estimator, stats, histogram, tails, symmetric: true, levels: 127);
        Assert.Equal(-max, min);
        Assert.InRange(max, low, high);
    }

    [Fact]
    public void Tails_give_the_exact_quantile_of_every_value_across_runs_whatever_their_order()
    {
        var values = GaussianWithOutliers(100_000);
        const double share = 1e-3; // 100 values beyond each end
        var accumulator = new TailStatistic(share).CreateAccumulator(runs: 10);
        for (int run = 0; run < 10; run++) accumulator.Add(0, values.AsSpan(run * 10_000, 10_000));
        var tails = (TensorTails)accumulator.Result;

        var sorted = values.Order().ToArray();
        Assert.Equal(100_000, tails.Total);
        Assert.Equal(sorted[^101], tails.Upper(share)); // 100 values above it
        Assert.Equal(sorted[100], tails.Lower(share));
        var abs = values.Select(MathF.Abs).OrderDescending().ToArray();
        Assert.Equal(abs[100], tails.AbsUpper(share));
        Assert.Equal(40f, tails.Upper(0));
        Assert.Equal(-35f, tails.Lower(0));
    }

    [Fact]
    public void Tails_skip_runs_that_reach_neither_tail_and_ignore_nan()
    {
        var accumulator = new TailStatistic(0.01).CreateAccumulator(runs: 2);
        accumulator.Add(0, Enumerable.Range(0, 100).Select(i => (float)i).ToArray()); // keeps 3 of each tail (rank 2 of 200 values, plus one): 99, 98, 97 and 0, 1, 2
        accumulator.Add(0, [50f, float.NaN, 98.5f, -1f]);
        var tails = (TensorTails)accumulator.Result;
        Assert.Equal([99f, 98.5f, 98f], tails.Largest);
        Assert.Equal([-1f, 0f, 1f], tails.Smallest);
        Assert.Equal(104, tails.Total);
        Assert.Equal(98.5f, tails.Upper(0.01)); // rank floor(1.04) = 1 from the top
    }

    [Fact]
    public void Min_max_aggregators_combine_per_sample_ranges()
    {
        var stats = new MinMaxAggregator();
        foreach (var m in new[] { 1f, 2f, 3f, 4f, 100f }) stats.Add(-m / 2, m);
        Assert.Equal(22f, stats.Max(StatisticAggregator.Mean));
        Assert.Equal(3f, stats.Max(StatisticAggregator.Median));
        Assert.Equal(100f, stats.Max(StatisticAggregator.Max));
        Assert.Equal(1f, stats.Max(StatisticAggregator.Min));
        Assert.Equal(2.5f, stats.Max(StatisticAggregator.MeanNoOutliers)); // 100 is outside Tukey's fences
        Assert.Equal(2.5f, stats.Max(StatisticAggregator.MedianNoOutliers));
        Assert.Equal(-50f, stats.Min(StatisticAggregator.Min));
    }

    [Fact]
    public void Asymmetric_estimates_keep_one_sided_tensors_one_sided()
    {
        var values = GaussianWithOutliers().Select(MathF.Abs).ToArray();
        foreach (var kind in Enum.GetValues<RangeEstimatorKind>())
        {
            var estimator = new RangeEstimator { Kind = kind };
            var (stats, histogram, tails) = Observe(values, estimator.TailShare ?? 0);
            var (min, max) = ActivationRange.Estimate(estimator, stats, histogram, tails, symmetric: false, levels: 255);
            Assert.True(min >= -0.01f, $"{kind}: min {min}");
            Assert.InRange(max, 2f, 40f);
        }
    }
}

public class RangeEstimatorOptionTests
{
    [Theory]
    [InlineData(RangeEstimatorKind.Quantile)]
    [InlineData(RangeEstimatorKind.Percentile)]
    [InlineData(RangeEstimatorKind.Entropy)]
    [InlineData(RangeEstimatorKind.Mse)]
    public void Every_activation_estimator_quantizes_end_to_end(RangeEstimatorKind kind)
    {
        var data = Tests.Data.RandomData.Samples(30, [1, 3, 16, 16], scale: 2f);
        var options = new PtqSharp.Quantization.QuantizationOptions
        {
            SubsetSize = 20, HoldOutSize = 10, LatencyAware = Structural.LatencyOff,
            ActivationRange = new RangeEstimator { Kind = kind },
            WeightRange = new RangeEstimator { Kind = kind == RangeEstimatorKind.Entropy ? RangeEstimatorKind.Mse : kind },
        };
        var result = PtqSharp.Quantization.Quantizer.Quantize(TestGraphs.TwoConv().Onnx(), data, options);
        Assert.True(result.Report.HoldOutAgreement!.MeanCosine > 0.98, $"{kind}: cosine {result.Report.HoldOutAgreement.MeanCosine}");
        Assert.Equal(2, result.Report.Kernels.Count("QLinearConv"));
    }

    [Fact]
    public void Entropy_is_refused_for_weights()
    {
        var options = new PtqSharp.Quantization.QuantizationOptions { WeightRange = new RangeEstimator { Kind = RangeEstimatorKind.Entropy } };
        var e = Assert.Throws<PtqException>(() => PtqSharp.Quantization.Quantizer.Quantize(TestGraphs.TwoConv().Onnx(), Tests.Data.RandomData.Samples(2, [1, 3, 16, 16]), options));
        Assert.Contains("for activations", e.Message);
    }
}
