using PtqSharp.Quantization;

namespace PtqSharp.Statistics;

/// <summary>
/// Keeps each sample's (each batch's) minimum and maximum of one tensor, so any
/// <see cref="StatisticAggregator"/> can be applied afterwards: two floats per sample, bounded by
/// the subset size and independent of the tensor's size.
/// </summary>
internal sealed class MinMaxAggregator
{
    private readonly List<float> _mins = new();
    private readonly List<float> _maxs = new();
    private readonly List<float> _absMaxs = new();

    public int Count => _mins.Count;

    public float GlobalMin { get; private set; } = float.PositiveInfinity;

    public float GlobalMax { get; private set; } = float.NegativeInfinity;

    public void Add(float min, float max)
    {
        // A reduction over an empty tensor yields +inf/-inf; it carries no range information.
        if (!float.IsFinite(min) || !float.IsFinite(max)) return;
        _mins.Add(min);
        _maxs.Add(max);
        _absMaxs.Add(Math.Max(Math.Abs(min), Math.Abs(max)));
        GlobalMin = Math.Min(GlobalMin, min);
        GlobalMax = Math.Max(GlobalMax, max);
    }

    public float Min(StatisticAggregator aggregator) => StatisticAggregation.Aggregate(_mins, aggregator);

    public float Max(StatisticAggregator aggregator) => StatisticAggregation.Aggregate(_maxs, aggregator);

    public float AbsMax(StatisticAggregator aggregator) => StatisticAggregation.Aggregate(_absMaxs, aggregator);
}
