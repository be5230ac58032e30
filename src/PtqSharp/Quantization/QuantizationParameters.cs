namespace PtqSharp.Quantization;

/// <summary>
/// Scale and zero point of one quantizer: q = clamp(round(x / scale) + zeroPoint, QMin, QMax).
/// Per-tensor quantizers have one scale; per-channel ones have one per channel along <see cref="Axis"/>.
/// </summary>
internal sealed record QuantizationParameters(float[] Scale, int[] ZeroPoint, QuantizedType Type, int QMin, int QMax, int? Axis = null)
{
    public bool PerChannel => Axis is not null;

    /// <summary>
    /// For a weight: its integer codes, in the weight's own layout, where an algorithm chose them by the layer's output
    /// error (GPTQ) instead of rounding each to nearest; null for round to nearest. Every writer of the weight and every
    /// bias correction reads them through <see cref="WeightQuantizer"/>.
    /// </summary>
    public int[]? Codes { get; init; }

    public int Quantize(float x, int channel = 0)
    {
        float q = MathF.Round(x / Scale[channel], MidpointRounding.ToEven) + ZeroPoint[channel];
        return (int)Math.Clamp(q, QMin, QMax);
    }

    public float Dequantize(int q, int channel = 0) => (q - ZeroPoint[channel]) * Scale[channel];
}
