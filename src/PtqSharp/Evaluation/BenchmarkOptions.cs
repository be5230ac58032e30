using PtqSharp.Execution;

namespace PtqSharp.Evaluation;

/// <summary>Settings of a latency measurement.</summary>
public sealed record BenchmarkOptions
{
    /// <summary>ONNX Runtime intra-op threads; 0 for its default (all cores).</summary>
    public int Threads { get; init; }

    /// <summary>Samples per inference; the model needs a dynamic first dimension above 1.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Untimed runs first, so neither model pays first-run costs.</summary>
    public int Warmup { get; init; } = 10;

    /// <summary>Timed runs; the median and the 90th percentile are reported.</summary>
    public int Runs { get; init; } = 100;

    /// <summary>Time-bounded mode (benchmark_app's <c>-t</c>): timed rounds go on until this much time has passed, however many that is; <see cref="Runs"/> is ignored.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>
    /// Inferences in flight at once, each on its own session and thread (benchmark_app's requests): throughput under
    /// load. Each round starts them together; latency is each one's, throughput is concurrency x batch / median latency.
    /// </summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>Sizes of dynamic dimensions other than the batch, per input name, e.g. sequence length: "input_ids" = [1, 128].</summary>
    public IReadOnlyDictionary<string, long[]> Shapes { get; init; } = new Dictionary<string, long[]>();

    /// <summary>The execution provider and session settings the timed sessions use; <see cref="RuntimeOptions.Default"/> when null.</summary>
    public RuntimeOptions? Runtime { get; init; }

    internal void Validate()
    {
        if (Threads < 0) ThrowHelper.Throw($"Threads cannot be negative (got {Threads}).");
        if (BatchSize < 1) ThrowHelper.Throw($"Batch size must be at least 1 (got {BatchSize}).");
        if (Runs < 1) ThrowHelper.Throw($"Runs must be at least 1 (got {Runs}).");
        if (Warmup < 0) ThrowHelper.Throw($"Warmup cannot be negative (got {Warmup}).");
        if (Duration is { } d && (d <= TimeSpan.Zero || d > TimeSpan.FromHours(24))) ThrowHelper.Throw($"Duration must be above 0 and at most 24 hours (got {d.TotalSeconds} s).");
        if (Concurrency is < 1 or > 256) ThrowHelper.Throw($"Concurrency must be 1 to 256 (got {Concurrency}).");
    }
}
