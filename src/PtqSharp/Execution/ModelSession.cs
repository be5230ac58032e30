using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using PtqSharp.Data;

namespace PtqSharp.Execution;

/// <summary>Receives one requested output of a run, as float32 values valid only during the call.</summary>
internal delegate void OutputVisitor(int output, ReadOnlySpan<float> values);

/// <summary>
/// One ONNX Runtime session over a model, fed with <see cref="Sample"/>s and read back as floats: the
/// only door to the runtime for calibration, evaluation and benchmarking, so no other part of
/// PtqSharp sees ONNX Runtime types.
/// </summary>
internal sealed class ModelSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly SampleFeeder _feeder;
    private readonly string[] _outputs;

    /// <param name="model">The model.</param>
    /// <param name="settings">Optimization level and threads; the defaults users run with when null.</param>
    /// <param name="optimizedModelPath">Where ONNX Runtime writes the graph it optimized, if anywhere.</param>
    /// <param name="profilePrefix">Turns on ONNX Runtime's profiler (see <see cref="EndProfiling"/>).</param>
    public ModelSession(ModelProto model, ExecutionSettings? settings = null, string? optimizedModelPath = null, string? profilePrefix = null)
    {
        _session = SessionFactory.Create(model, settings ?? ExecutionSettings.Default, optimizedModelPath, profilePrefix);
        _feeder = new SampleFeeder(_session);
        _outputs = _session.OutputMetadata.Keys.ToArray();
        Inputs = _session.InputMetadata
            .Select(kv => new ModelInput(kv.Key, (int)kv.Value.ElementDataType, kv.Value.Dimensions.Select(d => (long)d).ToArray(),
                kv.Value.Dimensions.Select((_, k) => kv.Value.SymbolicDimensions?.ElementAtOrDefault(k)).ToArray()))
            .ToList();
    }

    public IReadOnlyList<ModelInput> Inputs { get; }

    public IReadOnlyList<string> OutputNames => _outputs;

    /// <summary>Every output in model order, as float32; non-float outputs come back as null.</summary>
    public float[]?[] Run(Sample sample)
    {
        var result = new float[]?[_outputs.Length];
        Run(sample, _outputs, (k, values) => result[k] = values.ToArray(), floatOnly: false);
        return result;
    }

    /// <summary>
    /// Runs the sample and hands each requested output to <paramref name="visit"/> without copying it
    /// out of the runtime: calibration passes stream whole activations this way.
    /// </summary>
    public void Run(Sample sample, IReadOnlyList<string> outputs, OutputVisitor visit) => Run(sample, outputs, visit, floatOnly: true);

    private void Run(Sample sample, IReadOnlyList<string> outputs, OutputVisitor visit, bool floatOnly)
    {
        var inputs = _feeder.Feed(sample);
        try
        {
            using var values = _session.Run(_runOptions, _feeder.InputNames, inputs, outputs);
            for (int k = 0; k < values.Count; k++)
            {
                var value = values[k];
                switch (value.GetTensorTypeAndShape().ElementDataType)
                {
                    case TensorElementType.Float:
                        visit(k, value.GetTensorDataAsSpan<float>());
                        break;
                    case TensorElementType.Float16:
                        visit(k, ToFloats(value.GetTensorDataAsSpan<Float16>()));
                        break;
                    case TensorElementType.Double:
                        visit(k, Array.ConvertAll(value.GetTensorDataAsSpan<double>().ToArray(), d => (float)d));
                        break;
                    case var t when floatOnly:
                        ThrowHelper.Throw($"Output '{outputs[k]}' has element type {t}; only floating-point tensors can be observed.");
                        break;
                }
            }
        }
        catch (OnnxRuntimeException e)
        {
            ThrowHelper.Throw($"ONNX Runtime failed on sample {SampleFeeder.SourceOf(sample)}: {e.Message}", e);
        }
        finally
        {
            foreach (var v in inputs) v.Dispose();
        }
    }

    /// <summary>Stops the profiler a profiling session started and returns the path of its JSON trace.</summary>
    public string EndProfiling() => _session.EndProfiling();

    /// <summary>
    /// Feeds <paramref name="sample"/> once and returns a run that repeats it, outputs discarded: what
    /// latency measurements time, without the per-run cost of checking and converting the input.
    /// </summary>
    public RepeatedRun Prepare(Sample sample) => new(_session, _feeder.InputNames, _feeder.Feed(sample), _outputs);

    /// <summary>One input fed once, run as often as asked.</summary>
    internal sealed class RepeatedRun(InferenceSession session, IReadOnlyList<string> inputNames, OrtValue[] inputs, string[] outputs) : IDisposable
    {
        private readonly RunOptions _runOptions = new();

        /// <summary>Runs once and returns the wall time in milliseconds.</summary>
        public double Run()
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            using (session.Run(_runOptions, inputNames, inputs, outputs))
            {
            }

            return System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        public void Dispose()
        {
            foreach (var v in inputs) v.Dispose();
            _runOptions.Dispose();
        }
    }

    private static float[] ToFloats(ReadOnlySpan<Float16> values)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = (float)BitConverter.UInt16BitsToHalf(values[i].value);
        return result;
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
