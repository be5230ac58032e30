namespace PtqSharp.Quantization.WeightCompression;

/// <summary>
/// Round-to-nearest quantization of groups of weights into the unsigned codes ONNX Runtime's weight-only kernels read:
/// value = (code - zero point) x scale, codes 0..2^bits - 1.
/// </summary>
internal static class BlockQuantizer
{
    /// <summary>
    /// Quantizes one group. Symmetric: the zero point is 2^(bits-1) (the kernels' default, so none is stored) and the
    /// scale is signed so that the value of largest magnitude maps to code 0 (-2^(bits-1)), using all 2^bits levels, as
    /// ONNX Runtime's and NNCF's 4-bit packers do. Asymmetric: min..max (with 0 inside) over all codes. At 4 bits the
    /// range is then shrunk where that lowers the group's error.
    /// </summary>
    /// <returns>The scale and zero point; <paramref name="codes"/> holds the group's codes.</returns>
    public static (float Scale, int ZeroPoint) Quantize(ReadOnlySpan<float> group, int bits, bool symmetric, Span<int> codes)
    {
        var (scale, zeroPoint) = QuantizeFractional(group, bits, symmetric, fractionalZeroPoint: false, codes);
        return (scale, (int)zeroPoint);
    }

    /// <summary>
    /// As <see cref="Quantize"/>; with <paramref name="fractionalZeroPoint"/> (asymmetric 4-bit only), the scale and a
    /// zero point that need not be a whole code are then refitted by least squares to the codes, alternating with
    /// re-rounding: value ≈ scale x code + offset fits a group better than min/max ends can. ONNX Runtime's
    /// MatMulNBits reads such zero points as floats.
    /// </summary>
    public static (float Scale, float ZeroPoint) QuantizeFractional(ReadOnlySpan<float> group, int bits, bool symmetric, bool fractionalZeroPoint, Span<int> codes)
    {
        int levels = 1 << bits, half = levels / 2;
        float extreme = 0, min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var v in group)
        {
            if (Math.Abs(v) > Math.Abs(extreme)) extreme = v;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        if (extreme == 0)
        {
            // An all-zero group: every code is the zero point, and any scale dequantizes it to 0.
            int zero = symmetric ? half : 0;
            codes[..group.Length].Fill(zero);
            return (1, zero);
        }

        // Data-free clipping search: the range shrunk by a factor in [0.75, 1] that minimises the group's squared error.
        // A little clipping of the largest values buys finer steps for all the others; at 4 bits that is most of the error.
        (float Scale, int ZeroPoint) best = default;
        double bestError = double.PositiveInfinity;
        for (int step = 0; step <= Shrinks; step++)
        {
            float shrink = 1f - step * 0.25f / Shrinks;
            float scale;
            int zeroPoint;
            if (symmetric)
            {
                // Signed: the value of largest magnitude maps to -2^(bits-1), so all 2^bits levels are used.
                scale = extreme * shrink / -half;
                zeroPoint = half;
            }
            else
            {
                float lo = Math.Min(min * shrink, 0), hi = Math.Max(max * shrink, 0);
                scale = (hi - lo) / (levels - 1);
                zeroPoint = Math.Clamp((int)MathF.Round(-lo / scale), 0, levels - 1);
            }

            double error = 0;
            foreach (var v in group)
            {
                int code = Math.Clamp((int)MathF.Round(v / scale) + zeroPoint, 0, levels - 1);
                double d = v - (code - zeroPoint) * (double)scale;
                error += d * d;
            }

            if (error < bestError) (bestError, best) = (error, (scale, zeroPoint));
            if (bits == 8) break; // 8 bits: steps are fine already; the full range is best
        }

        for (int i = 0; i < group.Length; i++) codes[i] = Math.Clamp((int)MathF.Round(group[i] / best.Scale) + best.ZeroPoint, 0, levels - 1);
        if (!fractionalZeroPoint || symmetric || bits == 8) return best;

        (float Scale, float ZeroPoint) fitted = best;
        var trial = new int[group.Length];
        for (int iteration = 0; iteration < 6; iteration++)
        {
            // Least squares of value = a x code + c over the group; then scale = a and zero point = -c / a.
            double n = group.Length, sq = 0, sqq = 0, sw = 0, sqw = 0;
            for (int i = 0; i < group.Length; i++)
            {
                sq += codes[i];
                sqq += (double)codes[i] * codes[i];
                sw += group[i];
                sqw += codes[i] * (double)group[i];
            }

            double denominator = n * sqq - sq * sq;
            if (denominator <= 0) break;
            double a = (n * sqw - sq * sw) / denominator, c = (sw - a * sq) / n;
            if (!(a > 0)) break;
            float scale = (float)a, zeroPoint = (float)(-c / a);
            double error = 0;
            for (int i = 0; i < group.Length; i++)
            {
                trial[i] = Math.Clamp((int)MathF.Round(group[i] / scale + zeroPoint), 0, levels - 1);
                double d = group[i] - (trial[i] - zeroPoint) * (double)scale;
                error += d * d;
            }

            if (error >= bestError) break;
            bestError = error;
            fitted = (scale, zeroPoint);
            trial.AsSpan().CopyTo(codes);
        }

        return fitted;
    }

    /// <summary>How many shrink factors between 1 and 0.75 the clipping search tries.</summary>
    private const int Shrinks = 10;

    /// <summary>Packs codes of <paramref name="bits"/> bits (4 or 8) into bytes, low nibble first.</summary>
    public static void Pack(ReadOnlySpan<int> codes, int bits, Span<byte> destination)
    {
        if (bits == 8)
        {
            for (int i = 0; i < codes.Length; i++) destination[i] = (byte)codes[i];
            return;
        }

        for (int i = 0; i < codes.Length; i++)
        {
            if (i % 2 == 0) destination[i / 2] = (byte)codes[i];
            else destination[i / 2] |= (byte)(codes[i] << 4);
        }
    }
}
