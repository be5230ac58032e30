namespace PtqSharp.Quantization;

/// <summary>
/// Latency-aware quantization: after calibration, the INT8 model is timed against the FP32 model on
/// this machine, and ops whose integer kernels (with the quantizers at their borders) are slower than
/// float stay in float, so the INT8 model is never slower than FP32. It runs for devices whose rules say
/// they run on the host (<c>"runs_on_host": true</c>: ANY and CPU); this CPU's timings say nothing about a
/// GPU, an NPU or GNA.
/// </summary>
public sealed record LatencyAwareOptions
{
    /// <summary>On by default; off writes every op the device rules quantize, however fast it runs.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The intra-op threads the model will run with; 0 for ONNX Runtime's default (all cores). Kernels that pay off differ with the thread count.</summary>
    public int Threads { get; init; }

    /// <summary>Timed runs per model in each interleaved comparison (the median counts).</summary>
    public int Runs { get; init; } = 20;

    /// <summary>
    /// The relative difference below which two medians count as equal (0.03 = 3 %): INT8 counts as faster
    /// only when its median is below FP32's by more, and a variant replaces the current model only when
    /// it is faster by more. It keeps decisions from flipping with timing noise.
    /// </summary>
    public double Margin { get; init; } = 0.03;

    /// <summary>
    /// When no INT8 variant is faster than FP32 (or within <see cref="Margin"/> of it), the result keeps
    /// every op in float and <see cref="QuantizationResult.Save"/> refuses to write it unless this is true.
    /// </summary>
    public bool AllowFloatModel { get; init; }

    internal void Validate()
    {
        if (Threads < 0) ThrowHelper.Throw($"Latency-aware threads cannot be negative (got {Threads}).");
        if (Runs < 3) ThrowHelper.Throw($"Latency-aware quantization needs at least 3 timed runs for a median (got {Runs}).");
        if (!(Margin is >= 0 and < 0.5)) ThrowHelper.Throw($"The latency margin must be in [0, 0.5) (got {Margin}).");
    }
}
