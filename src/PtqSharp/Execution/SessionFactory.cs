using Google.Protobuf;
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
    /// <param name="externalWeights">With <paramref name="optimizedModelPath"/>: the file beside it the runtime writes the optimized graph's weights to.</param>
    public static InferenceSession Create(ModelProto model, ExecutionSettings settings, string? optimizedModelPath = null, string? profilePrefix = null, bool forRunning = true, string? externalWeights = null)
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
        if (externalWeights is not null)
        {
            options.AddSessionConfigEntry("session.optimized_model_external_initializers_file_name", externalWeights);
            options.AddSessionConfigEntry("session.optimized_model_external_initializers_min_size_in_bytes", OnnxModelIO.ExternalDataThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (profilePrefix is not null)
        {
            // The prefix first: turning profiling on hands the runtime the prefix set at that moment.
            options.ProfileOutputPathPrefix = profilePrefix;
            options.EnableProfiling = true;
        }

        if (forRunning) RuntimeScope.Options.ConfigureSession?.Invoke(options);

        try
        {
            return Load(model, options);
        }
        catch (OnnxRuntimeException e)
        {
            return ThrowHelper.Throw<InferenceSession>($"ONNX Runtime could not load the model: {e.Message}. The model is not valid ONNX (a damaged file or an exporter bug): re-export it from its framework.");
        }
    }

    /// <summary>Bytes of inline weights above which a session is made from files rather than from one serialized copy.</summary>
    private const long InlineLimit = 1L << 30;

    /// <summary>
    /// Hands the model to ONNX Runtime without copying its external weights: a model as loaded goes as its file; one whose external data lies in one
    /// folder goes as its graph bytes plus that folder (the runtime reads the weights itself); a model too large for
    /// one protobuf, or with weights in several folders, is written to a temporary folder with external data and
    /// loaded from its path.
    /// </summary>
    private static InferenceSession Load(ModelProto model, SessionOptions options)
    {
        if (OnnxModelIO.SourcePath(model) is { } source && File.Exists(source)) return new InferenceSession(source, options);
        var folders = ExternalData.Folders(model);
        long inline = OnnxModelIO.SerializedSize(model);
        if (folders.Count == 0 && inline < InlineLimit) return new InferenceSession(model.ToByteArray(), options);
        if (folders.Count == 1 && inline < InlineLimit)
        {
            options.AddSessionConfigEntry("session.model_external_initializers_file_folder_path", folders[0]);
            return new InferenceSession(ExternalData.RelativeTo(model, folders[0]).ToByteArray(), options);
        }

        var dir = TempFolders.Create("ptq-session-");
        try
        {
            var path = Path.Combine(dir.FullName, "model.onnx");
            OnnxModelIO.Save(model, path, externalData: true);
            return new InferenceSession(path, options);
        }
        finally
        {
            // The session has read or mapped the weights; on Linux and macOS a mapped file outlives its name.
            TempFolders.TryDelete(dir.FullName);
        }
    }

    /// <summary>
    /// Lets ONNX Runtime optimize the graph at <paramref name="level"/> and returns the optimized model
    /// as ONNX. At <see cref="GraphOptimization.Basic"/> this folds BatchNorm into Conv and constants
    /// into initializers while keeping node names, which is the preprocessing quantization wants; at
    /// <see cref="GraphOptimization.All"/> it shows which integer kernels the runtime fused.
    /// </summary>
    /// <remarks>
    /// The runtime writes the weights as external data. Inside a call with a <see cref="ScratchFolder"/> they stay
    /// there and the returned model refers to them; otherwise (or with <paramref name="weights"/> false, for callers
    /// that read only the graph) they are read back inline, or dropped, and the files deleted.
    /// </remarks>
    public static ModelProto Optimize(ModelProto model, GraphOptimization level, bool weights = true)
    {
        var scratch = weights ? ScratchFolder.Current : null;
        var dir = scratch is null ? TempFolders.Create("ptq-optimize-").FullName : null;
        var path = scratch?.NewPath("optimized.onnx") ?? Path.Combine(dir!, "optimized.onnx");
        try
        {
            var settings = new ExecutionSettings { Optimization = level, Threads = 1 };
            using (Create(model, settings, path, forRunning: false, externalWeights: Path.GetFileName(path) + ".data"))
            {
            }

            ModelProto optimized;
            using (var stream = File.OpenRead(path))
            {
                optimized = ModelProto.Parser.ParseFrom(stream);
            }

            if (!weights)
            {
                foreach (var t in optimized.Graph.Initializer.Where(ExternalData.IsExternal)) t.ExternalData.Clear();
                return optimized;
            }

            ExternalData.Resolve(optimized.Graph, Path.GetDirectoryName(path)!, "the optimized model");
            if (scratch is null) ExternalData.Inline(optimized);
            return optimized;
        }
        finally
        {
            if (dir is not null) Directory.Delete(dir, recursive: true);
        }
    }
}
