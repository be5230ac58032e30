using Onnx;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization;

/// <summary>
/// LSTMs with constant weights as ONNX Runtime's DynamicQuantizeLSTM (com.microsoft): W and R in int8, symmetric per
/// gate row (narrow range, zero point 0), transposed to the [directions, inputs, 4 x hidden] layout the op reads;
/// activations are quantized at run time inside the op. Static QDQ has no integer LSTM kernel, so without this an LSTM
/// stays in float: on this repository's CPU the text LSTM ran at 0.38x of FP32 with it, cosine 1.0000.
/// </summary>
internal static class DynamicLstm
{
    /// <summary>The rewrite's name in the report.</summary>
    public const string Name = "LSTM as DynamicQuantizeLSTM (int8 weights, activations quantized at run time)";

    /// <summary>How many LSTMs of <paramref name="model"/> <see cref="Apply"/> would rewrite.</summary>
    public static int Eligible(ModelProto model)
    {
        var index = new GraphIndex(model.Graph);
        return model.Graph.Node.Count(n => Weights(index, n) is not null);
    }

    /// <summary>An LSTM's W and R when it can be rewritten (a default-domain LSTM whose W and R are constants only it reads), else null.</summary>
    private static (TensorProto W, TensorProto R)? Weights(GraphIndex index, NodeProto node) =>
        node.OpType == "LSTM" && node.Domain is "" or "ai.onnx" && node.Input.Count >= 3
        && Weight(index, node.Input[1]) is { } w && Weight(index, node.Input[2]) is { } r ? (w, r) : null;

    /// <summary>Rewrites every eligible LSTM of <paramref name="model"/> in place; returns how many.</summary>
    public static int Apply(ModelProto model)
    {
        var graph = model.Graph;
        var index = new GraphIndex(graph);
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var lstm in graph.Node.ToList())
        {
            if (Weights(index, lstm) is not var (w, r)) continue;
            var names = new UniqueNames(graph);
            var (wq, ws, wz) = Quantize(w, names, lstm.Input[1]);
            var (rq, rs, rz) = Quantize(r, names, lstm.Input[2]);
            graph.Initializer.Add([wq, ws, wz, rq, rs, rz]);
            var node = new NodeProto { OpType = "DynamicQuantizeLSTM", Domain = OpsetImports.Microsoft, Name = lstm.Name };
            // Inputs: X, W, R, B, sequence_lens, initial_h, initial_c, P, W_scale, W_zero_point, R_scale, R_zero_point.
            var inputs = lstm.Input.ToList();
            while (inputs.Count < 8) inputs.Add("");
            inputs[1] = wq.Name;
            inputs[2] = rq.Name;
            node.Input.AddRange(inputs.Take(8).Concat([ws.Name, wz.Name, rs.Name, rz.Name]));
            node.Output.AddRange(lstm.Output);
            node.Attribute.AddRange(lstm.Attribute.Where(a => a.Name is not "layout")); // the op has LSTM's attributes but no layout
            graph.Node[graph.Node.IndexOf(lstm)] = node;
            replaced.Add(lstm.Input[1]);
            replaced.Add(lstm.Input[2]);
        }

        if (replaced.Count == 0) return 0;
        ConstantWeights.RemoveUnread(graph, replaced);
        OpsetImports.Require(model, OpsetImports.Microsoft);
        return replaced.Count / 2;
    }

    /// <summary>A constant float32 weight of rank 3 read by nothing else, else null (a shared or computed weight keeps its LSTM in float).</summary>
    private static TensorProto? Weight(GraphIndex index, string name)
    {
        if (index.Consumers(name).Count != 1) return null;
        return ConstantWeights.Value(index, name) is { DataType: TensorData.Float, Dims.Count: 3 } tensor ? tensor : null;
    }

    /// <summary>[D, 4H, I] float to [D, I, 4H] int8 with one scale per gate row: scale = max|row| / 127.</summary>
    private static (TensorProto Values, TensorProto Scales, TensorProto ZeroPoints) Quantize(TensorProto weight, UniqueNames names, string stem)
    {
        long directions = weight.Dims[0], rows = weight.Dims[1], columns = weight.Dims[2];
        var values = TensorData.ToFloats(weight);
        var quantized = new sbyte[values.Length];
        var scales = new float[directions * rows];
        for (long d = 0; d < directions; d++)
        {
            for (long row = 0; row < rows; row++)
            {
                var source = values.AsSpan((int)((d * rows + row) * columns), (int)columns);
                float max = 0;
                foreach (var v in source) max = Math.Max(max, Math.Abs(v));
                float scale = max == 0 ? 1 : max / 127f;
                scales[d * rows + row] = scale;
                for (long c = 0; c < columns; c++) quantized[(d * columns + c) * rows + row] = (sbyte)Math.Clamp((int)MathF.Round(source[(int)c] / scale), -127, 127);
            }
        }

        return (TensorData.Create<sbyte>(names.Next(stem + "_quantized"), [directions, columns, rows], quantized, TensorData.Int8),
            TensorData.FromFloats(names.Next(stem + "_scale"), [directions, rows], scales),
            TensorData.Create<sbyte>(names.Next(stem + "_zero_point"), [directions, rows], new sbyte[directions * rows], TensorData.Int8));
    }
}
