using PtqSharp.Data;
using PtqSharp.Onnx;
using PtqSharp.Quantization;

namespace PtqSharp.Tests.Quantization;

/// <summary>
/// AVX2 without VNNI multiplies u8 activations by s8 weights and adds adjacent pairs in int16
/// (VPMADDUBSW), saturating when both are near full range: 2 x 255 x 127 = 64,770 does not fit, 2 x 255
/// x 64 = 32,640 does. ONNX Runtime 1.31.1 on this project's AVX2 machine was exact even without the
/// fix, so a kernel cannot be the reference; this test emulates that int16 pair accumulation on the
/// integers the written model holds, for a worst-case layer, and compares it with exact int32 sums.
/// </summary>
public class OverflowFixTests
{
    /// <summary>A Gemm whose weights are all +0.5 (int8 +127 unfixed), fed inputs that are mostly +1 (raw uint8 255).</summary>
    private static (sbyte[] Weights, byte[] Input, int K, int N) QuantizedWorstCase(OverflowFix fix)
    {
        const int k = 64, n = 8;
        var b = new GraphBuilder().Input("x", 1, k).Output("y", 1, n);
        var w = b.Initializer("w", [k, n], Enumerable.Repeat(0.5f, k * n).ToArray());
        b.Node("Gemm", "fc", ["x", w], ["y"]);
        var random = new Random(9);
        var samples = Enumerable.Range(0, 12).Select(_ => new SampleTensor(Enumerable.Range(0, k).Select(_ => random.NextDouble() < 0.9 ? 1f : -1f).ToArray(), [1, k])).ToList();
        var model = Quantizer.Quantize(b.Build().Onnx(), Dataset.FromTensors(samples), new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 10, HoldOutSize = 0, OverflowFix = fix }).Model.Proto;

        // The integers the kernel sees: the int8 weight initializer, and a probe of +1s quantized with the input's scale and zero point.
        var g = model.Graph;
        var gemm = g.Node.Single(n => n.OpType == "Gemm");
        var weightDq = g.Node.Single(n => n.Output[0] == gemm.Input[1]);
        var inputDq = g.Node.Single(n => n.Output[0] == gemm.Input[0]);
        var weights = g.Initializer.Single(i => i.Name == weightDq.Input[0]).RawData.Select(v => (sbyte)v).ToArray();
        float scale = TensorData.ToFloats(g.Initializer.Single(i => i.Name == inputDq.Input[1]))[0];
        int zeroPoint = g.Initializer.Single(i => i.Name == inputDq.Input[2]).RawData[0];
        var input = Enumerable.Repeat((byte)Math.Clamp(Math.Round(1f / scale) + zeroPoint, 0, 255), k).ToArray();
        return (weights, input, k, n);
    }

    /// <summary>Output n as VPMADDUBSW computes it: each pair of u8 x s8 products summed and saturated to int16, then summed in int32.</summary>
    private static int PairwiseInt16(sbyte[] w, byte[] a, int k, int n, int column)
    {
        int sum = 0;
        for (int i = 0; i < k; i += 2)
        {
            int pair = a[i] * w[i * n + column] + a[i + 1] * w[(i + 1) * n + column];
            sum += Math.Clamp(pair, short.MinValue, short.MaxValue);
        }

        return sum;
    }

    private static int Exact(sbyte[] w, byte[] a, int k, int n, int column) =>
        Enumerable.Range(0, k).Sum(i => a[i] * w[i * n + column]);

    [Theory]
    [InlineData(OverflowFix.FirstLayer)] // the Gemm is the first layer
    [InlineData(OverflowFix.All)]
    public void With_the_fix_no_pair_saturates_on_the_worst_case_layer(OverflowFix fix)
    {
        var (w, a, k, n) = QuantizedWorstCase(fix);
        Assert.True(a.Min() >= 250, "inputs at the top of the uint8 range");
        Assert.Equal(64, w.Max(v => Math.Abs((int)v)));
        for (int c = 0; c < n; c++) Assert.Equal(Exact(w, a, k, n, c), PairwiseInt16(w, a, k, n, c));
    }

    [Fact]
    public void Without_the_fix_the_same_layer_saturates()
    {
        var (w, a, k, n) = QuantizedWorstCase(OverflowFix.None);
        Assert.Equal(127, w.Max(v => Math.Abs((int)v)));
        Assert.True(PairwiseInt16(w, a, k, n, 0) < Exact(w, a, k, n, 0), "2 x 255 x 127 must exceed int16 and clip");
    }
}
