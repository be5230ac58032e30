using PtqSharp.Quantization.WeightCompression;

namespace PtqSharp.Tests.Quantization;

public class GptqTests
{
    /// <summary>X [tokens, K] with correlated features (each a mix of a few shared factors), as layer inputs are.</summary>
    private static float[] Inputs(int tokens, int k, Random r)
    {
        var factors = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, k).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var x = new float[tokens * k];
        for (int t = 0; t < tokens; t++)
        {
            var mix = factors.Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
            for (int i = 0; i < k; i++) x[t * k + i] = mix.Select((m, f) => m * factors[f][i]).Sum() + 0.05f * (float)(r.NextDouble() - 0.5);
        }

        return x;
    }

    /// <summary>XᵀX of X [tokens, K] row-major.</summary>
    internal static float[] Hessian(float[] x, int tokens, int k)
    {
        var h = new float[k * k];
        for (int t = 0; t < tokens; t++)
        {
            for (int i = 0; i < k; i++)
            {
                for (int j = 0; j < k; j++) h[i * k + j] += x[t * k + i] * x[t * k + j];
            }
        }

        return h;
    }

    [Fact]
    public void The_factor_it_rounds_with_is_the_upper_cholesky_factor_of_the_inverse_hessian()
    {
        var r = new Random(3);
        int k = 24;
        var h = Hessian(Inputs(200, k, r), 200, k);
        var u = Gptq.InverseCholeskyUpper(h, k, out var dead)!;
        Assert.DoesNotContain(true, dead);

        // (H + λI) · UᵀU = I, with λ the 1 % dampening of the mean diagonal.
        double damp = 0.01 * Enumerable.Range(0, k).Average(i => (double)h[i * k + i]);
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++)
            {
                double sum = 0;
                for (int m = 0; m < k; m++)
                {
                    double inverse = 0;
                    for (int p = 0; p < k; p++) inverse += u[p * k + m] * u[p * k + j];
                    sum += (h[i * k + m] + (i == m ? damp : 0)) * inverse;
                }

                Assert.Equal(i == j ? 1 : 0, sum, 1e-6);
                if (j < i) Assert.Equal(0, u[i * k + j]); // upper triangular
            }
        }
    }

    [Fact]
    public void It_rounds_to_a_lower_output_error_than_rounding_to_nearest_with_the_same_groups()
    {
        var r = new Random(5);
        int tokens = 300, k = 64, n = 16, block = 16, bits = 4;
        var x = Inputs(tokens, k, r);
        var h = Hessian(x, tokens, k);
        var w = Enumerable.Range(0, k * n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        (float, int) Parameters(ReadOnlySpan<float> group, int firstRow, int column) => BlockQuantizer.Quantize(group, bits, symmetric: false, new int[group.Length], default);

        // Rounding to nearest: each group's own codes.
        var nearest = new float[w.Length];
        var column = new float[block];
        var codes = new int[block];
        for (int col = 0; col < n; col++)
        {
            for (int b = 0; b < k / block; b++)
            {
                for (int j = 0; j < block; j++) column[j] = w[(b * block + j) * n + col];
                var (scale, zero) = BlockQuantizer.Quantize(column, bits, symmetric: false, codes, default);
                for (int j = 0; j < block; j++) nearest[(b * block + j) * n + col] = (codes[j] - zero) * scale;
            }
        }

        var u = Gptq.InverseCholeskyUpper(h, k, out var dead)!;
        var gptqCodes = new byte[k * n];
        var (scales, zeros) = Gptq.Round((float[])w.Clone(), k, n, u, dead, block, (1 << bits) - 1, Parameters, gptqCodes);
        var gptq = new float[w.Length];
        for (int row = 0; row < k; row++)
        {
            for (int col = 0; col < n; col++) gptq[row * n + col] = (gptqCodes[row * n + col] - zeros[col * (k / block) + row / block]) * scales[col * (k / block) + row / block];
        }

        double rtnError = Gptq.RelativeOutputError(h, w, nearest, k, n), gptqError = Gptq.RelativeOutputError(h, w, gptq, k, n);
        Assert.True(gptqError < 0.8 * rtnError, $"GPTQ {gptqError:0.0000} vs nearest {rtnError:0.0000}");
    }

    [Fact]
    public void Gptq_without_calibration_data_is_refused()
    {
        var model = PtqSharp.Onnx.OnnxModel.Load(TestPaths.SampleModel);
        var e = Assert.Throws<PtqException>(() => WeightCompressor.Compress(model, new WeightCompressionOptions { Mode = WeightCompressionMode.Int4Asymmetric, Gptq = true }));
        Assert.Contains("calibration data", e.Message);
    }
}
