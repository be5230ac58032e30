namespace PtqSharp.Quantization;

/// <summary>
/// Turns observed ranges into scales and zero points. Zero is always exactly representable (the
/// zero point is an integer and every range is widened to contain 0), and degenerate ranges
/// (all zeros, denormal spans) get a usable scale instead of a division by zero.
/// </summary>
internal static class RangeMath
{
    /// <summary>Smallest scale used; below it products with other scales underflow float32 and int32 bias scales.</summary>
    public const float MinScale = 1e-10f;

    /// <summary>
    /// Symmetric activation quantizer. With unsigned storage (the u8s8 CPU kernels) a signed tensor
    /// uses the signed grid around zero stored with zero point 2^(bits-1), and a never-negative tensor
    /// the full unsigned grid with zero point 0. With signed storage (GNA) the zero point is always 0.
    /// </summary>
    public static QuantizationParameters SymmetricActivation(float absMax, bool unsigned, int bits = 8, bool signedStorage = false, bool narrowRange = false)
    {
        int levels = 1 << bits;
        if (signedStorage)
        {
            int high = levels / 2 - 1;
            return new QuantizationParameters([SafeScale(absMax / high)], [0], QuantizedType.For(bits, true), narrowRange ? -high : -high - 1, high);
        }

        float scale = SafeScale(absMax / (unsigned ? levels - 1 : levels / 2 - 1));
        return new QuantizationParameters([scale], [unsigned ? 0 : levels / 2], QuantizedType.For(bits, false), 0, levels - 1);
    }

    /// <summary>Asymmetric activation quantizer over [min, max] (widened to contain 0).</summary>
    public static QuantizationParameters AsymmetricActivation(float min, float max, int bits = 8, bool signedStorage = false)
    {
        int levels = 1 << bits;
        int qmin = signedStorage ? -levels / 2 : 0, qmax = qmin + levels - 1;
        min = MathF.Min(min, 0f);
        max = MathF.Max(max, 0f);
        float scale = SafeScale((max - min) / (levels - 1));
        int zeroPoint = (int)Math.Clamp(MathF.Round(qmin - min / scale, MidpointRounding.ToEven), qmin, qmax);
        return new QuantizationParameters([scale], [zeroPoint], QuantizedType.For(bits, signedStorage), qmin, qmax);
    }

    /// <summary>
    /// Symmetric signed weights, per channel along <paramref name="axis"/> or per tensor.
    /// <paramref name="levelHigh"/> is 2^(bits-1)-1 (127 for int8); the overflow fix passes 64, which
    /// keeps every u8 x s8 pair sum of the AVX2 kernels (2 x 255 x 64 = 32640) inside int16.
    /// </summary>
    public static QuantizationParameters SymmetricWeights(ReadOnlySpan<float> absMaxPerChannel, int levelHigh, bool narrowRange, int? axis, int bits = 8)
    {
        var scales = new float[absMaxPerChannel.Length];
        for (int c = 0; c < scales.Length; c++) scales[c] = SafeScale(absMaxPerChannel[c] / levelHigh);
        int fullHigh = (1 << (bits - 1)) - 1;
        int levelLow = narrowRange || levelHigh < fullHigh ? -levelHigh : -levelHigh - 1;
        return new QuantizationParameters(scales, new int[scales.Length], QuantizedType.For(bits, true), levelLow, levelHigh, axis);
    }

    /// <summary>Asymmetric signed weights: each channel's [min, max] (widened to contain 0) on the full grid, with its own zero point.</summary>
    public static QuantizationParameters AsymmetricWeights(ReadOnlySpan<float> minPerChannel, ReadOnlySpan<float> maxPerChannel, int? axis, int bits = 8)
    {
        var scales = new float[minPerChannel.Length];
        var zeroPoints = new int[minPerChannel.Length];
        int qmin = -(1 << (bits - 1)), qmax = (1 << (bits - 1)) - 1;
        for (int c = 0; c < scales.Length; c++)
        {
            float min = MathF.Min(minPerChannel[c], 0f), max = MathF.Max(maxPerChannel[c], 0f);
            scales[c] = SafeScale((max - min) / (qmax - qmin));
            zeroPoints[c] = (int)Math.Clamp(MathF.Round(qmin - min / scales[c], MidpointRounding.ToEven), qmin, qmax);
        }

        return new QuantizationParameters(scales, zeroPoints, QuantizedType.For(bits, true), qmin, qmax, axis);
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
