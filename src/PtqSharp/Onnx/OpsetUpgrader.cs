using Onnx;

namespace PtqSharp.Onnx;

/// <summary>
/// Rewrites a model from an older default-domain opset (7 and up) to opset 13, the first with
/// per-channel QuantizeLinear. Only ops whose semantics changed between the two versions are
/// rewritten; an op that changed in a way not handled here is an error naming the node, rather
/// than a silently different model.
/// </summary>
internal static class OpsetUpgrader
{
    public const int TargetOpset = 13;

    // Ops whose opset-13 definition accepts every opset-7 model unchanged (only type lists or
    // optional extras were added).
    private static readonly HashSet<string> Compatible = new()
    {
        "Abs", "Acos", "Add", "And", "ArgMax", "ArgMin", "Asin", "Atan", "AveragePool", "Cast", "Ceil", "Concat",
        "Constant", "ConstantOfShape", "Conv", "ConvTranspose", "Cos", "DepthToSpace", "Div", "Elu", "Equal", "Erf", "Exp",
        "Expand", "Flatten", "Floor", "Gather", "Gemm", "GlobalAveragePool", "GlobalMaxPool", "Greater", "HardSigmoid",
        "Identity", "InstanceNormalization", "LeakyRelu", "Less", "Log", "LRN", "MatMul", "Max", "MaxPool", "Mean", "Min",
        "Mul", "Neg", "Not", "Or", "Pow", "PRelu", "Reciprocal", "ReduceL1", "ReduceL2", "ReduceLogSumExp", "ReduceMax",
        "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSumSquare", "Relu", "Reshape", "Selu", "Shape", "Sigmoid", "Sign", "Sin",
        "Size", "Softplus", "Softsign", "SpaceToDepth", "Sqrt", "Sub", "Sum", "Tan", "Tanh", "Tile", "Transpose", "Where",
        "Range", "NonZero", "GRU", "LSTM", "RNN", "Einsum", "Mod", "Xor", "Round", "Det", "GatherElements", "ScatterElements",
        "CumSum", "OneHot", "IsNaN", "Shrink", "MeanVarianceNormalization", "Trilu", "GatherND", "ScatterND", "ThresholdedRelu",
        "NonMaxSuppression", "RoiAlign", "Compress", "Celu", "EyeLike", "MatMulInteger", "ConvInteger", "QLinearConv", "QLinearMatMul",
    };

    public static int DefaultOpset(ModelProto model) =>
        (int)(model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 0);

    /// <summary>Upgrades in place; returns the opset the model had.</summary>
    public static int Upgrade(ModelProto model)
    {
        int from = DefaultOpset(model);
        if (from >= TargetOpset) return from;
        if (from < 7)
        {
            ThrowHelper.Throw($"The model uses opset {from}; PtqSharp upgrades opset 7 and newer. Re-export the model at opset 13 or newer.");
        }

        var graph = model.Graph;
        var index = new GraphIndex(graph);
        var rewriter = new Rewriter(graph, index, from);
        foreach (var node in graph.Node.ToList())
        {
            if (node.Domain is not ("" or "ai.onnx")) continue;
            rewriter.Rewrite(node);
        }

        var opset = model.OpsetImport.First(o => o.Domain is "" or "ai.onnx");
        opset.Version = TargetOpset;
        if (model.IrVersion < 7) model.IrVersion = 7;
        return from;
    }

    private sealed class Rewriter(GraphProto graph, GraphIndex index, int from)
    {
        private int _counter;

        public void Rewrite(NodeProto node)
        {
            switch (node.OpType)
            {
                case var op when Compatible.Contains(op):
                    return;
                case "BatchNormalization":
                    if (node.GetInt("spatial", 1) != 1) Unsupported(node, "spatial=0 has no opset-13 equivalent");
                    node.Remove("spatial");
                    node.Remove("is_test");
                    while (node.Output.Count > 1) node.Output.RemoveAt(node.Output.Count - 1);
                    return;
                case "Dropout":
                    // Inference: Dropout is the identity; opset 12 moved ratio to an input.
                    node.Remove("ratio");
                    node.Remove("is_test");
                    return;
                case "Clip":
                    if (from < 11)
                    {
                        float min = node.GetFloat("min", float.MinValue), max = node.GetFloat("max", float.MaxValue);
                        node.Remove("min");
                        node.Remove("max");
                        node.Input.Add(Constant(node, "min", [], [min]));
                        node.Input.Add(Constant(node, "max", [], [max]));
                    }

                    return;
                case "Squeeze" or "Unsqueeze" or "ReduceSum":
                    MoveIntsToInput(node, "axes");
                    return;
                case "Split":
                    {
                        var split = node.GetInts("split");
                        node.Remove("split");
                        if (split is not null) node.Input.Add(Int64Constant(node, "split", split));
                        return;
                    }

                case "Pad":
                    if (from < 11)
                    {
                        var pads = node.GetInts("pads") ?? Unsupported<long[]>(node, "no pads attribute");
                        float value = node.GetFloat("value", 0f);
                        node.Remove("pads");
                        node.Remove("value");
                        node.Input.Add(Int64Constant(node, "pads", pads));
                        node.Input.Add(Constant(node, "value", [], [value]));
                    }

                    return;
                case "Slice":
                    if (from < 10)
                    {
                        var starts = node.GetInts("starts")!;
                        var ends = node.GetInts("ends")!;
                        var axes = node.GetInts("axes");
                        foreach (var name in new[] { "starts", "ends", "axes" }) node.Remove(name);
                        node.Input.Add(Int64Constant(node, "starts", starts));
                        node.Input.Add(Int64Constant(node, "ends", ends));
                        if (axes is not null) node.Input.Add(Int64Constant(node, "axes", axes));
                    }

                    return;
                case "Softmax" or "LogSoftmax" or "Hardmax":
                    UpgradeSoftmax(node);
                    return;
                case "Upsample":
                    UpgradeUpsample(node);
                    return;
                case "Resize" when from == 10:
                    // Resize-10 is Upsample-9 under a new name: (X, scales), asymmetric coordinates.
                    UpgradeUpsample(node);
                    return;
                case "Resize":
                    // Resize-11 reads as Resize-13 (which made roi and scales optional), except a coordinate mode 13 dropped.
                    if (node.Find("coordinate_transformation_mode")?.S.ToStringUtf8() == "tf_half_pixel_for_nn")
                    {
                        Unsupported(node, "coordinate_transformation_mode tf_half_pixel_for_nn was removed in opset 13");
                    }

                    return;
                case "TopK":
                    if (from < 10)
                    {
                        long k = node.GetInt("k", 1);
                        node.Remove("k");
                        node.Input.Add(Int64Constant(node, "k", [k]));
                    }

                    return;
                default:
                    Unsupported(node);
                    return;
            }
        }

        private void MoveIntsToInput(NodeProto node, string attribute)
        {
            var values = node.GetInts(attribute);
            node.Remove(attribute);
            if (values is not null) node.Input.Add(Int64Constant(node, attribute, values));
        }

        // Before opset 13 these ops flattened the input to 2-D at `axis` and normalized the second
        // dimension. The new op normalizes one axis, so the old meaning is Flatten -> op(-1) -> Reshape,
        // unless the axis is already the last one.
        private void UpgradeSoftmax(NodeProto node)
        {
            long axis = node.GetInt("axis", 1);
            int? rank = index.Shape(node.Input[0])?.Dim.Count;
            if (axis == -1 || (rank is int r && (axis == r - 1 || axis + r == r - 1)))
            {
                node.SetInt("axis", -1);
                return;
            }

            string x = node.Input[0], y = node.Output[0], stem = Stem(node);
            var shape = new NodeProto { OpType = "Shape", Name = stem + "_shape", Input = { x }, Output = { stem + "_shape" } };
            var flatten = new NodeProto { OpType = "Flatten", Name = stem + "_flatten", Input = { x }, Output = { stem + "_flat" } };
            flatten.SetInt("axis", axis);
            var reshape = new NodeProto { OpType = "Reshape", Name = stem + "_reshape", Input = { stem + "_soft", stem + "_shape" }, Output = { y } };
            node.Input[0] = stem + "_flat";
            node.Output[0] = stem + "_soft";
            node.SetInt("axis", -1);
            int at = graph.Node.IndexOf(node);
            graph.Node.Insert(at, flatten);
            graph.Node.Insert(at, shape);
            graph.Node.Insert(graph.Node.IndexOf(node) + 1, reshape);
        }

        private void UpgradeUpsample(NodeProto node)
        {
            var mode = node.Find("mode")?.S.ToStringUtf8() ?? "nearest";
            var scales = node.Find("scales")?.Floats.ToArray();
            node.OpType = "Resize";
            node.Attribute.Clear();
            node.Attribute.Add(new AttributeProto { Name = "mode", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8(mode == "linear" || mode == "bilinear" ? "linear" : "nearest") });
            node.Attribute.Add(new AttributeProto { Name = "coordinate_transformation_mode", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("asymmetric") });
            node.Attribute.Add(new AttributeProto { Name = "nearest_mode", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("floor") });
            // Opset 7-8 carried scales as an attribute, opset 9 as input 1; Resize-13 takes (X, roi, scales).
            string x = node.Input[0];
            string scalesInput = scales is not null ? Constant(node, "scales", [scales.Length], scales) : node.Input[1];
            node.Input.Clear();
            node.Input.Add(x);
            node.Input.Add(string.Empty);
            node.Input.Add(scalesInput);
        }

        private string Constant(NodeProto node, string what, long[] dims, float[] values)
        {
            var name = $"{Stem(node)}_{what}_{_counter++}";
            graph.Initializer.Add(TensorData.FromFloats(name, dims, values));
            return name;
        }

        private string Int64Constant(NodeProto node, string what, long[] values)
        {
            var name = $"{Stem(node)}_{what}_{_counter++}";
            graph.Initializer.Add(TensorData.Create<long>(name, [values.Length], values, TensorData.Int64));
            return name;
        }

        private static string Stem(NodeProto node) => (node.Name.Length > 0 ? node.Name : node.Output[0]) + "_opset13";

        private void Unsupported(NodeProto node, string? why = null) => Unsupported<int>(node, why);

        private T Unsupported<T>(NodeProto node, string? why = null) => ThrowHelper.Throw<T>(
            $"Cannot upgrade node {node.Label()} from opset {from} to {TargetOpset}{(why is null ? "" : ": " + why)}. " +
            "Re-export the model at opset 13 or newer.");
    }
}
