using Microsoft.ML.OnnxRuntime;

namespace PtqSharp.Execution;

/// <summary>
/// How the ONNX Runtime sessions PtqSharp creates to run a model (calibration, latency measurement,
/// evaluation, accuracy control, benchmarks) are configured: the execution provider, extra session config
/// entries, threads. PtqSharp depends on ONNX Runtime's managed API only; the application brings the
/// native package it runs on (<c>Microsoft.ML.OnnxRuntime</c> for CPU, <c>.Gpu</c>, <c>.DirectML</c>, ...).
/// </summary>
/// <example>
/// <code>
/// RuntimeOptions.Default = new RuntimeOptions { ConfigureSession = o => o.AppendExecutionProvider_CUDA(0) };
/// </code>
/// </example>
public sealed record RuntimeOptions
{
    /// <summary>What sessions use when a call's options give no <see cref="RuntimeOptions"/>; settable once at start-up.</summary>
    public static RuntimeOptions Default { get; set; } = new();

    /// <summary>
    /// Called on each session's options after PtqSharp's own settings (optimization level, threads), so what it
    /// sets wins. Sessions PtqSharp only creates to read ONNX Runtime's optimized graph back do not call it:
    /// those graphs must be the CPU's, whatever runs the model.
    /// </summary>
    public Action<SessionOptions>? ConfigureSession { get; init; }

    /// <summary>The execution providers the loaded native ONNX Runtime offers, e.g. CPUExecutionProvider.</summary>
    public static IReadOnlyList<string> AvailableProviders => OrtEnv.Instance().GetAvailableProviders();

    /// <summary>
    /// Options that run every session on one of <see cref="AvailableProviders"/>, by its name with or
    /// without the <c>ExecutionProvider</c> suffix (CPU, CUDA, DML, OpenVINO, TensorRT, ...).
    /// </summary>
    /// <param name="provider">The provider's name, case-insensitive.</param>
    /// <exception cref="PtqException">The native runtime the application loaded has no such provider.</exception>
    public static RuntimeOptions ForProvider(string provider)
    {
        var available = AvailableProviders;
        var name = available.FirstOrDefault(p => string.Equals(p, provider, StringComparison.OrdinalIgnoreCase)
            || string.Equals(p, provider + "ExecutionProvider", StringComparison.OrdinalIgnoreCase));
        if (name is null)
        {
            ThrowHelper.Throw($"Execution provider '{provider}' is not in the ONNX Runtime this application loaded; it offers {string.Join(", ", available.Select(ShortName))}. Other providers come with their own native package (Microsoft.ML.OnnxRuntime.Gpu, .DirectML, Intel.ML.OnnxRuntime.OpenVino).");
        }

        return ShortName(name!) switch
        {
            "CPU" => new RuntimeOptions(),
            "CUDA" => new RuntimeOptions { ConfigureSession = o => o.AppendExecutionProvider_CUDA(0) },
            "Dml" => new RuntimeOptions { ConfigureSession = o => o.AppendExecutionProvider_DML(0) },
            "Tensorrt" => new RuntimeOptions { ConfigureSession = o => o.AppendExecutionProvider_Tensorrt(0) },
            "ROCM" => new RuntimeOptions { ConfigureSession = o => o.AppendExecutionProvider_ROCm(0) },
            "OpenVINO" => new RuntimeOptions { ConfigureSession = o => o.AppendExecutionProvider_OpenVINO() },
            var other => new RuntimeOptions { ConfigureSession = o => o.AppendExecutionProvider(other) },
        };
    }

    private static string ShortName(string provider) =>
        provider.EndsWith("ExecutionProvider", StringComparison.Ordinal) ? provider[..^"ExecutionProvider".Length] : provider;
}
