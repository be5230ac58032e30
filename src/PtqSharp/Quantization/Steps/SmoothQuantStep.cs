using Onnx;
using PtqSharp.Hardware.Metatypes;
using PtqSharp.Onnx;
using PtqSharp.Quantization.Pipeline;
using PtqSharp.Statistics;

namespace PtqSharp.Quantization.Steps;

/// <summary>
/// SmoothQuant (Xiao et al.): transformer activations have a few channels with outliers that
/// per-tensor activation quantization cannot follow, while weights are easy. Per input channel k of a
/// weighted op whose activation channels are its last axis (MatMul), s_k = max|X_k|^alpha /
/// max|W_k|^(1 - alpha) moves the difficulty into the weights: X / s feeds the op and the weight's
/// input channel k is multiplied by s_k, which leaves X W unchanged. The division is a Mul node
/// inserted on the activation, shared by every op that reads it.
/// </summary>
internal sealed class SmoothQuantStep(float alpha) : QuantizationStep
{
    public override string Name => "SmoothQuant";

    /// <summary>Ops with a constant 2-D float weight whose activation channels are the last axis, grouped by activation input when they agree on the channel count.</summary>
    private static List<IGrouping<string, NodeProto>> Targets(GraphIndex index) =>
        index.Graph.Node
            .Where(n => OperatorMetatypes.For(n) is { ChannelAxis: -1, Weight: { } w } && n.Input.Count > w.Input && w.Input != 0
                && !index.IsConstant(n.Input[0]) && index.IsConstant(n.Input[w.Input])
                && index.Initializer(n.Input[w.Input]) is { Dims.Count: 2 } t && TensorData.IsFloat(t.DataType))
            .GroupBy(n => n.Input[0])
            .Where(g => g.Select(n => Channels(index, n)).Distinct().Count() == 1)
            .ToList();

    private static int WeightInput(NodeProto node) => OperatorMetatypes.For(node).Weight!.Input;

    /// <summary>The weight's input-channel count: the activation channels it sums over.</summary>
    private static long Channels(GraphIndex index, NodeProto node)
    {
        var weight = index.Initializer(node.Input[WeightInput(node)])!;
        return weight.Dims[OperatorMetatypes.For(node).WeightAxes(node, weight.Dims.Count).Input];
    }

    public override IEnumerable<StatisticPoint> StatisticPoints(PipelineState state) =>
        Targets(state.Index).Select(g => new StatisticPoint(g.Key, new ChannelAbsMaxStatistic(Channels(state.Index, g.First()))));

    public override void Apply(PipelineState state, StatisticsContainer statistics, StatisticsEngine engine)
    {
        var model = state.Model;
        var index = state.Index;
        var targets = Targets(index);
        if (targets.Count == 0) return;

        var names = new UniqueNames(model.Graph);

        foreach (var group in targets)
        {
            var xMax = statistics.Get<float[]>(new StatisticPoint(group.Key, new ChannelAbsMaxStatistic(Channels(index, group.First()))));
            if (xMax.Length == 0) continue;
            int k = xMax.Length;
            var weights = group.Select(n =>
            {
                var tensor = index.Initializer(n.Input[WeightInput(n)])!;
                var dims = TensorData.Shape(tensor);
                return (Node: n, Values: TensorData.ToFloats(tensor), Dims: dims, Axis: OperatorMetatypes.For(n).WeightAxes(n, dims.Length).Input);
            }).ToList();

            var wMax = new float[k];
            foreach (var (_, values, dims, axis) in weights)
            {
                var rows = ChannelIndexer.For(dims, axis);
                for (int i = 0; i < values.Length; i++)
                {
                    int row = rows.Of(i);
                    wMax[row] = MathF.Max(wMax[row], MathF.Abs(values[i]));
                }
            }

            var s = new float[k];
            for (int row = 0; row < k; row++)
            {
                double v = Math.Pow(Math.Max(xMax[row], 1e-5), alpha) / Math.Pow(Math.Max(wMax[row], 1e-5), 1 - alpha);
                s[row] = (float)Math.Clamp(v, 1e-5, 1e5);
            }

            string inverse = names.Next(group.Key + "_smooth_scale"), smoothedTensor = names.Next(group.Key + "_smoothed");
            model.Graph.Initializer.Add(TensorData.FromFloats(inverse, [k], s.Select(v => 1f / v).ToArray()));
            model.Graph.Node.Add(new NodeProto { OpType = "Mul", Name = names.Next(group.Key + "_SmoothQuant"), Input = { group.Key, inverse }, Output = { smoothedTensor } });
            state.Smoothed[smoothedTensor] = new Smoothing(group.Key, inverse, -1);
            foreach (var (node, values, dims, axis) in weights)
            {
                var rows = ChannelIndexer.For(dims, axis);
                var scaled = new float[values.Length];
                for (int i = 0; i < values.Length; i++) scaled[i] = values[i] * s[rows.Of(i)];
                int input = WeightInput(node);
                string name = names.Next(node.Input[input] + "_smoothed");
                model.Graph.Initializer.Add(ScratchFolder.Offload(TensorData.FromFloats(name, dims, scaled)));
                state.Smoothed[name] = new Smoothing(node.Input[input], inverse, axis);
                node.Input[0] = smoothedTensor;
                node.Input[input] = name;
            }
        }

        // The inserted Muls were appended: restore a valid order, and drop weights no longer used.
        var sorted = new GraphIndex(model.Graph).TopologicalOrder.ToList();
        model.Graph.Node.Clear();
        model.Graph.Node.AddRange(sorted);
        ConstantWeights.RemoveUnreadInitializers(model.Graph);
        state.ModelChanged();
    }
}
