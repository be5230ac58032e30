using Onnx;
using PtqSharp.Hardware.Metatypes;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization;

/// <summary>Whether to fold the mean output shift that weight rounding causes back into the bias.</summary>
public enum BiasCorrectionMode
{
    /// <summary>POT/NNCF FastBiasCorrection: per biased layer, from FP32 input statistics, in the calibration pass.</summary>
    Fast,

    /// <summary>POT's BiasCorrection: layer by layer in the quantized model, upstream corrections included; the model runs piece by piece, each layer's piece starting at the layer before it.</summary>
    Full,

    /// <summary>Biases as they are.</summary>
    None,
}

/// <summary>
/// The math both bias corrections share. Quantizing weights shifts each output channel's mean by
/// sum_k (Wq - W)[c, k] * E[x_k]; subtracting that shift from the bias restores the FP32 mean (exact for
/// ops whose metatype says so: Conv away from padded borders, Gemm). A correction larger than
/// <see cref="Threshold"/> times the bias (relative) is not trusted and skipped, as in POT.
/// </summary>
internal static class BiasCorrection
{
    public const float Threshold = 2f;

    /// <summary>
    /// The activation input whose channel means a biased op needs, or null if it cannot be corrected:
    /// the op's metatype must allow it, and the input's channels must be axis 1, the axis
    /// <see cref="Statistics.ChannelMeanStatistic"/> averages over.
    /// </summary>
    public static string? MeanInput(QuantizedOp op, GraphIndex index)
    {
        var m = OperatorMetatypes.For(op.Node);
        if (!m.BiasCorrection || op.BiasIndex is null || op.Weight is not { } w || m.Weight?.Input != w.InputIndex) return null;
        int rank = index.Initializer(w.Tensor)!.Dims.Count;
        return m.ActivationChannelAxis(op.Node, rank) == 1 ? op.Node.Input[0] : null;
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

    /// <summary>
    /// shift[c] = sum over the weight's input channels (within c's group) and kernel positions of
    /// (Wq - W) times the mean of that input channel; null when the shapes do not line up.
    /// </summary>
    public static float[]? Shift(NodeProto node, TensorProto weight, QuantizationParameters p, float[] mean)
    {
        var m = OperatorMetatypes.For(node);
        var w = TensorData.ToFloats(weight);
        var shape = TensorData.Shape(weight);
        var (outAxis, inAxis) = m.WeightAxes(node, shape.Length);
        int groups = m.Groups(node);
        int cout = (int)shape[outAxis], cinPerGroup = (int)shape[inAxis];
        if (groups < 1 || mean.Length != cinPerGroup * groups || cout % groups != 0) return null;

        var q = WeightQuantizer.Quantize(w, shape, p, v => v);
        var output = ChannelIndexer.For(shape, outAxis);
        var input = ChannelIndexer.For(shape, inAxis);
        var channel = p.Axis is int a ? ChannelIndexer.For(shape, a) : default;

        // Rounding error summed per (output, input) channel pair over the kernel, then weighted by the input's mean.
        var error = new double[cout * cinPerGroup];
        for (int i = 0; i < w.Length; i++)
        {
            float dequantized = p.Dequantize(q[i], p.Axis is null ? 0 : channel.Of(i));
            error[output.Of(i) * cinPerGroup + input.Of(i)] += dequantized - w[i];
        }

        var shift = new float[cout];
        for (int c = 0; c < cout; c++)
        {
            int firstIn = c / (cout / groups) * cinPerGroup;
            double sum = 0;
            for (int ci = 0; ci < cinPerGroup; ci++) sum += error[c * cinPerGroup + ci] * mean[firstIn + ci];
            shift[c] = (float)sum;
        }

        return shift;
    }
}
