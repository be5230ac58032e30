namespace PtqSharp.Data;

/// <summary>One calibration or validation sample: a tensor per model input name.</summary>
public sealed class Sample
{
    /// <summary>A sample of named tensors.</summary>
    public Sample(IReadOnlyDictionary<string, SampleTensor> inputs, string? source = null)
    {
        Inputs = inputs;
        Source = source;
    }

    /// <summary>Tensors keyed by model input name. A single-input sample may use the key "" for "the only input".</summary>
    public IReadOnlyDictionary<string, SampleTensor> Inputs { get; }

    /// <summary>Where the sample came from (a file path, an index), for error messages.</summary>
    public string? Source { get; }

    /// <summary>A sample for a single-input model.</summary>
    public static Sample Single(SampleTensor tensor, string? source = null) =>
        new(new Dictionary<string, SampleTensor> { [string.Empty] = tensor }, source);
}
