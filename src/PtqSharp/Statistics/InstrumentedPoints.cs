using Onnx;

namespace PtqSharp.Statistics;

/// <summary>
/// A copy of a model that exposes what some statistic points read, with one accumulator per point: an exposed output
/// can feed several of them (min/max and tails of one tensor, say). Runs hand each output to <see cref="Add"/>.
/// </summary>
internal sealed class InstrumentedPoints
{
    private readonly List<List<(IStatisticAccumulator Accumulator, int Part)>> _routes = [];
    private readonly Dictionary<StatisticPoint, IStatisticAccumulator> _accumulators = [];

    public InstrumentedPoints(ModelProto model, IEnumerable<StatisticPoint> points, int runs)
    {
        var instrumented = new ModelInstrumentation(model);
        var outputIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var point in points.Distinct())
        {
            var accumulator = point.Statistic.CreateAccumulator(runs);
            _accumulators[point] = accumulator;
            var parts = point.Statistic.Instrument(instrumented, point.Tensor);
            for (int p = 0; p < parts.Count; p++)
            {
                if (!outputIndex.TryGetValue(parts[p], out int k))
                {
                    outputIndex[parts[p]] = k = Outputs.Count;
                    Outputs.Add(parts[p]);
                    _routes.Add([]);
                }

                _routes[k].Add((accumulator, p));
            }
        }

        Model = instrumented.Model;
    }

    /// <summary>The instrumented copy.</summary>
    public ModelProto Model { get; }

    /// <summary>The outputs a run must return, in the order <see cref="Add"/> numbers them.</summary>
    public List<string> Outputs { get; } = [];

    /// <summary>Hands one run's values of output <paramref name="output"/> to the accumulators it feeds.</summary>
    public void Add(int output, ReadOnlySpan<float> values)
    {
        foreach (var (accumulator, part) in _routes[output]) accumulator.Add(part, values);
    }

    /// <summary>The aggregated statistics.</summary>
    public StatisticsContainer Results() => new(_accumulators.ToDictionary(kv => kv.Key, kv => kv.Value.Result));
}
