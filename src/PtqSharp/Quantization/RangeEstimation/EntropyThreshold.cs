namespace PtqSharp.Quantization.RangeEstimation;

/// <summary>
/// TensorRT's entropy calibration on a histogram of |x|: for each candidate clip bin i, the
/// reference distribution P is the first i bins with everything beyond folded into the last, Q is P
/// merged into <c>levels</c> buckets and spread back over P's non-empty bins, and the threshold is
/// the one with the smallest KL(P || Q). Works on at most 2,048 bins (wider histograms are merged).
/// </summary>
internal static class EntropyThreshold
{
    private const int MaxBins = 2048;

    public static float Find(long[] absHistogram, float binWidth, int levels)
    {
        var bins = (long[])absHistogram.Clone();
        float width = binWidth;
        while (bins.Length > MaxBins)
        {
            bins = Enumerable.Range(0, bins.Length / 2).Select(i => bins[2 * i] + bins[2 * i + 1]).ToArray();
            width *= 2;
        }

        // The first bin holds every exact zero (half a ReLU output); that spike would make any merge of
        // it look costly and pin the threshold at the smallest candidate. Flatten it to its neighbour.
        if (bins.Length > 1) bins[0] = bins[1];

        int last = Array.FindLastIndex(bins, c => c > 0);
        if (last < levels) return (last + 1) * width; // fewer occupied bins than levels: no clipping helps

        double bestKl = double.PositiveInfinity;
        int best = last + 1;
        var p = new double[bins.Length];
        var q = new double[bins.Length];
        for (int i = levels; i <= last + 1; i++)
        {
            // P: the first i bins, with the clipped tail added to the last one.
            double tail = 0;
            for (int k = i; k < bins.Length; k++) tail += bins[k];
            for (int k = 0; k < i; k++) p[k] = bins[k];
            p[i - 1] += tail;

            // Q: merge the i bins into `levels` buckets, then spread each bucket evenly over its non-empty bins.
            for (int b = 0; b < levels; b++)
            {
                int start = b * i / levels, end = (b + 1) * i / levels;
                double sum = 0;
                int nonZero = 0;
                for (int k = start; k < end; k++)
                {
                    sum += bins[k];
                    if (bins[k] != 0) nonZero++;
                }

                for (int k = start; k < end; k++) q[k] = bins[k] != 0 && nonZero > 0 ? sum / nonZero : 0;
            }

            double kl = Divergence(p, q, i);
            if (kl < bestKl)
            {
                bestKl = kl;
                best = i;
            }
        }

        return (best + 0.5f) * width;
    }

    private static double Divergence(double[] p, double[] q, int n)
    {
        double sumP = 0, sumQ = 0;
        for (int k = 0; k < n; k++)
        {
            sumP += p[k];
            sumQ += q[k];
        }

        if (sumP == 0 || sumQ == 0) return double.PositiveInfinity;
        double kl = 0;
        for (int k = 0; k < n; k++)
        {
            if (p[k] == 0) continue;
            double pk = p[k] / sumP;

            // A bin with mass in P but none in Q: TensorRT smooths rather than returning infinity.
            double qk = q[k] == 0 ? 1e-4 / n : q[k] / sumQ;
            kl += pk * Math.Log(pk / qk);
        }

        return kl;
    }
}
