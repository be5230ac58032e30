namespace PtqSharp.Statistics;

/// <summary>
/// Each sample's minimum and maximum over the whole tensor (ReduceMin/ReduceMax in the graph), kept
/// per sample in a <see cref="MinMaxAggregator"/> so any aggregator can be applied afterwards.
/// </summary>
internal sealed record MinMaxStatistic : TensorStatistic
{
    public static readonly MinMaxStatistic Instance = new();

    public override IReadOnlyList<string> Instrument(ModelInstrumentation model, string tensor) =>
    [
        model.ReduceAll("ReduceMin", tensor, "min"),
        model.ReduceAll("ReduceMax", tensor, "max"),
    ];

    public override IStatisticAccumulator CreateAccumulator(int runs) => new Accumulator();

    private sealed class Accumulator : IStatisticAccumulator
    {
        private readonly MinMaxAggregator _aggregator = new();
        private float _min;

        public object Result => _aggregator;

        public void Add(int part, ReadOnlySpan<float> values)
        {
            if (part == 0) _min = values[0];
            else _aggregator.Add(_min, values[0]);
        }
    }
}
