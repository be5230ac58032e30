using PtqSharp.Quantization;

namespace PtqSharp;

/// <summary>
/// Latency-aware quantization found no INT8 model faster than FP32 on this machine, so every op stayed
/// in float, and the caller did not ask for such a model (<see cref="LatencyAwareOptions.AllowFloatModel"/>).
/// </summary>
public sealed class NotFasterException : PtqException
{
    /// <summary>The failure with the measurements behind it.</summary>
    /// <param name="latency">What was measured.</param>
    public NotFasterException(LatencyReport latency) : base(MessageFor(latency)) => Latency = latency;

    /// <summary>What latency-aware quantization measured.</summary>
    public LatencyReport Latency { get; }

    private static string MessageFor(LatencyReport latency) =>
        $"No INT8 model was faster than FP32 on this machine at {(latency.Threads == 0 ? "all cores" : $"{latency.Threads} thread(s)")}: " +
        $"the fully quantized model took {latency.FullyQuantizedMs:0.###} ms against FP32's {latency.Fp32Ms:0.###} ms (median of {latency.RunsMeasured}, interleaved), " +
        $"and keeping the slowest ops in float did not close the gap ({latency.VariantsTimed} variants timed). Nothing was written. " +
        "Quantize anyway with latency-aware quantization off (--latency-aware false), try the thread count you deploy with (--threads), " +
        "or write the model with every op in float (--allow-float-model).";
}
