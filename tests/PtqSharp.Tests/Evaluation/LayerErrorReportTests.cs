using PtqSharp.Evaluation;
using PtqSharp.Quantization;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Evaluation;

public class LayerErrorReportTests
{
    [Fact]
    public void Reports_every_quantized_activation_and_weight_with_its_consumers()
    {
        var model = TestGraphs.TwoConv();
        var data = RandomData.Samples(20, [1, 3, 16, 16], scale: 2f);
        var quantized = Quantizer.Quantize(model.Onnx(), data, new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 15, HoldOutSize = 0 }).Model;

        var report = LayerErrorReport.Compute(model.Onnx(), quantized, data, Enumerable.Range(15, 5).ToList());

        Assert.Equal(5, report.Samples);
        Assert.Equal(["conv1.w", "conv2.w"], report.Tensors.Where(t => t.Kind == "weight").Select(t => t.Tensor).Order());
        var activations = report.Tensors.Where(t => t.Kind == "activation").ToDictionary(t => t.Tensor);
        Assert.Contains("x", activations.Keys);
        Assert.Contains("relu1_out", activations.Keys);
        Assert.Contains("y", activations.Keys); // a model output keeps its name
        Assert.Equal("conv1", activations["x"].Consumers);
        Assert.All(report.Tensors, t => Assert.InRange(t.SqnrDb, 15, 80));

        // Error accumulates: the output is no better than the first layer's input.
        Assert.True(activations["y"].SqnrDb < activations["x"].SqnrDb);
        Assert.StartsWith("tensor,kind,consumers,sqnr_db,fp32_min,fp32_max,int8_min,int8_max\n", report.ToCsv());

        // Ranges: relu1_out is never negative; INT8 reaches no further than FP32 plus a step, and the input keeps its range.
        Assert.True(activations["relu1_out"].Fp32Min >= 0 && activations["relu1_out"].Fp32Max > 0);
        Assert.True(activations["relu1_out"].Int8Min >= -1e-6);
        Assert.InRange(activations["x"].Int8Max, activations["x"].Fp32Max * 0.9, activations["x"].Fp32Max * 1.1);
        Assert.All(report.Tensors.Where(t => t.Kind == "weight"), t => Assert.True(t.Fp32Min < 0 && t.Fp32Max > 0 && t.Int8Min < 0));
    }

    [Fact]
    public void An_unquantized_model_against_itself_has_nothing_to_report()
    {
        var model = TestGraphs.TwoConv();
        var report = LayerErrorReport.Compute(model, model, RandomData.Samples(2, [1, 3, 16, 16]), [0, 1]);
        Assert.Empty(report.Tensors);
    }
}
