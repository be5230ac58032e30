using Microsoft.ML.OnnxRuntime;
using Onnx;
using PtqSharp.Onnx;

namespace PtqSharp.Execution;

/// <summary>Creates ONNX Runtime sessions, and lets the runtime optimize graphs for PtqSharp to read back.</summary>
internal static class SessionFactory
{
    /// <param name="model">The model.</param>
    /// <param name="settings">Optimization level, threads.</param>
    /// <param name="optimizedModelPath">Where the runtime writes the graph it optimized, if anywhere.</param>
    /// <param name="profilePrefix">Turns on ONNX Runtime's profiler, writing its JSON to a file with this prefix.</param>
    /// <param name="forRunning">
    /// Whether the session runs the model, so the caller's <see cref="RuntimeOptions"/> (provider, config entries)
    /// apply; sessions that only hand the optimized graph back keep the CPU's graph.
    /// </param>
    public static InferenceSession Create(ModelProto model, ExecutionSettings settings, string? optimizedModelPath = null, string? profilePrefix = null, bool forRunning = true)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = settings.Optimization switch
            {
                GraphOptimization.None => GraphOptimizationLevel.ORT_DISABLE_ALL,
                GraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            },
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (settings.Threads > 0) options.IntraOpNumThreads = settings.Threads;
        if (settings.ExactU8S8) options.AddSessionConfigEntry("session.x64quantprecision", "1");
        if (optimizedModelPath is not null) options.OptimizedModelFilePath = optimizedModelPath;
        if (profilePrefix is not null)
        {
            // The prefix first: turning profiling on hands the runtime the prefix set at that moment.
            options.ProfileOutputPathPrefix = profilePrefix;
            options.EnableProfiling = true;
        }

        if (forRunning) RuntimeScope.Options.ConfigureSession?.Invoke(options);

        try
        {
            return new InferenceSession(OnnxModelIO.ToBytes(model), options);
        }
        catch (OnnxRuntimeException e)
        {
            return ThrowHelper.Throw<InferenceSession>($"ONNX Runtime could not load the model: {e.Message}. The model is not valid ONNX (a damaged file or an exporter bug): re-export it from its framework.");
        }
    }

    /// <summary>
    /// Lets ONNX Runtime optimize the graph at <paramref name="level"/> and returns the optimized model
    /// as ONNX. At <see cref="GraphOptimization.Basic"/> this folds BatchNorm into Conv and constants
    /// into initializers while keeping node names, which is the preprocessing quantization wants; at
    /// <see cref="GraphOptimization.All"/> it shows which integer kernels the runtime fused.
    /// </summary>
    public static ModelProto Optimize(ModelProto model, GraphOptimization level)
    {
        var dir = Directory.CreateTempSubdirectory("ptq-");
        try
        {
            var path = Path.Combine(dir.FullName, "optimized.onnx");
            using (Create(model, new ExecutionSettings { Optimization = level, Threads = 1 }, path, forRunning: false))
            {
            }

            return ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
