namespace PtqSharp.Statistics;

/// <summary>
/// Streams per-batch minima and maxima of one tensor into the aggregates POT uses by default:
/// the mean over batches of the min, the max and the absolute max, plus the extremes seen.
/// Constant memory whatever the number of samples.
/// </summary>
public sealed class MinMaxAggregator
{
    private double _sumMin;
    private double _sumMax;
    private double _sumAbsMax;

    public int Count { get; private set; }

    public float GlobalMin { get; private set; } = float.PositiveInfinity;

    public float GlobalMax { get; private set; } = float.NegativeInfinity;

    public float MeanMin => Count == 0 ? 0f : (float)(_sumMin / Count);

    public float MeanMax => Count == 0 ? 0f : (float)(_sumMax / Count);

    public float MeanAbsMax => Count == 0 ? 0f : (float)(_sumAbsMax / Count);

    public void Add(float min, float max)
    {
        // A reduction over an empty tensor yields +inf/-inf; it carries no range information.
        if (!float.IsFinite(min) || !float.IsFinite(max)) return;
        _sumMin += min;
        _sumMax += max;
        _sumAbsMax += Math.Max(Math.Abs(min), Math.Abs(max));
        GlobalMin = Math.Min(GlobalMin, min);
        GlobalMax = Math.Max(GlobalMax, max);
        Count++;
    }

    /// <summary>Combines tensors that must share one quantizer: the widest of their aggregated ranges.</summary>
    public static (float Min, float Max, float AbsMax, float GlobalMin) Union(IEnumerable<MinMaxAggregator> parts)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity, absMax = 0f, globalMin = float.PositiveInfinity;
        bool any = false;
        foreach (var p in parts.Where(p => p.Count > 0))
        {
            any = true;
            min = Math.Min(min, p.MeanMin);
            max = Math.Max(max, p.MeanMax);
            absMax = Math.Max(absMax, p.MeanAbsMax);
            globalMin = Math.Min(globalMin, p.GlobalMin);
        }

        return any ? (min, max, absMax, globalMin) : (0f, 0f, 0f, 0f);
    }
}
