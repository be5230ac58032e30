using Microsoft.ML.OnnxRuntime;
using Onnx;
using PtqSharp.Data;
using PtqSharp.Execution;

namespace PtqSharp.Evaluation;

/// <summary>Runs a model as users do (all optimizations on) and hands back its float outputs per sample.</summary>
internal sealed class ModelRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly SampleFeeder _feeder;
    private readonly string[] _outputs;

    public ModelRunner(ModelProto model, int threads = 0, bool exactU8S8 = false)
    {
        _session = SessionFactory.ForInference(model, threads, exactU8S8);
        _feeder = new SampleFeeder(_session);
        _outputs = _session.OutputMetadata.Keys.ToArray();
    }

    public IReadOnlyList<string> OutputNames => _outputs;

    public IReadOnlyDictionary<string, NodeMetadata> InputMetadata => _session.InputMetadata;

    /// <summary>Outputs in model order; non-float outputs come back as null.</summary>
    public float[]?[] Run(Sample sample)
    {
        var inputs = _feeder.Feed(sample);
        try
        {
            using var values = _session.Run(_runOptions, _feeder.InputNames, inputs, _outputs);
            return values.Select(v => OutputReader.IsFloat(v) ? OutputReader.ToFloats(v) : null).ToArray();
        }
        finally
        {
            foreach (var v in inputs) v.Dispose();
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
