using Onnx;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Execution;

namespace PtqSharp.Quantization.LatencyAware;

/// <summary>
/// Where latency-aware quantization gets its measurements: whole models timed side by side (medians of
/// interleaved runs) and per-node profiles. <see cref="RuntimeLatencyProbe"/> measures ONNX Runtime on
/// this machine; tests supply a deterministic one.
/// </summary>
internal interface ILatencyProbe
{
    /// <summary>The intra-op threads measurements run with (0: all cores).</summary>
    int Threads { get; }

    /// <summary>Times the models interleaved; one result per model, in order.</summary>
    IReadOnlyList<LatencyResult> Time(IReadOnlyList<ModelProto> models);

    /// <summary>The runtime's optimized graph of the model and each node's median time.</summary>
    ModelProfile Profile(ModelProto model);
}

/// <summary>Measures ONNX Runtime on this machine, on one input, with the user's thread count.</summary>
internal sealed class RuntimeLatencyProbe(Sample sample, LatencyAwareOptions options) : ILatencyProbe
{
    private const int Warmup = 3;

    /// <summary>Each comparison times for at least this long in all, so models that run in microseconds get enough runs for a stable median.</summary>
    private const double MinComparisonMilliseconds = 300;

    public int Threads => options.Threads;

    public IReadOnlyList<LatencyResult> Time(IReadOnlyList<ModelProto> models) =>
        LatencyBenchmark.Compare(models, new BenchmarkOptions { Threads = options.Threads, Runs = options.Runs, Warmup = Warmup }, sample, MinComparisonMilliseconds);

    public ModelProfile Profile(ModelProto model) =>
        ModelProfiler.Profile(model, ExecutionSettings.WithThreads(options.Threads), sample, Math.Max(5, options.Runs / 2), Warmup);
}
