namespace PtqSharp.Evaluation;

/// <summary>Latency of one model: per inference (median, p90, mean) and throughput in samples per second, from the median.</summary>
/// <param name="SizeBytes">The model's serialized size.</param>
/// <param name="BatchSize">Samples per inference.</param>
/// <param name="Threads">Intra-op threads (0: ONNX Runtime's default).</param>
/// <param name="Runs">Timed runs.</param>
/// <param name="MedianMs">Median latency of one inference, in milliseconds.</param>
/// <param name="P90Ms">90th-percentile latency.</param>
/// <param name="MeanMs">Mean latency.</param>
public sealed record LatencyResult(long SizeBytes, int BatchSize, int Threads, int Runs, double MedianMs, double P90Ms, double MeanMs)
{
    /// <summary>Inferences in flight at once (1 unless <see cref="BenchmarkOptions.Concurrency"/> was set).</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>Fresh sets of sessions the runs were spread over (1 unless a comparison of small models asked for a minimum time; see <c>LatencyBenchmark</c>).</summary>
    public int SessionSets { get; init; } = 1;

    /// <summary>Throughput: samples per second at the median latency with <see cref="Concurrency"/> inferences in flight; a median, so one slow run cannot move it.</summary>
    public double SamplesPerSecond => BatchSize * Concurrency * 1000.0 / MedianMs;
}
