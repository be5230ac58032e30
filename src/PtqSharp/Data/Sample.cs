namespace PtqSharp.Data;

/// <summary>
/// One input tensor of a sample: a flat array (float, Half, long, int, byte, sbyte, bool or double)
/// in row-major order, and its shape.
/// </summary>
public sealed record SampleTensor(Array Data, long[] Shape)
{
    public static SampleTensor Create<T>(T[] data, params long[] shape) where T : unmanaged => new(data, shape);

    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);
}

/// <summary>One calibration or validation sample: a tensor per model input name.</summary>
public sealed class Sample
{
    public Sample(IReadOnlyDictionary<string, SampleTensor> inputs, string? source = null)
    {
        Inputs = inputs;
        Source = source;
    }

    /// <summary>Tensors keyed by model input name. A single-input sample may use the key "" for "the only input".</summary>
    public IReadOnlyDictionary<string, SampleTensor> Inputs { get; }

    /// <summary>Where the sample came from (a file path, an index), for error messages.</summary>
    public string? Source { get; }

    public static Sample Single(SampleTensor tensor, string? source = null) =>
        new(new Dictionary<string, SampleTensor> { [string.Empty] = tensor }, source);
}
