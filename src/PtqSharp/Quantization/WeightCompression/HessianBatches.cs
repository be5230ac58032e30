using Onnx;
using PtqSharp.Data;
using PtqSharp.Statistics;

namespace PtqSharp.Quantization.WeightCompression;

/// <summary>
/// The input Hessians XᵀX GPTQ needs, measured on the float model a batch of layers at a time: each pass of the
/// statistics engine collects as many consecutive layers' inputs as fit in <see cref="Budget"/> bytes of accumulators
/// (a 5632-wide input alone takes 254 MB), and a batch is dropped when the next is measured. Layers reading the same
/// tensor (an attention block's Q, K and V projections) share one.
/// </summary>
internal sealed class HessianBatches(ModelProto model, IReadOnlyList<(string Input, long Channels)> inputs, Dataset data, SampleSplit split,
    IProgress<QuantizationProgress>? progress, CancellationToken cancellationToken)
{
    /// <summary>Accumulator bytes one pass may hold.</summary>
    public const long Budget = 512L << 20;

    private Dictionary<string, float[]> _batch = new(StringComparer.Ordinal);

    /// <summary>XᵀX of <paramref name="input"/> (row-major, its width squared), averaged over the samples.</summary>
    public float[] For(string input)
    {
        if (_batch.TryGetValue(input, out var hessian)) return hessian;
        int start = inputs.Select((x, i) => (x, i)).First(p => p.x.Input == input).i;
        var points = new List<StatisticPoint>();
        long bytes = 0;
        for (int i = start; i < inputs.Count; i++)
        {
            var statistic = new InputCovarianceStatistic(inputs[i].Channels);
            if (points.Count > 0 && bytes + statistic.AccumulatorBytes > Budget) break;
            points.Add(new StatisticPoint(inputs[i].Input, statistic));
            bytes += statistic.AccumulatorBytes;
        }

        _batch = new(StringComparer.Ordinal); // the last batch is garbage before the next is collected
        var engine = new StatisticsEngine(data, split.Calibration, batchSize: 1, progress, cancellationToken);
        var statistics = engine.Collect(model, points, "Measuring input Hessians (GPTQ)");
        foreach (var point in points) _batch[point.Tensor] = statistics.Get<float[]>(point);
        return _batch[input];
    }
}
