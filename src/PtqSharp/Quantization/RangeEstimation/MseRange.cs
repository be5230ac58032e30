using PtqSharp.Statistics;

namespace PtqSharp.Quantization.RangeEstimation;

/// <summary>
/// The range that minimizes expected squared quantization error over the histogram: values inside
/// lose about step^2 / 12 to rounding, values outside lose their distance to the clip squared.
/// Candidates shrink the observed range in 1% steps down to 10%.
/// </summary>
internal static class MseRange
{
    public static float Symmetric(long[] absHistogram, float binWidth, int levels)
    {
        int last = Array.FindLastIndex(absHistogram, c => c > 0);
        if (last < 0) return binWidth;
        float full = (last + 1) * binWidth, best = full;
        double bestError = double.PositiveInfinity;
        for (int percent = 100; percent >= 10; percent--)
        {
            float t = full * percent / 100f, step = t / levels;
            double error = 0;
            for (int b = 0; b <= last; b++)
            {
                if (absHistogram[b] == 0) continue;
                float x = (b + 0.5f) * binWidth;
                double e = x <= t ? step * step / 12.0 : (x - t) * (x - t);
                error += absHistogram[b] * e;
            }

            if (error < bestError)
            {
                bestError = error;
                best = t;
            }
        }

        return best;
    }

    public static (float Min, float Max) Asymmetric(Histogram histogram, float min, float max, int levels)
    {
        min = Math.Min(min, 0f);
        max = Math.Max(max, 0f);
        var counts = histogram.Counts;
        float width = histogram.BinWidth, start = -histogram.AbsMax;
        (float, float) best = (min, max);
        double bestError = double.PositiveInfinity;
        for (int percent = 100; percent >= 10; percent--)
        {
            float lo = min * percent / 100f, hi = max * percent / 100f, step = (hi - lo) / levels;
            double error = 0;
            for (int b = 0; b < counts.Count; b++)
            {
                if (counts[b] == 0) continue;
                float x = start + (b + 0.5f) * width;
                double e = x < lo ? (lo - x) * (lo - x) : x > hi ? (x - hi) * (x - hi) : step * step / 12.0;
                error += counts[b] * e;
            }

            if (error < bestError)
            {
                bestError = error;
                best = (lo, hi);
            }
        }

        return best;
    }
}
