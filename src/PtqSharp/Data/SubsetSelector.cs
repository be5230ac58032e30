namespace PtqSharp.Data;

/// <summary>Which samples calibrate and which are held out to compare FP32 with INT8.</summary>
internal sealed record SampleSplit(IReadOnlyList<int> Calibration, IReadOnlyList<int> HoldOut);

/// <summary>Deterministic subset sampling: the same seed and dataset size give the same split.</summary>
internal static class SubsetSelector
{
    public static SampleSplit Select(int count, int subsetSize, int seed, int maxHoldOut)
    {
        if (count <= 0) return new SampleSplit(Array.Empty<int>(), Array.Empty<int>());
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
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
