namespace PtqSharp.Data;

/// <summary>Groups samples into batches by concatenating each input along its first (batch) dimension.</summary>
internal static class SampleBatcher
{
    /// <summary>How many batches of at most <paramref name="batchSize"/> the samples make.</summary>
    public static int Count(int samples, int batchSize) => (samples + Math.Max(1, batchSize) - 1) / Math.Max(1, batchSize);

    /// <summary>Batch number <paramref name="batch"/> of the samples <paramref name="indices"/>, with the number of samples it holds.</summary>
    public static (Sample Batch, int Count) Batch(Dataset data, IReadOnlyList<int> indices, int batchSize, int batch)
    {
        batchSize = Math.Max(1, batchSize);
        var samples = indices.Skip(batch * batchSize).Take(batchSize).Select(data.Get).ToList();
        return (samples.Count == 1 ? samples[0] : Concat(samples), samples.Count);
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
