namespace PtqSharp.Statistics;

/// <summary>Running mean of equally sized vectors, one per sample (a vector of another width is skipped: its channels do not compare).</summary>
internal sealed class VectorMeanAccumulator : IStatisticAccumulator
{
    private double[]? _sum;
    private int _count;

    public object Result => _sum is null ? Array.Empty<float>() : _sum.Select(v => (float)(v / _count)).ToArray();

    public void Add(int part, ReadOnlySpan<float> values)
    {
        _sum ??= new double[values.Length];
        if (values.Length != _sum.Length) return; // a sample of another width carries no comparable channel means
        for (int i = 0; i < values.Length; i++) _sum[i] += values[i];
        _count++;
    }
}
