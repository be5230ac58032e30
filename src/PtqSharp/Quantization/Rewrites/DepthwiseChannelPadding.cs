using Onnx;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization.Rewrites;

/// <summary>
/// Pads a depthwise convolution's channels with zero channels up to a multiple of the device's vector width
/// (<c>"depthwise_channel_multiple"</c> in the device rules). ONNX Runtime's integer depthwise kernel runs a count
/// that is not a multiple of 16 on a slow path: on an AVX-512 VNNI CPU, one thread, a 3x3 QLinearConv over 88
/// channels of 28x28 took 56 us and over 96 channels 23 us (FP32: 0.066 ms for the block at either count).
/// <para>
/// Exact: the channels between the convolutions that make them and those that read them are padded together. The
/// producing convolutions get zero output rows (zero weights and bias), the depthwise ones zero filters, per-channel
/// constants of elementwise ops neutral values, and the convolutions that read the channels zero input columns, so
/// whatever the padded channels hold (zeros, or what an activation makes of zero) never reaches a real output. The
/// region is all or nothing: a tensor whose channels reach anything else (a graph output, a Concat, a Reshape, a
/// Gemm) leaves the convolution as it is.
/// </para>
/// </summary>
internal sealed class DepthwiseChannelPadding(int multiple) : GraphRewrite
{
    /// <summary>Elementwise ops that map each channel on its own and keep a finite value finite.</summary>
    private static readonly HashSet<string> Unary = ["Relu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "LeakyRelu", "Tanh", "Elu", "Identity", SwishAsQuickGelu.OpType];

    /// <summary>Pools act per channel (MaxPool only without its indices output, whose values count channels).</summary>
    private static readonly HashSet<string> Pools = ["GlobalAveragePool", "AveragePool", "MaxPool", "GlobalMaxPool"];

    private readonly Dictionary<string, double> _realShare = [];

    public override string Description => $"depthwise convolution channels padded to a multiple of {multiple}";

    /// <summary>
    /// The padded tensors, each with the share of its values that are real channels (channels / padded channels). The
    /// padded channels hold zeros or what an activation makes of zero, in the bulk of a tensor's values: range
    /// estimation reads a percentile at the rank the real values alone give it, so the ranges are the unpadded model's.
    /// </summary>
    public IReadOnlyDictionary<string, double> RealShare => _realShare;

    public override int Apply(GraphEditor graph)
    {
        int count = 0;
        foreach (var node in graph.Graph.Node.ToList())
        {
            if (Depthwise(graph, node) is not int channels || channels % multiple == 0) continue;
            if (Region.Find(graph, node, channels) is not { } region) continue;
            int padded = (channels + multiple - 1) / multiple * multiple;
            region.Pad(graph, padded);
            foreach (var tensor in region.Tensors) _realShare[tensor] = (double)channels / padded;
            graph.Refresh();
            count++;
        }

        return count;
    }

    /// <summary>The channel count of a depthwise Conv (one filter per input channel, constant weights), else null.</summary>
    private static int? Depthwise(GraphEditor graph, NodeProto node)
    {
        if (node.OpType != "Conv" || node.Domain is not ("" or "ai.onnx") || node.Input.Count < 2 || node.Output.Count != 1) return null;
        if (graph.Index.Initializer(node.Input[1]) is not { } w || !graph.Index.IsConstant(node.Input[1]) || w.Dims.Count < 3) return null;
        long group = node.GetInt("group", 1);
        return group is > 1 and < int.MaxValue / 2 && w.Dims[0] == group && w.Dims[1] == 1 ? (int)group : null;
    }

    /// <summary>The tensors whose channels are the depthwise convolution's, and what padding them changes.</summary>
    private sealed class Region
    {
        private readonly GraphEditor _graph;
        private readonly int _channels, _rank;
        private readonly HashSet<string> _tensors = [];
        private readonly Queue<string> _todo = new();
        private readonly HashSet<NodeProto> _elementwise = new(ReferenceEqualityComparer.Instance);
        private readonly HashSet<NodeProto> _depthwise = new(ReferenceEqualityComparer.Instance);
        private readonly HashSet<NodeProto> _producers = new(ReferenceEqualityComparer.Instance); // pad output channels
        private readonly HashSet<NodeProto> _readers = new(ReferenceEqualityComparer.Instance); // pad input channels
        private readonly List<(NodeProto Node, int Input, float Fill)> _constants = [];

        private Region(GraphEditor graph, int channels, int rank)
        {
            _graph = graph;
            _channels = channels;
            _rank = rank;
        }

        /// <summary>The tensors whose channels are padded.</summary>
        public IReadOnlyCollection<string> Tensors => _tensors;

        public static Region? Find(GraphEditor graph, NodeProto depthwise, int channels)
        {
            var region = new Region(graph, channels, graph.Index.Initializer(depthwise.Input[1])!.Dims.Count);
            region.Join(depthwise.Output[0]);
            while (region._todo.TryDequeue(out var tensor))
            {
                if (graph.Index.GraphOutputs.Contains(tensor) || graph.Index.Producer(tensor) is not { } producer) return null;
                if (!region.Visit(producer, input: -1)) return null;
                foreach (var use in graph.Index.Consumers(tensor))
                {
                    if (!region.Visit(use.Node, use.InputIndex)) return null;
                }
            }

            return region;
        }

        private void Join(string tensor)
        {
            if (_tensors.Add(tensor)) _todo.Enqueue(tensor);
        }

        /// <summary>Takes in a node that makes (<paramref name="input"/> -1) or reads a tensor of the region; false when it cannot be padded.</summary>
        private bool Visit(NodeProto node, int input)
        {
            if (_graph.IsIgnored(node) || !Known(node)) return false;
            if (node.OpType == "Conv") return VisitConv(node, input);
            if (node.Output.Count != 1) return false;
            if (Unary.Contains(node.OpType) || Pools.Contains(node.OpType))
            {
                if (input > 0) return false; // a Clip bound is no tensor of channels
                if (!_elementwise.Add(node)) return true;
                Join(node.Input[0]);
                Join(node.Output[0]);
                return true;
            }

            if (node.OpType is not ("Add" or "Mul" or "Sub" or "Div") || node.Input.Count != 2) return false;
            if (!_elementwise.Add(node)) return true;
            for (int i = 0; i < 2; i++)
            {
                var tensor = node.Input[i];
                if (!_graph.Index.IsConstant(tensor))
                {
                    // A divisor of the region could be zero in a padded channel.
                    if (node.OpType == "Div" && i == 1) return false;
                    Join(tensor);
                }
                else if (!Constant(node, i))
                {
                    return false;
                }
            }

            Join(node.Output[0]);
            return true;
        }

        private bool VisitConv(NodeProto node, int input)
        {
            if (input > 0 || node.Input.Count < 2 || !IsFloatConstant(node.Input[1]) || _graph.Index.Initializer(node.Input[1])!.Dims is not { } w) return false;
            if (w.Count != _rank || (node.Input.Count > 2 && node.Input[2].Length > 0 && !IsFloatConstant(node.Input[2]))) return false;
            if (Depthwise(_graph, node) == _channels)
            {
                // Another depthwise convolution over the same channels: both sides are the region's.
                _depthwise.Add(node);
                Join(node.Input[0]);
                Join(node.Output[0]);
                return true;
            }

            if (node.GetInt("group", 1) != 1) return false;
            if (input < 0 && w[0] == _channels)
            {
                _producers.Add(node);
                return true;
            }

            if (input == 0 && w[1] == _channels)
            {
                _readers.Add(node);
                return true;
            }

            return false;
        }

        /// <summary>ONNX's own ops, and the one contrib op a rewrite before this one writes (swish as QuickGelu).</summary>
        private static bool Known(NodeProto node) =>
            node.Domain is "" or "ai.onnx" || (node.Domain == OpsetImports.Microsoft && node.OpType == SwishAsQuickGelu.OpType);

        /// <summary>Only float32 constants are padded: a copy keeps the element type the op expects.</summary>
        private bool IsFloatConstant(string tensor) =>
            _graph.Index.IsConstant(tensor) && _graph.Index.Initializer(tensor)!.DataType == TensorData.Float;

        /// <summary>A constant operand is fine when it broadcasts (one value) or holds one value per channel ([C, 1, ...] aligned to axis 1).</summary>
        private bool Constant(NodeProto node, int input)
        {
            var dims = _graph.Index.Initializer(node.Input[input])!.Dims;
            if (dims.All(d => d == 1)) return true;
            if (!IsFloatConstant(node.Input[input])) return false;
            int axis = dims.Count - (_rank - 1);
            if (axis < 0 || dims[axis] != _channels || dims.Where((d, k) => k != axis && d != 1).Any()) return false;
            _constants.Add((node, input, node.OpType is "Mul" or "Div" ? 1f : 0f));
            return true;
        }

        /// <summary>Pads every tensor of the region to <paramref name="padded"/> channels.</summary>
        public void Pad(GraphEditor graph, int padded)
        {
            foreach (var node in _producers.Concat(_depthwise))
            {
                node.Input[1] = PadConstant(graph, node.Input[1], axis: 0, padded, 0f);
                if (node.Input.Count > 2 && node.Input[2].Length > 0) node.Input[2] = PadConstant(graph, node.Input[2], axis: 0, padded, 0f);
            }

            foreach (var node in _depthwise) node.SetInt("group", padded);
            foreach (var node in _readers) node.Input[1] = PadConstant(graph, node.Input[1], axis: 1, padded, 0f);
            foreach (var (node, input, fill) in _constants)
            {
                var dims = graph.Shape(node.Input[input]);
                node.Input[input] = PadConstant(graph, node.Input[input], dims.Length - (_rank - 1), padded, fill);
            }

            // Recorded shapes of the padded tensors no longer hold.
            var stale = graph.Graph.ValueInfo.Where(v => _tensors.Contains(v.Name)).ToList();
            foreach (var v in stale) graph.Graph.ValueInfo.Remove(v);
        }

        /// <summary>A copy of a float constant with <paramref name="axis"/> grown to <paramref name="size"/>, the new entries <paramref name="fill"/>.</summary>
        private static string PadConstant(GraphEditor graph, string name, int axis, int size, float fill)
        {
            var dims = graph.Shape(name);
            var values = graph.FloatConstant(name)!;
            long outer = dims.Take(axis).Aggregate(1L, (a, d) => a * d), inner = dims.Skip(axis + 1).Aggregate(1L, (a, d) => a * d);
            var grown = dims.ToArray();
            grown[axis] = size;
            var result = new float[outer * size * inner];
            if (fill != 0) Array.Fill(result, fill);
            for (long o = 0; o < outer; o++)
            {
                Array.Copy(values, o * dims[axis] * inner, result, o * size * inner, dims[axis] * inner);
            }

            return graph.AddConstant(name + "_padded", grown, result);
        }
    }
}
