using Onnx;
using PtqSharp.Data;
using PtqSharp.Onnx;
using PtqSharp.Quantization;

namespace PtqSharp.Evaluation;

/// <summary>The quantization error of one quantized tensor against FP32.</summary>
/// <param name="Tensor">The tensor's name in the float model.</param>
/// <param name="Kind">"activation" (the accumulated error of everything upstream, as the model runs) or "weight" (rounding alone).</param>
/// <param name="Consumers">The ops that read it.</param>
/// <param name="SqnrDb">Signal-to-quantization-noise ratio in dB: higher is better; each 6 dB is about one bit.</param>
public sealed record TensorError(string Tensor, string Kind, string Consumers, double SqnrDb);

/// <summary>
/// Per-tensor SQNR of a QDQ model against its float original, like ONNX Runtime's QDQ loss
/// debugging: it shows which layers hurt. Activations are compared sample by sample with the
/// dequantized values as the QDQ model computes them; weights by rounding alone.
/// </summary>
public sealed record LayerErrorReport(IReadOnlyList<TensorError> Tensors, int Samples)
{
    /// <summary>Worst first.</summary>
    public IEnumerable<TensorError> Worst(int count) => Tensors.OrderBy(t => t.SqnrDb).Take(count);

    public string ToCsv() =>
        "tensor,kind,consumers,sqnr_db\n" + string.Concat(Tensors.Select(t => $"\"{t.Tensor}\",{t.Kind},\"{t.Consumers}\",{t.SqnrDb.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}\n"));

    public static LayerErrorReport Compute(ModelProto original, ModelProto quantized, Dataset data, IReadOnlyList<int> indices)
    {
        var (fp32, _) = ModelPreprocessor.Prepare(original);
        var q = new GraphIndex(quantized.Graph);
        var fpIndex = new GraphIndex(fp32.Graph);
        var pairs = new List<(string Float, string Dequantized, float[]? Smoothing, string Consumers)>();
        var result = new List<TensorError>();
        foreach (var dq in quantized.Graph.Node.Where(n => n.OpType == "DequantizeLinear"))
        {
            var consumers = string.Join(" ", q.Consumers(dq.Output[0]).Select(u => u.Node.Name).Distinct());
            if (q.Initializer(dq.Input[0]) is { } weight)
            {
                // Weights: compare with the float initializer the DQ replaced (its stem), when the float model has it.
                var stem = dq.Output[0].EndsWith("_dequantized", StringComparison.Ordinal) ? dq.Output[0][..^"_dequantized".Length] : dq.Output[0];
                var values = weight.DataType == TensorData.Int32 ? null : Dequantize(q, dq);
                if (values is not null && fpIndex.Initializer(stem) is { } floats && TensorData.IsFloat(floats.DataType))
                {
                    result.Add(new TensorError(stem, "weight", consumers, Sqnr(TensorData.ToFloats(floats), values)));
                }
                else if (values is not null && SmoothedWeight(q, fpIndex, dq, stem) is { } smoothed)
                {
                    var (unsmoothed, inverse) = smoothed;
                    // SmoothQuant multiplied row k by s_k: divide it back out to compare with the original weight.
                    int columns = values.Length / inverse.Length;
                    for (int i = 0; i < values.Length; i++) values[i] *= inverse[i / columns];
                    result.Add(new TensorError(unsmoothed.Name, "weight", consumers, Sqnr(TensorData.ToFloats(unsmoothed), values)));
                }

                continue;
            }

            if (q.Producer(dq.Input[0]) is not { OpType: "QuantizeLinear" } quantize) continue;
            string floatName = q.GraphOutputs.Contains(dq.Output[0]) ? dq.Output[0] : quantize.Input[0];
            float[]? smoothing = null;
            if (fpIndex.Producer(floatName) is null && !fpIndex.GraphInputs.Contains(floatName))
            {
                // A SmoothQuant input, x * (1/s): compare it, scaled back by s, with x.
                if (q.Producer(floatName) is not { OpType: "Mul" } mul || !mul.Name.EndsWith("_SmoothQuant", StringComparison.Ordinal) || q.Initializer(mul.Input[1]) is not { } inverse) continue;
                floatName = mul.Input[0];
                if (fpIndex.Producer(floatName) is null && !fpIndex.GraphInputs.Contains(floatName)) continue;
                smoothing = TensorData.ToFloats(inverse);
            }

            pairs.Add((floatName, dq.Output[0], smoothing, consumers));
        }

        var errors = pairs.Select(_ => new OutputAgreement.Accumulator()).ToArray();
        using (var a = new ModelRunner(GraphOutputs.Expose(fp32, pairs.Select(p => p.Float))))
        using (var b = new ModelRunner(GraphOutputs.Expose(quantized, pairs.Select(p => p.Dequantized))))
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
                    if (fa[fpAt[k]] is not { } x || fb[qAt[k]] is not { } y || x.Length != y.Length) continue;
                    if (pairs[k].Smoothing is { } inverse)
                    {
                        for (int j = 0; j < y.Length; j++) y[j] /= inverse[j % inverse.Length];
                    }

                    errors[k].Add(x, y);
                }
            }
        }

        for (int k = 0; k < pairs.Count; k++)
        {
            result.Add(new TensorError(pairs[k].Float, "activation", pairs[k].Consumers, errors[k].Result(classifier: false).SqnrDb));
        }

        return new LayerErrorReport(result, indices.Count);
    }

    /// <summary>For a weight SmoothQuant rescaled: the original float weight and the per-row 1/s, from the Mul feeding the same MatMul.</summary>
    private static (TensorProto Original, float[] Inverse)? SmoothedWeight(GraphIndex q, GraphIndex fp, NodeProto dq, string stem)
    {
        if (!stem.EndsWith("_smoothed", StringComparison.Ordinal) || fp.Initializer(stem[..^"_smoothed".Length]) is not { } original) return null;
        var matmul = q.Consumers(dq.Output[0]).Select(u => u.Node).FirstOrDefault(n => n.OpType == "MatMul");
        var activation = matmul is null ? null : q.Producer(matmul.Input[0]) is { OpType: "DequantizeLinear" } adq && q.Producer(adq.Input[0]) is { OpType: "QuantizeLinear" } aq ? aq.Input[0] : matmul.Input[0];
        return activation is not null && q.Producer(activation) is { OpType: "Mul" } mul && mul.Name.EndsWith("_SmoothQuant", StringComparison.Ordinal) && q.Initializer(mul.Input[1]) is { } inverse
            ? (original, TensorData.ToFloats(inverse))
            : null;
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
