using Onnx;
using PtqSharp.Data;
using PtqSharp.Execution;
using PtqSharp.Onnx;
using PtqSharp.Statistics;

namespace PtqSharp.Quantization;

/// <summary>
/// SmoothQuant (Xiao et al.): transformer activations have a few channels with outliers that
/// per-tensor activation quantization cannot follow, while weights are easy. Per input channel k of a
/// MatMul, s_k = max|X_k|^alpha / max|W_k|^(1 - alpha) moves the difficulty into the weights:
/// X / s feeds the MatMul and W's row k is multiplied by s_k, which leaves X W unchanged. The
/// division is a Mul node inserted on the activation, shared by every MatMul that reads it.
/// </summary>
internal static class SmoothQuant
{
    public static int Apply(
        ModelProto model, float alpha, Dataset data, IReadOnlyList<int> indices, int batchSize,
        IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var index = new GraphIndex(model.Graph);

        // MatMuls with a constant 2-D weight as the second input, grouped by their activation input.
        var targets = model.Graph.Node
            .Where(n => n.OpType == "MatMul" && n.Domain is ("" or "ai.onnx") && n.Input.Count == 2
                && !index.IsConstant(n.Input[0]) && index.IsConstant(n.Input[1]) && index.Initializer(n.Input[1]) is { Dims.Count: 2 } w && TensorData.IsFloat(w.DataType))
            .GroupBy(n => n.Input[0])
            .Where(g => g.Select(n => index.Initializer(n.Input[1])!.Dims[0]).Distinct().Count() == 1)
            .ToList();
        if (targets.Count == 0) return 0;

        var names = model.Graph.Node.SelectMany(n => n.Output.Append(n.Name)).Concat(model.Graph.Initializer.Select(i => i.Name)).ToHashSet();
        string Unique(string name)
        {
            var candidate = name;
            for (int i = 1; !names.Add(candidate); i++) candidate = $"{name}_{i}";
            return candidate;
        }

        var absMax = ChannelAbsMax(model, targets.Select(g => (g.Key, index.Initializer(g.First().Input[1])!.Dims[0])).ToList(), data, indices, batchSize, progress, cancellationToken);
        int smoothed = 0;
        foreach (var group in targets)
        {
            if (!absMax.TryGetValue(group.Key, out var xMax)) continue;
            int k = xMax.Length;
            var weights = group.Select(n => (Node: n, Values: TensorData.ToFloats(index.Initializer(n.Input[1])!), Columns: (int)index.Initializer(n.Input[1])!.Dims[1])).ToList();
            var wMax = new float[k];
            foreach (var (_, values, columns) in weights)
            {
                for (int row = 0; row < k; row++)
                {
                    for (int c = 0; c < columns; c++) wMax[row] = MathF.Max(wMax[row], MathF.Abs(values[row * columns + c]));
                }
            }

            var s = new float[k];
            for (int row = 0; row < k; row++)
            {
                double v = Math.Pow(Math.Max(xMax[row], 1e-5), alpha) / Math.Pow(Math.Max(wMax[row], 1e-5), 1 - alpha);
                s[row] = (float)Math.Clamp(v, 1e-5, 1e5);
            }

            string inverse = Unique(group.Key + "_smooth_scale"), smoothedTensor = Unique(group.Key + "_smoothed");
            model.Graph.Initializer.Add(TensorData.FromFloats(inverse, [k], s.Select(v => 1f / v).ToArray()));
            model.Graph.Node.Add(new NodeProto { OpType = "Mul", Name = Unique(group.Key + "_SmoothQuant"), Input = { group.Key, inverse }, Output = { smoothedTensor } });
            foreach (var (node, values, columns) in weights)
            {
                var scaled = new float[values.Length];
                for (int i = 0; i < values.Length; i++) scaled[i] = values[i] * s[i / columns];
                string name = Unique(node.Input[1] + "_smoothed");
                model.Graph.Initializer.Add(TensorData.FromFloats(name, [k, columns], scaled));
                node.Input[0] = smoothedTensor;
                node.Input[1] = name;
                smoothed++;
            }
        }

        // The inserted Muls were appended: restore a valid order, and drop weights no longer used.
        var sorted = new GraphIndex(model.Graph).TopologicalOrder.ToList();
        model.Graph.Node.Clear();
        model.Graph.Node.AddRange(sorted);
        var used = model.Graph.Node.SelectMany(n => n.Input).ToHashSet();
        foreach (var init in model.Graph.Initializer.Where(i => !used.Contains(i.Name)).ToList()) model.Graph.Initializer.Remove(init);
        return smoothed;
    }

    /// <summary>Per last-axis channel, the largest |x| over the calibration samples: Abs, Reshape to [-1, K], ReduceMax over axis 0, in the graph.</summary>
    private static Dictionary<string, float[]> ChannelAbsMax(
        ModelProto model, List<(string Tensor, long Channels)> tensors, Dataset data, IReadOnlyList<int> indices, int batchSize,
        IProgress<CalibrationProgress>? progress, CancellationToken ct)
    {
        var copy = model.Clone();
        var outputs = new List<(string Tensor, string Output)>();
        for (int i = 0; i < tensors.Count; i++)
        {
            var (tensor, channels) = tensors[i];
            string abs = $"__ptq_sq_{i}_abs", shape = $"__ptq_sq_{i}_shape", flat = $"__ptq_sq_{i}_flat", max = $"__ptq_sq_{i}_max";
            copy.Graph.Initializer.Add(TensorData.Create<long>(shape, [2], [-1, channels], TensorData.Int64));
            copy.Graph.Node.Add(new NodeProto { OpType = "Abs", Name = abs, Input = { tensor }, Output = { abs } });
            copy.Graph.Node.Add(new NodeProto { OpType = "Reshape", Name = flat, Input = { abs, shape }, Output = { flat } });
            InPlaceStatistics.AddReduction(copy, "ReduceMax", flat, max, [0]);
            outputs.Add((tensor, max));
        }

        // The largest value over samples: a mean of per-sample maxima would understate the outliers SmoothQuant is for.
        var result = new Dictionary<string, float[]>();
        var names = outputs.Select(o => o.Output).ToArray();
        StatisticsCollector.Run(copy, names, data, indices, batchSize, "SmoothQuant statistics", progress, ct, values =>
        {
            for (int i = 0; i < outputs.Count; i++)
            {
                var max = OutputReader.ToFloats(values[i]);
                if (!result.TryGetValue(outputs[i].Tensor, out var acc)) result[outputs[i].Tensor] = max;
                else for (int c = 0; c < Math.Min(acc.Length, max.Length); c++) acc[c] = Math.Max(acc[c], max[c]);
            }
        });

        return result;
    }
}
