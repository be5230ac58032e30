namespace PtqSharp.Quantization;

/// <summary>
/// Turns observed ranges into scales and zero points. Zero is always exactly representable (the
/// zero point is an integer and every range is widened to contain 0), and degenerate ranges
/// (all zeros, denormal spans) get a usable scale instead of a division by zero.
/// </summary>
public static class RangeMath
{
    /// <summary>Smallest scale used; below it products with other scales underflow float32 and int32 bias scales.</summary>
    public const float MinScale = 1e-10f;

    /// <summary>
    /// Symmetric activation quantizer. A signed tensor uses the int8 grid [-128, 127] around zero,
    /// stored as uint8 with zero point 128 so CPUs can use their u8s8 kernels; an unsigned tensor
    /// (never negative) uses uint8 [0, 255] with zero point 0.
    /// </summary>
    public static QuantizationParameters SymmetricActivation(float absMax, bool unsigned, int bits = 8)
    {
        int levels = 1 << bits;
        float scale = SafeScale(absMax / (unsigned ? levels - 1 : levels / 2 - 1));
        return unsigned
            ? new QuantizationParameters([scale], [0], QuantizedType.UInt8, 0, levels - 1)
            : new QuantizationParameters([scale], [levels / 2], QuantizedType.UInt8, 0, levels - 1);
    }

    /// <summary>Asymmetric activation quantizer over [min, max] (widened to contain 0), uint8.</summary>
    public static QuantizationParameters AsymmetricActivation(float min, float max, int bits = 8)
    {
        int qmax = (1 << bits) - 1;
        min = MathF.Min(min, 0f);
        max = MathF.Max(max, 0f);
        float scale = SafeScale((max - min) / qmax);
        int zeroPoint = (int)Math.Clamp(MathF.Round(-min / scale, MidpointRounding.ToEven), 0, qmax);
        return new QuantizationParameters([scale], [zeroPoint], QuantizedType.UInt8, 0, qmax);
    }

    /// <summary>
    /// Symmetric per-channel int8 weights. <paramref name="levelHigh"/> is 127 for narrow range
    /// [-127, 127]; the overflow fix passes 64, which keeps every u8 x s8 pair sum of the AVX2 kernels
    /// (2 x 255 x 64 = 32640) inside int16.
    /// </summary>
    public static QuantizationParameters SymmetricWeights(ReadOnlySpan<float> absMaxPerChannel, int levelHigh, bool narrowRange, int? axis)
    {
        var scales = new float[absMaxPerChannel.Length];
        for (int c = 0; c < scales.Length; c++) scales[c] = SafeScale(absMaxPerChannel[c] / levelHigh);
        int levelLow = narrowRange || levelHigh < 127 ? -levelHigh : -levelHigh - 1;
        return new QuantizationParameters(scales, new int[scales.Length], QuantizedType.Int8, levelLow, levelHigh, axis);
    }

    /// <summary>Bias as int32 with scale = input scale x weight scale (per channel), zero point 0.</summary>
    public static QuantizationParameters Bias(float inputScale, ReadOnlySpan<float> weightScales, int? axis)
    {
        var scales = new float[weightScales.Length];
        for (int c = 0; c < scales.Length; c++) scales[c] = inputScale * weightScales[c];
        return new QuantizationParameters(scales, new int[scales.Length], QuantizedType.Int32, int.MinValue, int.MaxValue, axis);
    }

    /// <summary>
    /// The smallest weight scale for which a bias value still fits int32 after division by
    /// input scale x weight scale; quantizers raise their weight scale to it rather than clamp the bias.
    /// </summary>
    public static float MinWeightScaleForBias(float bias, float inputScale) =>
        MathF.Abs(bias) / (inputScale * (int.MaxValue / 2f));

    private static float SafeScale(float scale) => float.IsFinite(scale) && scale > MinScale ? scale : scale == 0f || !float.IsFinite(scale) ? 1f : MinScale;
}
