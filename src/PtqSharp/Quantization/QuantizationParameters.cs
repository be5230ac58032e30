namespace PtqSharp.Quantization;

/// <summary>
/// Scale and zero point of one quantizer: q = clamp(round(x / scale) + zeroPoint, QMin, QMax).
/// Per-tensor quantizers have one scale; per-channel ones have one per channel along <see cref="Axis"/>.
/// </summary>
internal sealed record QuantizationParameters(float[] Scale, int[] ZeroPoint, QuantizedType Type, int QMin, int QMax, int? Axis = null)
{
    public bool PerChannel => Axis is not null;

    public int Quantize(float x, int channel = 0)
    {
        float q = MathF.Round(x / Scale[channel], MidpointRounding.ToEven) + ZeroPoint[channel];
        return (int)Math.Clamp(q, QMin, QMax);
    }

    public float Dequantize(int q, int channel = 0) => (q - ZeroPoint[channel]) * Scale[channel];
}
