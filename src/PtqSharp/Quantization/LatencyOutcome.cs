namespace PtqSharp.Quantization;

/// <summary>How the INT8 model compares with FP32 after latency-aware quantization.</summary>
public enum LatencyOutcome
{
    /// <summary>Faster than FP32 by more than the margin.</summary>
    Faster,

    /// <summary>Not measurably faster, but not slower than FP32 by more than the margin: timing noise decides.</summary>
    NotSlower,

    /// <summary>Every INT8 variant tried was slower than FP32; every op is back in float.</summary>
    NothingQuantized,
}
