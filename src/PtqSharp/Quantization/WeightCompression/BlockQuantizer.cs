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
    /// range is then shrunk where that lowers the group's error, and the scale refitted by least squares.
    /// </summary>
    /// <returns>The scale and zero point; <paramref name="codes"/> holds the group's codes.</returns>
    /// <param name="group">The weights of one group.</param>
    /// <param name="bits">4 or 8.</param>
    /// <param name="symmetric">Whether the zero point is fixed at 2^(bits-1).</param>
    /// <param name="codes">Receives the group's codes.</param>
    /// <param name="importance">
    /// Per weight, how much its error counts (the mean square of the activation it multiplies, from calibration data);
    /// empty for plain squared error. The clipping search and the refit then minimise the layer's output error, not
    /// the weight error.
    /// </param>
    public static (float Scale, int ZeroPoint) Quantize(ReadOnlySpan<float> group, int bits, bool symmetric, Span<int> codes, ReadOnlySpan<float> importance = default)
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

            double error = Error(group, scale, zeroPoint, levels, importance);
            if (error < bestError) (bestError, best) = (error, (scale, zeroPoint));
            if (bits == 8) break; // 8 bits: steps are fine already; the full range is best
        }

        for (int i = 0; i < group.Length; i++) codes[i] = Math.Clamp((int)MathF.Round(group[i] / best.Scale) + best.ZeroPoint, 0, levels - 1);
        if (bits == 8) return best;

        // Refit: with the zero point held whole (ONNX Runtime's fast kernels read whole zero points), the scale that
        // minimises the squared error for the chosen codes is sum(w (q - z)) / sum((q - z)^2); re-round and repeat, and
        // try the neighbouring zero points too (asymmetric only). Keeps whichever is best.
        var trial = new int[group.Length];
        var zeroPoints = symmetric ? [best.ZeroPoint] : new[] { best.ZeroPoint, best.ZeroPoint - 1, best.ZeroPoint + 1 };
        foreach (int zeroPoint in zeroPoints.Where(z => z >= 0 && z < levels))
        {
            float scale = best.Scale;
            for (int iteration = 0; iteration < 4; iteration++)
            {
                double numerator = 0, denominator = 0;
                for (int i = 0; i < group.Length; i++)
                {
                    trial[i] = Math.Clamp((int)MathF.Round(group[i] / scale) + zeroPoint, 0, levels - 1);
                    double h = importance.IsEmpty ? 1 : importance[i], q = trial[i] - zeroPoint;
                    numerator += h * group[i] * q;
                    denominator += h * q * q;
                }

                if (denominator == 0) break;
                float refit = (float)(numerator / denominator);
                if (refit == 0 || !float.IsFinite(refit)) break;
                double error = Error(group, refit, zeroPoint, levels, importance);

                if (error >= bestError) break;
                (bestError, best, scale) = (error, (refit, zeroPoint), refit);
            }
        }

        for (int i = 0; i < group.Length; i++) codes[i] = Math.Clamp((int)MathF.Round(group[i] / best.Scale) + best.ZeroPoint, 0, levels - 1);
        return best;
    }

    /// <summary>The group's squared error at this scale and zero point, each weight's weighted by its importance.</summary>
    private static double Error(ReadOnlySpan<float> group, float scale, int zeroPoint, int levels, ReadOnlySpan<float> importance)
    {
        double error = 0;
        for (int i = 0; i < group.Length; i++)
        {
            int code = Math.Clamp((int)MathF.Round(group[i] / scale) + zeroPoint, 0, levels - 1);
            double d = group[i] - (code - zeroPoint) * (double)scale;
            error += (importance.IsEmpty ? 1 : importance[i]) * d * d;
        }

        return error;
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
