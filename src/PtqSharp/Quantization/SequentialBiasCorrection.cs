using Onnx;
using PtqSharp.Data;
using PtqSharp.Onnx;
using PtqSharp.Statistics;

namespace PtqSharp.Quantization;

/// <summary>
/// POT's full BiasCorrection: biased layers in graph order, each measured in the quantized model
/// with every earlier layer already corrected, so the correction also absorbs the error that
/// quantized activations and upstream layers bring. One pass over the samples per layer, so it is
/// slow on deep models; it runs on at most <see cref="MaxSamples"/> calibration samples.
/// </summary>
internal static class SequentialBiasCorrection
{
    public const int MaxSamples = 100;

    public static Dictionary<NodeProto, float[]> Run(
        ModelProto preprocessed, GraphIndex index, QuantizationPlan plan,
        IReadOnlyDictionary<string, QuantizationParameters> activations, IReadOnlyDictionary<NodeProto, QuantizationParameters> weights,
        Dataset data, IReadOnlyList<int> calibration, int batchSize)
    {
        var corrected = new Dictionary<NodeProto, float[]>(ReferenceEqualityComparer.Instance);
        var layers = plan.Ops.Where(o => BiasCorrection.MeanInput(o) is not null && weights.ContainsKey(o.Node) && !string.IsNullOrEmpty(o.Node.Name)).ToList();
        if (layers.Count == 0) return corrected;

        var samples = calibration.Take(MaxSamples).ToList();
        var fp32 = StatisticsCollector.Collect(preprocessed, [], layers.Select(o => o.Node.Output[0]).ToList(), data, samples, batchSize, null, default).ChannelMeans;
        foreach (var op in layers)
        {
            var model = QdqWriter.Write(preprocessed, plan, activations, weights, corrected);
            var node = model.Graph.Node.Where(n => n.Name == op.Node.Name).ToList();
            if (node.Count != 1) continue;
            var quantized = StatisticsCollector.Collect(model, [], [node[0].Output[0]], data, samples, batchSize, null, default).ChannelMeans;
            if (!fp32.TryGetValue(op.Node.Output[0], out var reference) || !quantized.TryGetValue(node[0].Output[0], out var measured) || measured.Length != reference.Length) continue;

            var bias = corrected.GetValueOrDefault(op.Node) ?? TensorData.ToFloats(index.Initializer(op.Node.Input[op.BiasIndex!.Value])!);
            if (bias.Length != reference.Length) continue;
            var shift = measured.Zip(reference, (q, f) => q - f).ToArray();
            if (BiasCorrection.Magnitude(bias, shift) < BiasCorrection.Threshold) corrected[op.Node] = bias.Zip(shift, (b, s) => b - s).ToArray();
        }

        return corrected;
    }
}
