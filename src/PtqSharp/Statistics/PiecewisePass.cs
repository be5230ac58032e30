using Onnx;
using PtqSharp.Execution;

namespace PtqSharp.Statistics;

/// <summary>
/// Statistics of a model collected piece by piece (see <see cref="PtqSharp.Onnx.GraphSegments"/>): each piece reads
/// the tensors earlier pieces kept, so a step that changes the model between pieces (full bias correction) runs every
/// node about once per sample instead of once per change.
/// </summary>
internal sealed class PiecewisePass(TensorCache cache, int runs) : IDisposable
{
    /// <summary>The ONNX element type of a kept tensor.</summary>
    public int ElementType(string tensor) => cache.ElementType(tensor);

    /// <summary>The kept tensors.</summary>
    public IReadOnlyCollection<string> Held => cache.Held;

    /// <summary>Frees a kept tensor.</summary>
    public void Drop(string tensor) => cache.Drop(tensor);

    /// <summary>Runs <paramref name="piece"/> over the samples, collecting <paramref name="points"/> and keeping <paramref name="keep"/> for later pieces.</summary>
    public StatisticsContainer Collect(ModelProto piece, IEnumerable<StatisticPoint> points, IReadOnlyList<string> keep)
    {
        var instrumented = new InstrumentedPoints(piece, points, runs);
        cache.Run(instrumented.Model, keep, instrumented.Outputs, instrumented.Add);
        return instrumented.Results();
    }

    public void Dispose() => cache.Dispose();
}
