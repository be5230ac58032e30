using Onnx;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization;

/// <summary>Whether to fold the mean output shift that weight rounding causes back into the bias.</summary>
public enum BiasCorrectionMode
{
    /// <summary>POT/NNCF FastBiasCorrection: per biased layer, from FP32 input statistics, in the calibration pass.</summary>
    Fast,

    /// <summary>POT's BiasCorrection: layer by layer in the quantized model, upstream corrections included; one pass per layer.</summary>
    Full,

    /// <summary>Biases as they are.</summary>
    None,
}

/// <summary>
/// FastBiasCorrection: quantizing weights shifts each output channel's mean by
/// sum_k (Wq - W)[c, k] * E[x_k]; subtracting that shift from the bias restores the FP32 mean
/// (exact for Conv away from padded borders and for Gemm). The input means come from FP32
/// activations, as in POT's fast variant, so layers are corrected independently. As there, a
/// correction larger than <see cref="Threshold"/> times the bias (relative) is not trusted and skipped.
/// </summary>
internal static class BiasCorrection
{
    public const float Threshold = 2f;

    /// <summary>The activation input whose channel means a biased op needs, or null if it cannot be corrected.</summary>
    public static string? MeanInput(QuantizedOp op) =>
        op.BiasIndex is null || op.Weight is null ? null
        : op.Node.OpType == "Conv" && op.Weight.InputIndex == 1 ? op.Node.Input[0]
        : op.Node.OpType == "Gemm" && op.Weight.InputIndex == 1 && op.Node.GetInt("transA", 0) == 0 ? op.Node.Input[0]
        : null;

    /// <summary>Corrected biases of the ops that could be corrected within the threshold.</summary>
    public static Dictionary<NodeProto, float[]> Fast(
        QuantizationPlan plan, GraphIndex index, IReadOnlyDictionary<NodeProto, QuantizationParameters> weights, IReadOnlyDictionary<string, float[]> means)
    {
        var result = new Dictionary<NodeProto, float[]>(ReferenceEqualityComparer.Instance);
        foreach (var op in plan.Ops)
        {
            if (MeanInput(op) is not { } input || !means.TryGetValue(input, out var mean) || mean.Length == 0 || !weights.TryGetValue(op.Node, out var p)) continue;
            var tensor = index.Initializer(op.Weight!.Tensor)!;
            var w = TensorData.ToFloats(tensor);
            var shape = TensorData.Shape(tensor);
            var q = WeightQuantizer.Quantize(w, shape, p, v => v);
            var bias = TensorData.ToFloats(index.Initializer(op.Node.Input[op.BiasIndex!.Value])!);
            var shift = op.Node.OpType == "Conv" ? ConvShift(w, q, shape, p, mean, (int)op.Node.GetInt("group", 1)) : GemmShift(w, q, shape, p, mean, op.Node.GetInt("transB", 0) != 0);
            if (shift is null || shift.Length != bias.Length) continue;

            if (Magnitude(bias, shift) < Threshold) result[op.Node] = bias.Zip(shift, (b, s) => b - s).ToArray();
        }

        return result;
    }

    /// <summary>The largest shift relative to its bias; infinite where a zero bias would move.</summary>
    public static float Magnitude(float[] bias, float[] shift)
    {
        float magnitude = 0f;
        for (int c = 0; c < bias.Length; c++)
        {
            if (MathF.Abs(bias[c]) > 1e-12f) magnitude = MathF.Max(magnitude, MathF.Abs(shift[c] / bias[c]));
            else if (MathF.Abs(shift[c]) > 1e-12f) return float.PositiveInfinity;
        }

        return magnitude;
    }

    private static float Dequantized(QuantizationParameters p, int q, int channel) => p.Dequantize(q, p.PerChannel ? channel : 0);

    /// <summary>W [Cout, Cin/group, k...]: shift[c] = sum over in-channels and kernel of (Wq - W) * mean of that in-channel.</summary>
    private static float[]? ConvShift(float[] w, int[] q, long[] shape, QuantizationParameters p, float[] mean, int group)
    {
        int cout = (int)shape[0], cinPerGroup = (int)shape[1];
        int kernel = (int)(w.Length / ((long)cout * cinPerGroup));
        if (mean.Length != cinPerGroup * group || cout % group != 0) return null;
        var shift = new float[cout];
        for (int c = 0; c < cout; c++)
        {
            int firstIn = c / (cout / group) * cinPerGroup;
            double sum = 0;
            for (int ci = 0; ci < cinPerGroup; ci++)
            {
                int at = (c * cinPerGroup + ci) * kernel;
                double error = 0;
                for (int k = 0; k < kernel; k++) error += Dequantized(p, q[at + k], c) - w[at + k];
                sum += error * mean[firstIn + ci];
            }

            shift[c] = (float)sum;
        }

        return shift;
    }

    /// <summary>W [K, N] (or [N, K] with transB): shift[n] = sum_k (Wq - W)[k, n] * mean[k].</summary>
    private static float[]? GemmShift(float[] w, int[] q, long[] shape, QuantizationParameters p, float[] mean, bool transB)
    {
        if (shape.Length != 2) return null;
        int k = (int)(transB ? shape[1] : shape[0]), n = (int)(transB ? shape[0] : shape[1]);
        if (mean.Length != k) return null;
        var shift = new float[n];
        for (int j = 0; j < n; j++)
        {
            double sum = 0;
            for (int i = 0; i < k; i++)
            {
                int at = transB ? j * k + i : i * n + j;
                int channel = p.Axis is int axis ? (axis == 0 ? at / k : at % n) : 0;
                sum += (p.Dequantize(q[at], channel) - w[at]) * mean[i];
            }

            shift[j] = (float)sum;
        }

        return shift;
    }
}
