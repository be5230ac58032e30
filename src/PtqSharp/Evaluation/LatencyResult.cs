namespace PtqSharp.Evaluation;

/// <summary>Latency of one model: per inference (median, p90, mean) and throughput in samples per second.</summary>
/// <param name="SizeBytes">The model's serialized size.</param>
/// <param name="BatchSize">Samples per inference.</param>
/// <param name="Threads">Intra-op threads (0: ONNX Runtime's default).</param>
/// <param name="Runs">Timed runs.</param>
/// <param name="MedianMs">Median latency of one inference, in milliseconds.</param>
/// <param name="P90Ms">90th-percentile latency.</param>
/// <param name="MeanMs">Mean latency.</param>
public sealed record LatencyResult(long SizeBytes, int BatchSize, int Threads, int Runs, double MedianMs, double P90Ms, double MeanMs)
{
    /// <summary>Throughput: samples per second at the mean latency.</summary>
    public double SamplesPerSecond => BatchSize * 1000.0 / MeanMs;
}
