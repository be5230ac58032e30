namespace PtqSharp.Execution;

/// <summary>How much of ONNX Runtime's graph optimization a session applies.</summary>
internal enum GraphOptimization
{
    /// <summary>None: every tensor keeps the name it has in the model.</summary>
    None,

    /// <summary>Constant folding and BatchNorm folding into Conv; node names are kept.</summary>
    Basic,

    /// <summary>Everything, including the QDQ fusions into integer kernels: the model as users run it.</summary>
    All,
}

/// <summary>Settings of the ONNX Runtime sessions PtqSharp creates.</summary>
internal sealed record ExecutionSettings
{
    /// <summary>The settings users run models with: all optimizations, the runtime's default thread count.</summary>
    public static readonly ExecutionSettings Default = new();

    /// <summary>Intra-op threads; 0 for ONNX Runtime's default (all cores).</summary>
    public int Threads { get; init; }

    public GraphOptimization Optimization { get; init; } = GraphOptimization.All;

    /// <summary>
    /// Asks x64 ONNX Runtime for its slower u8s8 kernels that never saturate: the reference for
    /// measuring what the overflow fix saves on CPUs without VNNI.
    /// </summary>
    public bool ExactU8S8 { get; init; }

    public static ExecutionSettings WithThreads(int threads) => Default with { Threads = threads };
}
