namespace PtqSharp.Statistics;

/// <summary>
/// A value histogram over [-<paramref name="AbsMax"/>, <paramref name="AbsMax"/>] for histogram-based
/// range estimators: the tensor leaves the runtime whole, is binned and dropped, so memory is the bins
/// whatever the number of samples. The range comes from an earlier min/max pass.
/// </summary>
internal sealed record HistogramStatistic(float AbsMax, int Bins = Histogram.DefaultBins) : TensorStatistic
{
    public override IReadOnlyList<string> Instrument(ModelInstrumentation model, string tensor) => [model.Expose(tensor)];

    public override IStatisticAccumulator CreateAccumulator(int runs) => new Accumulator(new Histogram(AbsMax, Bins));

    private sealed class Accumulator(Histogram histogram) : IStatisticAccumulator
    {
        public object Result => histogram;

        public void Add(int part, ReadOnlySpan<float> values) => histogram.Add(values);
    }
}
