using PtqSharp.Data;

namespace PtqSharp.Tests.Data;

internal static class RandomData
{
    /// <summary>Deterministic single-input samples with values in [-scale, scale] (or [0, scale] when positive).</summary>
    public static Dataset Samples(int count, long[] shape, float scale = 1f, bool positive = false, int seed = 1)
    {
        var random = new Random(seed);
        var tensors = new List<SampleTensor>();
        long n = shape.Aggregate(1L, (a, d) => a * d);
        for (int i = 0; i < count; i++)
        {
            var data = new float[n];
            for (int j = 0; j < n; j++) data[j] = (float)(positive ? random.NextDouble() : random.NextDouble() * 2 - 1) * scale;
            tensors.Add(new SampleTensor(data, shape));
        }

        return Dataset.FromTensors(tensors);
    }
}

/// <summary>A dataset that counts how often each sample is read: one calibration pass reads each once.</summary>
internal sealed class CountingDataset(Dataset inner) : Dataset
{
    private int _reads;

    public int Reads => _reads;

    public override int Count => inner.Count;

    public override Sample Get(int index)
    {
        Interlocked.Increment(ref _reads);
        return inner.Get(index);
    }
}
