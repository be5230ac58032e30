using System.Numerics.Tensors;

namespace PtqSharp.Quantization.WeightCompression;

/// <summary>
/// GPTQ (Frantar et al., 2022): a MatMul weight W [K, N] is rounded one input row k at a time, and each row's rounding
/// error is pushed onto the rows not yet rounded, weighted by the inverse of the layer's input Hessian H = XᵀX, so
/// the layer's output error ‖XW − XŴ‖² (not the weight error) is what the rounding minimises. Groups along K take their
/// scale and zero point from the already-updated weights when the group starts, as in the paper's grouped variant.
/// </summary>
internal static class Gptq
{
    /// <summary>Dampening added to H's diagonal, as a share of its mean (the paper's 1 %), so its inverse is well conditioned.</summary>
    private const double Dampening = 0.01;

    /// <summary>
    /// The upper Cholesky factor U of H⁻¹ (H⁻¹ = UᵀU), row-major [K, K], after dampening; inputs never active (zero
    /// diagonal) get a unit diagonal and are listed in <paramref name="dead"/>. Null when H is not positive definite
    /// even after more dampening.
    /// </summary>
    public static double[]? InverseCholeskyUpper(float[] hessian, int k, out bool[] dead)
    {
        dead = new bool[k];
        double mean = 0;
        for (int i = 0; i < k; i++) mean += hessian[(long)i * k + i];
        mean = Math.Max(mean / k, 1e-12);
        for (double damp = Dampening; damp <= 1; damp *= 10)
        {
            var h = new double[(long)k * k];
            for (long i = 0; i < h.Length; i++) h[i] = hessian[i];
            for (int i = 0; i < k; i++)
            {
                long d = (long)i * k + i;
                if (h[d] <= 0)
                {
                    dead[i] = true;
                    h[d] = 1;
                }

                h[d] += damp * mean;
            }

            if (!CholeskyLower(h, k)) continue;
            var inverse = InverseOfLowerGram(h, k); // H⁻¹ = L⁻ᵀ L⁻¹
            if (!CholeskyLower(inverse, k)) continue;
            return TransposeLower(inverse, k);
        }

        return null;
    }

    /// <summary>
    /// Rounds <paramref name="w"/> ([K, N] row-major; updated in place, each row left at its dequantized values) to codes
    /// [K, N] in [0, <paramref name="maxCode"/>] with groups of <paramref name="block"/> along K;
    /// <paramref name="groupParameters"/> picks a group's scale and zero point from one column's current weights in it,
    /// the group's first row and the column.
    /// </summary>
    public static (float[] Scales, int[] Zeros) Round(float[] w, int k, int n, double[] u, bool[] dead, int block, int maxCode,
        Func<ReadOnlySpan<float>, int, int, (float Scale, int Zero)> groupParameters, byte[] codes)
    {
        int blocks = (k + block - 1) / block;
        var scales = new float[n * blocks];
        var zeros = new int[n * blocks];
        var column = new float[block];
        var error = new float[n];
        for (int r = 0; r < k; r++)
        {
            if (dead[r]) w.AsSpan(r * n, n).Clear();
        }

        for (int r = 0; r < k; r++)
        {
            int b = r / block;
            if (r % block == 0)
            {
                int length = Math.Min(block, k - r);
                for (int col = 0; col < n; col++)
                {
                    for (int j = 0; j < length; j++) column[j] = w[(long)(r + j) * n + col];
                    var (scale, zero) = groupParameters(column.AsSpan(0, length), r, col);
                    scales[col * blocks + b] = scale;
                    zeros[col * blocks + b] = zero;
                }
            }

            var row = w.AsSpan(r * n, n);
            double diagonal = u[(long)r * k + r];
            for (int col = 0; col < n; col++)
            {
                float scale = scales[col * blocks + b];
                int zero = zeros[col * blocks + b];
                int code = scale == 0 ? zero : Math.Clamp((int)MathF.Round(row[col] / scale) + zero, 0, maxCode);
                codes[(long)r * n + col] = (byte)code;
                float rounded = (code - zero) * scale;
                error[col] = (float)((row[col] - rounded) / diagonal);
                row[col] = rounded;
            }

            // The rows not yet rounded absorb this row's error: w_j -= U[r, j] · e for every j > r.
            for (int j = r + 1; j < k; j++)
            {
                float factor = (float)-u[(long)r * k + j];
                if (factor == 0) continue;
                var target = w.AsSpan(j * n, n);
                TensorPrimitives.MultiplyAdd(error, factor, target, target);
            }
        }

        return (scales, zeros);
    }

    /// <summary>
    /// The layer's relative output error under the full Hessian, sqrt(tr(ΔᵀHΔ) / tr(WᵀHW)) with Δ = W − Ŵ: the error GPTQ
    /// minimises (the diagonal of H alone, which the report uses for rounding to nearest, would not show its gain).
    /// </summary>
    public static double RelativeOutputError(float[] hessian, float[] original, float[] rounded, int k, int n)
    {
        var delta = new float[original.Length];
        TensorPrimitives.Subtract(original, rounded, delta);
        return Math.Sqrt(Quadratic(hessian, delta, k, n) / Math.Max(Quadratic(hessian, original, k, n), double.Epsilon));
    }

    /// <summary>tr(AᵀHA) for A [K, N] row-major: Σ_i A_i · (Σ_j H_ij A_j).</summary>
    private static double Quadratic(float[] hessian, float[] a, int k, int n)
    {
        var mixed = new float[n];
        double total = 0;
        for (int i = 0; i < k; i++)
        {
            mixed.AsSpan().Clear();
            for (int j = 0; j < k; j++)
            {
                float h = hessian[(long)i * k + j];
                if (h != 0) TensorPrimitives.MultiplyAdd(a.AsSpan(j * n, n), h, mixed, mixed);
            }

            total += TensorPrimitives.Dot(a.AsSpan(i * n, n), mixed);
        }

        return total;
    }

    /// <summary>In-place Cholesky factor L (lower, row-major) of a symmetric positive definite matrix; false if it is not one.</summary>
    private static bool CholeskyLower(double[] a, int k)
    {
        for (int j = 0; j < k; j++)
        {
            var rowJ = a.AsSpan(j * k, j);
            double d = a[(long)j * k + j] - TensorPrimitives.Dot<double>(rowJ, rowJ);
            if (!(d > 0)) return false;
            double pivot = Math.Sqrt(d);
            a[(long)j * k + j] = pivot;
            for (int i = j + 1; i < k; i++)
            {
                a[(long)i * k + j] = (a[(long)i * k + j] - TensorPrimitives.Dot<double>(a.AsSpan(i * k, j), rowJ)) / pivot;
            }
        }

        for (int i = 0; i < k; i++) a.AsSpan(i * k + i + 1, k - i - 1).Clear(); // the upper triangle held H
        return true;
    }

    /// <summary>(L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹ for a lower-triangular L, as a full symmetric matrix.</summary>
    private static double[] InverseOfLowerGram(double[] l, int k)
    {
        // X = L⁻¹ row by row: X_i = (e_i − Σ_{p<i} L[i,p] X_p) / L[i,i]; row p of X is zero past column p.
        var x = new double[(long)k * k];
        for (int i = 0; i < k; i++)
        {
            var xi = x.AsSpan(i * k, i + 1);
            xi[i] = 1;
            for (int p = 0; p < i; p++)
            {
                double f = l[(long)i * k + p];
                if (f != 0) TensorPrimitives.MultiplyAdd<double>(x.AsSpan(p * k, p + 1), -f, xi[..(p + 1)], xi[..(p + 1)]);
            }

            TensorPrimitives.Divide<double>(xi, l[(long)i * k + i], xi);
        }

        // H⁻¹ = Xᵀ X = Σ_i X_iᵀ X_i, each row contributing to the block it spans.
        var inverse = new double[(long)k * k];
        for (int i = 0; i < k; i++)
        {
            var xi = x.AsSpan(i * k, i + 1);
            for (int a = 0; a <= i; a++)
            {
                if (xi[a] == 0) continue;
                var target = inverse.AsSpan(a * k, i + 1);
                TensorPrimitives.MultiplyAdd<double>(xi, xi[a], target, target);
            }
        }

        return inverse;
    }

    private static double[] TransposeLower(double[] l, int k)
    {
        var u = new double[(long)k * k];
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j <= i; j++) u[(long)j * k + i] = l[(long)i * k + j];
        }

        return u;
    }
}
