namespace PtqSharp.Quantization;

/// <summary>
/// What latency-aware quantization measured and decided. Every latency is the median of
/// <see cref="Runs"/> runs on one calibration sample (batch of one sample), timed interleaved with the
/// FP32 model in the same process, with <see cref="Threads"/> intra-op threads.
/// </summary>
public sealed record LatencyReport
{
    /// <summary>The intra-op threads the sessions ran with (0: ONNX Runtime's default, all cores).</summary>
    public required int Threads { get; init; }

    /// <summary>The cores of this machine.</summary>
    public required int Cores { get; init; }

    /// <summary>Timed runs per model in each comparison, after warm-up.</summary>
    public required int Runs { get; init; }

    /// <summary>Fresh sets of sessions each comparison's runs were spread over: more than one on small models, where one session's place in memory can move its speed.</summary>
    public int SessionSets { get; init; } = 1;

    /// <summary>The runs behind each median, as reports print them: "738 runs over 5 fresh session sets".</summary>
    public string RunsMeasured => SessionSets > 1 ? $"{Runs} runs over {SessionSets} fresh session sets" : $"{Runs} runs";

    /// <summary>The relative margin within which two medians count as equal.</summary>
    public required double Margin { get; init; }

    /// <summary>FP32 median in the first comparison, milliseconds.</summary>
    public required double Fp32Ms { get; init; }

    /// <summary>The fully quantized model's median in the first comparison, milliseconds.</summary>
    public required double FullyQuantizedMs { get; init; }

    /// <summary>FP32 median in the comparison that chose the written model, milliseconds.</summary>
    public required double FinalFp32Ms { get; init; }

    /// <summary>The written model's median in that comparison, milliseconds.</summary>
    public required double FinalMs { get; init; }

    /// <summary>The written model's latency as a share of FP32's, from the same interleaved run.</summary>
    public double Ratio => FinalMs / FinalFp32Ms;

    /// <summary>The fully quantized model's latency as a share of FP32's.</summary>
    public double FullyQuantizedRatio => FullyQuantizedMs / Fp32Ms;

    /// <summary>Faster, not slower, or nothing left to quantize.</summary>
    public required LatencyOutcome Outcome { get; init; }

    /// <summary>The regions kept in float for speed, the largest profiled gain first.</summary>
    public required IReadOnlyList<SpeedRegion> Regions { get; init; }

    /// <summary>INT8 model variants timed against FP32 (the fully quantized one included).</summary>
    public required int VariantsTimed { get; init; }

    /// <summary>Wall time of the measurements: profiling, timing and writing variants.</summary>
    public required TimeSpan Time { get; init; }

    /// <summary>Ops kept in float for speed.</summary>
    public int OpsInFloat => Regions.Sum(r => r.Ops.Count);
}
