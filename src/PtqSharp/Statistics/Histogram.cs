namespace PtqSharp.Statistics;

/// <summary>
/// A fixed-range histogram of a tensor's values over [-A, A] with an even number of bins, so zero
/// is a bin edge and the histogram of |x| folds out of it exactly. Streams: memory is the bins only.
/// </summary>
internal sealed class Histogram
{
    public const int DefaultBins = 4096;

    private readonly long[] _counts;

    public Histogram(float absMax, int bins = DefaultBins)
    {
        if (bins < 2 || bins % 2 != 0) throw new ArgumentOutOfRangeException(nameof(bins), "An even number of bins is needed.");
        AbsMax = absMax > 0 && float.IsFinite(absMax) ? absMax : 1f;
        _counts = new long[bins];
    }

    public float AbsMax { get; }

    public int Bins => _counts.Length;

    public float BinWidth => 2 * AbsMax / _counts.Length;

    public long Total { get; private set; }

    public IReadOnlyList<long> Counts => _counts;

    public void Add(ReadOnlySpan<float> values)
    {
        float scale = _counts.Length / (2 * AbsMax);
        int last = _counts.Length - 1;
        foreach (var v in values)
        {
            // Values beyond the range (later samples can exceed the first pass's extremes only by float noise) go to the end bins.
            int bin = (int)((v + AbsMax) * scale);
            _counts[bin < 0 ? 0 : bin > last ? last : bin]++;
        }

        Total += values.Length;
    }

    /// <summary>The histogram of |x| over [0, A], half as many bins of the same width.</summary>
    public long[] Folded()
    {
        int half = _counts.Length / 2;
        var result = new long[half];
        for (int j = 0; j < half; j++) result[j] = _counts[half + j] + _counts[half - 1 - j];
        return result;
    }
}
