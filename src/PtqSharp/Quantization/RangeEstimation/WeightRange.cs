using PtqSharp.Statistics;

namespace PtqSharp.Quantization.RangeEstimation;

/// <summary>
/// Per-channel clipping thresholds of symmetric weights. Weights are in memory, so quantiles and
/// the MSE search run on the exact values rather than a histogram.
/// </summary>
internal static class WeightRange
{
    public static float[] Thresholds(RangeEstimator estimator, ReadOnlySpan<float> values, IReadOnlyList<long> shape, int? axis, int levelHigh)
    {
        var absMax = WeightStatistics.AbsMaxPerChannel(values, shape, axis);
        if (estimator.Kind == RangeEstimatorKind.MinMax) return absMax;
        if (estimator.Kind == RangeEstimatorKind.Entropy) ThrowHelper.Throw("The entropy range estimator is for activations; for weights use minmax, quantile, percentile or mse.");

        var channels = Channels(values, shape, axis, absMax.Length);
        var result = new float[absMax.Length];
        for (int c = 0; c < result.Length; c++)
        {
            var abs = channels[c].Select(MathF.Abs).Order().ToArray();
            result[c] = estimator.Kind switch
            {
                RangeEstimatorKind.Quantile => Quantile(abs, 1 - estimator.OutlierProb),
                RangeEstimatorKind.Percentile => Quantile(abs, estimator.Percentile / 100),
                _ => MseThreshold(channels[c], absMax[c], levelHigh),
            };
        }

        return result;
    }

    /// <summary>The threshold among 50%..100% of the channel's max that minimizes the exact squared rounding-plus-clipping error.</summary>
    private static float MseThreshold(float[] values, float absMax, int levelHigh)
    {
        if (absMax == 0) return 0;
        float best = absMax;
        double bestError = double.PositiveInfinity;
        for (int percent = 100; percent >= 50; percent--)
        {
            float t = absMax * percent / 100f, scale = t / levelHigh;
            double error = 0;
            foreach (var v in values)
            {
                float q = Math.Clamp(MathF.Round(v / scale), -levelHigh, levelHigh) * scale;
                error += (v - q) * (double)(v - q);
            }

            if (error < bestError)
            {
                bestError = error;
                best = t;
            }
        }

        return best;
    }

    private static float Quantile(float[] sorted, double q) =>
        sorted.Length == 0 ? 0f : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>The values of each output channel.</summary>
    private static float[][] Channels(ReadOnlySpan<float> values, IReadOnlyList<long> shape, int? axis, int count)
    {
        if (axis is not int a) return [values.ToArray()];
        long inner = 1;
        for (int d = a + 1; d < shape.Count; d++) inner *= shape[d];
        var lists = Enumerable.Range(0, count).Select(_ => new List<float>()).ToArray();
        for (int i = 0; i < values.Length; i++) lists[(int)(i / inner % count)].Add(values[i]);
        return lists.Select(l => l.ToArray()).ToArray();
    }
}
