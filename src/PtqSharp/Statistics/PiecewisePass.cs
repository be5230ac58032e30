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
    /// <summary>Bytes of kept tensors held.</summary>
    public long Bytes => cache.Bytes;

    /// <summary>The ONNX element type of a kept tensor.</summary>
    public int ElementType(string tensor) => cache.ElementType(tensor);

    /// <summary>The kept tensors.</summary>
    public IReadOnlyCollection<string> Held => cache.Held;

    /// <summary>Frees a kept tensor.</summary>
    public void Drop(string tensor) => cache.Drop(tensor);

    /// <summary>Runs <paramref name="piece"/> over the samples, collecting <paramref name="points"/> and keeping <paramref name="keep"/> for later pieces.</summary>
    public StatisticsContainer Collect(ModelProto piece, IEnumerable<StatisticPoint> points, IReadOnlyList<string> keep)
    {
        var (instrumented, outputs, routes, accumulators) = StatisticsEngine.Instrument(piece, points.Distinct().ToList(), runs);
        cache.Run(instrumented.Model, keep, outputs, (k, values) =>
        {
            foreach (var (accumulator, part) in routes[k]) accumulator.Add(part, values);
        });
        return new StatisticsContainer(accumulators.ToDictionary(kv => kv.Key, kv => kv.Value.Result));
    }

    public void Dispose() => cache.Dispose();
}
