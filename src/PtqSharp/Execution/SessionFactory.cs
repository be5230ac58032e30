using Microsoft.ML.OnnxRuntime;
using Onnx;
using PtqSharp.Onnx;

namespace PtqSharp.Execution;

/// <summary>Creates ONNX Runtime sessions with the settings each stage needs.</summary>
internal static class SessionFactory
{
    /// <summary>
    /// A session for calibration: no graph optimization, so every tensor PtqSharp asks for keeps the
    /// name it has in the model.
    /// </summary>
    public static InferenceSession ForCalibration(ModelProto model, int threads = 0) =>
        Create(OnnxModelIO.ToBytes(model), GraphOptimizationLevel.ORT_DISABLE_ALL, threads);

    /// <summary>A session as users run the model: all optimizations, so QDQ groups fuse into integer kernels.</summary>
    public static InferenceSession ForInference(ModelProto model, int threads = 0, bool exactU8S8 = false) =>
        Create(OnnxModelIO.ToBytes(model), GraphOptimizationLevel.ORT_ENABLE_ALL, threads, exactU8S8: exactU8S8);

    // exactU8S8 asks x64 ONNX Runtime for its slower u8s8 kernels that never saturate: the reference
    // for measuring what the overflow fix saves on CPUs without VNNI.
    public static InferenceSession Create(byte[] model, GraphOptimizationLevel level, int threads, string? optimizedModelPath = null, bool exactU8S8 = false)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = level, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        if (threads > 0)
        {
            options.IntraOpNumThreads = threads;
        }

        if (exactU8S8)
        {
            options.AddSessionConfigEntry("session.x64quantprecision", "1");
        }

        if (optimizedModelPath is not null)
        {
            options.OptimizedModelFilePath = optimizedModelPath;
        }

        try
        {
            return new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException e)
        {
            return ThrowHelper.Throw<InferenceSession>($"ONNX Runtime could not load the model: {e.Message}");
        }
    }

    /// <summary>
    /// Lets ONNX Runtime optimize the graph at <paramref name="level"/> and returns the optimized model
    /// as ONNX. At BASIC this folds BatchNorm into Conv and constants into initializers while keeping
    /// node names, which is the preprocessing quantization wants.
    /// </summary>
    public static ModelProto Optimize(ModelProto model, GraphOptimizationLevel level)
    {
        var dir = Directory.CreateTempSubdirectory("ptq-");
        try
        {
            var path = Path.Combine(dir.FullName, "optimized.onnx");
            using (Create(OnnxModelIO.ToBytes(model), level, 1, path))
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
