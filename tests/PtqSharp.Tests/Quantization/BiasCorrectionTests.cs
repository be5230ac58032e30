using PtqSharp.Onnx;
using PtqSharp.Execution;
using Onnx;
using PtqSharp.Quantization;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Quantization;

public class BiasCorrectionTests
{
    /// <summary>A 1x1 Conv (no padding, so the correction is exact) on inputs with a large positive mean.</summary>
    private static ModelProto PointwiseConv()
    {
        var b = new GraphBuilder().Input("x", 1, 8, 6, 6).Output("y", 1, 4, 6, 6);
        var w = b.Weight("w", 4, 8, 1, 1);
        var bias = b.Initializer("bias", [4], [0.5f, -0.5f, 0.25f, 1f]);
        b.Node("Conv", "conv", ["x", w, bias], ["y"]);
        return b.Build();
    }

    /// <summary>Mean over held-out samples and positions of the INT8 - FP32 output, per channel.</summary>
    private static double[] MeanError(ModelProto fp32, ModelProto int8, PtqSharp.Data.Dataset data)
    {
        using var a = new ModelSession(fp32);
        using var b = new ModelSession(int8);
        var sum = new double[4];
        for (int i = 30; i < 40; i++)
        {
            var x = a.Run(data.Get(i))[0]!;
            var y = b.Run(data.Get(i))[0]!;
            for (int j = 0; j < x.Length; j++) sum[j / 36] += y[j] - x[j];
        }

        return sum.Select(s => s / (10 * 36)).ToArray();
    }

    [Theory]
    [InlineData(BiasCorrectionMode.Fast)]
    [InlineData(BiasCorrectionMode.Full)]
    public void Bias_correction_removes_most_of_the_mean_output_shift_of_weight_rounding(BiasCorrectionMode mode)
    {
        // What remains comes from activation rounding and clipping, which bias correction does not address.
        var model = PointwiseConv();
        var data = RandomData.Samples(40, [1, 8, 6, 6], scale: 4f, positive: true);
        ModelProto Quantize(BiasCorrectionMode mode, out QuantizationReport report)
        {
            // 7-bit weights everywhere make the rounding error, and so the shift, large.
            var result = Quantizer.Quantize(model.Onnx(), data, new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 30, HoldOutSize = 0, BiasCorrection = mode, OverflowFix = OverflowFix.All, TargetDevice = PtqSharp.Hardware.TargetDevice.Cpu });
            report = result.Report;
            return result.Model.Proto;
        }

        var plain = MeanError(model, Quantize(BiasCorrectionMode.None, out var noneReport), data);
        var corrected = MeanError(model, Quantize(mode, out var fastReport), data);

        Assert.Equal(0, noneReport.BiasesCorrected);
        Assert.Equal(1, fastReport.BiasesCorrected);
        double before = plain.Sum(Math.Abs), after = corrected.Sum(Math.Abs);
        Assert.True(after < before / 2, $"mean shift per channel before {string.Join(", ", plain.Select(v => v.ToString("0.0000")))}, after {string.Join(", ", corrected.Select(v => v.ToString("0.0000")))}");
    }

    [Fact]
    public void Full_bias_correction_piece_by_piece_sets_the_biases_that_running_every_layers_inputs_again_sets()
    {
        // Three padded convolutions and a residual add: the piece for conv3 reads relu1's output kept from conv2's piece.
        var b = new GraphBuilder().Input("x", 1, 4, 8, 8).Output("y", 1, 4, 8, 8);
        var r = b.Relu("relu1", b.Conv("conv1", "x", 4, 4));
        var c2 = b.Relu("relu2", b.Conv("conv2", r, 4, 4));
        b.Node("Add", "add", [r, c2], ["sum"]);
        b.Node("Conv", "conv3", ["sum", b.Weight("c3.w", 4, 4, 3, 3), b.Weight("c3.b", 4)], ["y"], n => { n.SetInts("pads", [1, 1, 1, 1]); n.SetInts("kernel_shape", [3, 3]); });
        var model = b.Build().Onnx();
        var data = RandomData.Samples(20, [1, 4, 8, 8], scale: 3f, positive: true);
        var options = new QuantizationOptions { LatencyAware = Structural.LatencyOff, HoldOutSize = 0, BiasCorrection = BiasCorrectionMode.Full, OverflowFix = OverflowFix.All, TargetDevice = PtqSharp.Hardware.TargetDevice.Cpu };
        static Dictionary<string, int[]> Biases(ModelProto m) => m.Graph.Initializer.Where(i => i.DataType == PtqSharp.Onnx.TensorData.Int32 && i.Name.EndsWith("_quantized", StringComparison.Ordinal))
            .ToDictionary(i => i.Name, i => PtqSharp.Onnx.TensorData.IntegersToFloats(i).Select(v => (int)v).ToArray());

        var piecewise = Quantizer.Quantize(model, data, options);
        long limit = PtqSharp.Quantization.Steps.BiasCorrectionStep.KeptBytesLimit;
        QuantizationResult rerun;
        try
        {
            PtqSharp.Quantization.Steps.BiasCorrectionStep.KeptBytesLimit = 0;
            rerun = Quantizer.Quantize(model, data, options);
        }
        finally
        {
            PtqSharp.Quantization.Steps.BiasCorrectionStep.KeptBytesLimit = limit;
        }

        Assert.Equal(3, piecewise.Report.BiasesCorrected);
        var expected = Biases(rerun.Model.Proto);
        Assert.Equal(3, expected.Count);
        foreach (var (name, values) in Biases(piecewise.Model.Proto)) Assert.Equal(expected[name], values);
    }
}
