namespace PtqSharp.Data;

/// <summary>Groups samples into batches by concatenating each input along its first (batch) dimension.</summary>
internal static class SampleBatcher
{
    /// <summary>Yields each batch with the number of samples it holds.</summary>
    public static IEnumerable<(Sample Batch, int Count)> Batches(Dataset data, IReadOnlyList<int> indices, int batchSize)
    {
        batchSize = Math.Max(1, batchSize);
        for (int start = 0; start < indices.Count; start += batchSize)
        {
            var samples = indices.Skip(start).Take(batchSize).Select(data.Get).ToList();
            yield return (samples.Count == 1 ? samples[0] : Concat(samples), samples.Count);
        }
    }

    public static Sample Concat(IReadOnlyList<Sample> samples)
    {
        var first = samples[0];
        var inputs = new Dictionary<string, SampleTensor>();
        foreach (var (name, tensor) in first.Inputs)
        {
            var parts = samples.Select(s => s.Inputs.TryGetValue(name, out var t) ? t
                : ThrowHelper.Throw<SampleTensor>($"Sample {s.Source} lacks input '{name}' that {first.Source} has; samples of a batch must have the same inputs.")).ToList();
            foreach (var p in parts)
            {
                if (p.Shape.Length == 0 || !p.Shape.AsSpan(1).SequenceEqual(tensor.Shape.AsSpan(1)) || p.Data.GetType() != tensor.Data.GetType())
                {
                    ThrowHelper.Throw($"Samples '{first.Source}' and another in the same batch differ in shape or type for input '{name}' ([{string.Join("x", tensor.Shape)}] vs [{string.Join("x", p.Shape)}]); use --batch-size 1 for data with varying shapes.");
                }
            }

            var data = Array.CreateInstance(tensor.Data.GetType().GetElementType()!, parts.Sum(p => p.Data.Length));
            int offset = 0;
            foreach (var p in parts)
            {
                Array.Copy(p.Data, 0, data, offset, p.Data.Length);
                offset += p.Data.Length;
            }

            var shape = (long[])tensor.Shape.Clone();
            shape[0] = parts.Sum(p => p.Shape[0]);
            inputs[name] = new SampleTensor(data, shape);
        }

        return new Sample(inputs, $"{first.Source} (+{samples.Count - 1} more)");
    }
}
