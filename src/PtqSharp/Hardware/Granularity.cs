namespace PtqSharp.Hardware;

/// <summary>How many scales a quantizer has.</summary>
public enum Granularity
{
    /// <summary>One scale for the whole tensor.</summary>
    PerTensor,
    /// <summary>One scale per output channel (weights).</summary>
    PerChannel,
}
