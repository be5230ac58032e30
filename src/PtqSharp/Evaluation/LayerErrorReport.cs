using System.Globalization;
using System.Numerics.Tensors;
using Onnx;
using PtqSharp.Data;
using PtqSharp.Execution;
using PtqSharp.Onnx;
using PtqSharp.Quantization;

namespace PtqSharp.Evaluation;

/// <summary>
/// Per-tensor SQNR of a QDQ model against its float original, like ONNX Runtime's QDQ loss
/// debugging: it shows which layers hurt. Activations are compared sample by sample with the
/// dequantized values as the QDQ model computes them; weights by rounding alone.
/// </summary>
/// <param name="Tensors">One entry per quantized tensor, weights first, in graph order.</param>
/// <param name="Samples">How many samples the activations were compared on.</param>
public sealed record LayerErrorReport(IReadOnlyList<TensorError> Tensors, int Samples)
{
    /// <summary>The tensors with the lowest SQNR, worst first.</summary>
    /// <param name="count">How many to return.</param>
    public IEnumerable<TensorError> Worst(int count) => Tensors.OrderBy(t => t.SqnrDb).Take(count);

    /// <summary>The report as CSV: tensor, kind, consumers, sqnr_db and the FP32 and INT8 ranges.</summary>
    public string ToCsv() =>
        "tensor,kind,consumers,sqnr_db,fp32_min,fp32_max,int8_min,int8_max\n" + string.Concat(Tensors.Select(t =>
            $"\"{t.Tensor}\",{t.Kind},\"{t.Consumers}\",{t.SqnrDb.ToString("0.00", CultureInfo.InvariantCulture)},{G(t.Fp32Min)},{G(t.Fp32Max)},{G(t.Int8Min)},{G(t.Int8Max)}\n"));

    private static string G(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>Writes <see cref="ToCsv"/> to <paramref name="path"/>, whole or not at all.</summary>
    /// <param name="path">The CSV file to write.</param>
    public void SaveCsv(string path) => AtomicFile.WriteAllText(path, ToCsv());

    /// <summary>
    /// Compares every quantized tensor of <paramref name="quantized"/> with the float tensor it stands
    /// for in <paramref name="original"/>. Models PtqSharp wrote carry that mapping; for others it is
    /// read off the graph (a QuantizeLinear's input; a weight's consumer node of the same name).
    /// </summary>
    /// <param name="original">The float model the QDQ model was made from.</param>
    /// <param name="quantized">The QDQ model.</param>
    /// <param name="data">Samples both models accept.</param>
    /// <param name="indices">Which samples to compare activations on.</param>
    public static LayerErrorReport Compute(OnnxModel original, OnnxModel quantized, Dataset data, IReadOnlyList<int> indices) =>
        Compute(original.Proto, quantized.Proto, data, indices);

    internal static LayerErrorReport Compute(ModelProto original, ModelProto quantized, Dataset data, IReadOnlyList<int> indices)
    {
        using var scratch = ScratchFolder.Enter();
        var (fp32, _) = ModelPreprocessor.Prepare(original);
        var q = new GraphIndex(quantized.Graph);
        var fp = new GraphIndex(fp32.Graph);
        var tensors = QuantizedTensorMap.Read(quantized) ?? ReadOffGraph(q, fp);
        var result = new List<TensorError>();
        var pairs = new List<(string Float, string Dequantized, float[]? Inverse, string Consumers)>();
        foreach (var t in tensors)
        {
            var consumers = string.Join(" ", t.Consumers);
            float[]? inverse = null;
            if (t.Smoothing is { } smoothing)
            {
                if (q.Initializer(smoothing.InverseScale) is not { } scale) continue;
                inverse = TensorData.ToFloats(scale);
            }

            if (t.Kind == QuantizedTensorKind.Weight)
            {
                if (q.Producer(t.Dequantized) is not { OpType: "DequantizeLinear" } dq || q.Initializer(dq.Input[0]) is not { } integers) continue;
                if (fp.Initializer(t.Float) is not { } floats || !TensorData.IsFloat(floats.DataType) || TensorData.ElementCount(floats) == 0) continue;
                var values = Dequantize(q, dq);
                if (inverse is not null)
                {
                    // SmoothQuant multiplied the weight's input channels by s: multiply by 1/s to compare with the original.
                    var channels = ChannelIndexer.For(TensorData.Shape(integers), t.Smoothing!.Value.Axis);
                    for (int i = 0; i < values.Length; i++) values[i] *= inverse[channels.Of(i)];
                }

                var reference = TensorData.ToFloats(floats);
                result.Add(new TensorError(t.Float, "weight", consumers, Sqnr(reference, values),
                    TensorPrimitives.Min(reference), TensorPrimitives.Max(reference), TensorPrimitives.Min(values), TensorPrimitives.Max(values)));
            }
            else if (fp.Producer(t.Float) is not null || fp.GraphInputs.Contains(t.Float))
            {
                pairs.Add((t.Float, t.Dequantized, inverse, consumers));
            }
        }

        var errors = pairs.Select(_ => new OutputAgreement.Accumulator()).ToArray();
        var ranges = pairs.Select(_ => new double[] { double.PositiveInfinity, double.NegativeInfinity, double.PositiveInfinity, double.NegativeInfinity }).ToArray();
        using (var a = new ModelSession(GraphOutputs.Expose(fp32, pairs.Select(p => p.Float))))
        using (var b = new ModelSession(GraphOutputs.Expose(quantized, pairs.Select(p => p.Dequantized))))
        {
            var fpAt = pairs.Select(p => a.OutputNames.ToList().IndexOf(p.Float)).ToArray();
            var qAt = pairs.Select(p => b.OutputNames.ToList().IndexOf(p.Dequantized)).ToArray();
            foreach (var i in indices)
            {
                var sample = data.Get(i);
                var fa = a.Run(sample);
                var fb = b.Run(sample);
                for (int k = 0; k < pairs.Count; k++)
                {
                    if (fa[fpAt[k]] is not { } x || fb[qAt[k]] is not { } y || x.Length != y.Length || x.Length == 0) continue;
                    if (pairs[k].Inverse is { } inverse)
                    {
                        // A SmoothQuant input is x * (1/s) along its last axis: scale it back by s to compare with x.
                        for (int j = 0; j < y.Length; j++) y[j] /= inverse[j % inverse.Length];
                    }

                    errors[k].Add(x, y);
                    var r = ranges[k];
                    (r[0], r[1]) = (Math.Min(r[0], TensorPrimitives.Min(x)), Math.Max(r[1], TensorPrimitives.Max(x)));
                    (r[2], r[3]) = (Math.Min(r[2], TensorPrimitives.Min(y)), Math.Max(r[3], TensorPrimitives.Max(y)));
                }
            }
        }

        for (int k = 0; k < pairs.Count; k++)
        {
            var r = ranges[k];
            result.Add(new TensorError(pairs[k].Float, "activation", pairs[k].Consumers, errors[k].Result(classifier: false).SqnrDb, r[0], r[1], r[2], r[3]));
        }

        return new LayerErrorReport(result, indices.Count);
    }

    /// <summary>
    /// The quantized tensors of a QDQ model PtqSharp did not write: an activation is the input of the
    /// QuantizeLinear before its DequantizeLinear; a weight is what the float node of the same name
    /// reads at the same input. Biases (int32) are left out.
    /// </summary>
    private static List<QuantizedTensor> ReadOffGraph(GraphIndex q, GraphIndex fp)
    {
        var result = new List<QuantizedTensor>();
        var floatNodes = fp.Graph.Node.Where(n => n.Name.Length > 0).GroupBy(n => n.Name).ToDictionary(g => g.Key, g => g.First());
        foreach (var dq in q.Graph.Node.Where(n => n.OpType == "DequantizeLinear"))
        {
            var uses = q.Consumers(dq.Output[0]);
            var consumers = uses.Select(u => u.Node.Name).Distinct().ToList();
            if (q.Initializer(dq.Input[0]) is { } weight)
            {
                if (weight.DataType == TensorData.Int32) continue;
                var match = uses.Select(u => floatNodes.GetValueOrDefault(u.Node.Name) is { } f && f.OpType == u.Node.OpType && u.InputIndex < f.Input.Count ? f.Input[u.InputIndex] : null)
                    .FirstOrDefault(name => name is not null && fp.Initializer(name) is not null);
                if (match is not null) result.Add(new QuantizedTensor(dq.Output[0], match, QuantizedTensorKind.Weight, consumers));
            }
            else if (q.Producer(dq.Input[0]) is { OpType: "QuantizeLinear" } quantize)
            {
                result.Add(new QuantizedTensor(dq.Output[0], q.GraphOutputs.Contains(dq.Output[0]) ? dq.Output[0] : quantize.Input[0], QuantizedTensorKind.Activation, consumers));
            }
        }

        return result;
    }

    private static float[] Dequantize(GraphIndex index, NodeProto dq)
    {
        var values = TensorData.IntegersToFloats(index.Initializer(dq.Input[0])!);
        var scale = TensorData.ToFloats(index.Initializer(dq.Input[1])!);
        var zero = dq.Input.Count > 2 && index.Initializer(dq.Input[2]) is { } z ? TensorData.IntegersToFloats(z) : new float[scale.Length];
        var tensor = index.Initializer(dq.Input[0])!;
        int axis = scale.Length > 1 ? (int)dq.GetInt("axis", 1) : 0;
        long inner = 1;
        for (int d = axis + 1; d < tensor.Dims.Count; d++) inner *= tensor.Dims[d];
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            int c = scale.Length > 1 ? (int)(i / inner % scale.Length) : 0;
            result[i] = (values[i] - zero[c]) * scale[c];
        }

        return result;
    }

    private static double Sqnr(float[] reference, float[] candidate)
    {
        var error = new OutputAgreement.Accumulator();
        error.Add(reference, candidate);
        return error.Result(classifier: false).SqnrDb;
    }
}
