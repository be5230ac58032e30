namespace PtqSharp.Statistics;

/// <summary>
/// The extreme values of a tensor over all calibration samples: the largest and the smallest values,
/// as many of each as a quantile estimator can need, and how many values there were. Quantiles near 0
/// and 1 read out of them exactly, with no histogram and no second pass.
/// </summary>
/// <param name="Largest">The largest values, largest first.</param>
/// <param name="Smallest">The smallest values, smallest first.</param>
/// <param name="Total">How many values the tensor had over all samples.</param>
internal sealed record TensorTails(float[] Largest, float[] Smallest, long Total)
{
    /// <summary>The value a share <paramref name="share"/> of all values lies above (the (1 - share)-quantile).</summary>
    public float Upper(double share) => At(Largest, share);

    /// <summary>The value a share <paramref name="share"/> of all values lies below (the share-quantile).</summary>
    public float Lower(double share) => At(Smallest, share);

    /// <summary>The value a share <paramref name="share"/> of all |x| lies above.</summary>
    public float AbsUpper(double share)
    {
        // The largest |x| are the largest positives and the smallest negatives: merge the two tails by magnitude.
        var merged = Largest.Select(MathF.Abs).Concat(Smallest.Select(MathF.Abs)).OrderDescending().ToArray();
        return At(merged, share);
    }

    /// <summary>
    /// The empirical quantile: the value with share x total values beyond it. When fewer values were kept
    /// than that rank (shapes grew after the first sample), the last kept one: a range never narrower than asked.
    /// </summary>
    private float At(float[] sorted, double share)
    {
        if (sorted.Length == 0) return 0f;
        long rank = (long)Math.Floor(Math.Clamp(share, 0, 1) * Total);
        return sorted[(int)Math.Min(rank, sorted.Length - 1)];
    }
}
