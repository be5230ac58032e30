namespace PtqSharp.Data;

/// <summary>Which samples calibrate and which are held out to compare FP32 with INT8.</summary>
internal sealed record SampleSplit(IReadOnlyList<int> Calibration, IReadOnlyList<int> HoldOut);

/// <summary>Deterministic subset sampling: the same seed and dataset size give the same split.</summary>
internal static class SubsetSelector
{
    /// <param name="count">Samples in the dataset.</param>
    /// <param name="subsetSize">Calibration samples wanted.</param>
    /// <param name="seed">Seed of the draw.</param>
    /// <param name="maxHoldOut">Most samples held out after the calibration subset.</param>
    /// <param name="shuffle">False takes the first samples in order (POT's shuffle_data false).</param>
    public static SampleSplit Select(int count, int subsetSize, int seed, int maxHoldOut, bool shuffle = true)
    {
        if (count <= 0) return new SampleSplit(Array.Empty<int>(), Array.Empty<int>());
        var order = Enumerable.Range(0, count).ToArray();
        if (shuffle) new Random(seed).Shuffle(order);
        int calibration = Math.Min(subsetSize, count);
        int holdOut = Math.Min(maxHoldOut, count - calibration);

        // Sorted so files are read in directory order, which is kinder to disks and easier to follow in logs.
        var cal = order[..calibration];
        var held = order[calibration..(calibration + holdOut)];
        Array.Sort(cal);
        Array.Sort(held);
        return new SampleSplit(cal, held);
    }
}
