using Onnx;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Quantization;

public class FloatFallbackTests
{
    private static readonly Dataset Data = RandomData.Samples(30, [1, 3, 16, 16], scale: 2f);

    private static CalibratedModel Calibrate(ModelProto model) =>
        DefaultQuantization.Calibrate(model, Data, new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 20, HoldOutSize = 0 }, [QuantizationPreset.Performance], null, default);

    private static NodeProto Producer(ModelProto m, string tensor) => m.Graph.Node.Single(n => n.Output.Contains(tensor));

    [Fact]
    public void A_reverted_conv_reads_float_inputs_and_leaves_no_dead_quantizers()
    {
        var calibrated = Calibrate(TestGraphs.TwoConv());
        var conv2 = calibrated.Ops.Single(o => o.Node.Name == "conv2").Node;
        var (model, plan) = calibrated.Build(QuantizationPreset.Performance, [conv2]);

        var node = model.Graph.Node.Single(n => n.Name == "conv2");
        Assert.Equal("MaxPool", Producer(model, node.Input[0]).OpType);
        Assert.Equal("Relu", Producer(model, Producer(model, node.Input[0]).Input[0]).OpType); // the pool too reads float
        Assert.Contains(model.Graph.Initializer, i => i.Name == node.Input[1] && i.DataType == TensorData.Float);
        Assert.Equal("Relu", Producer(model, "y").OpType); // no quantizer left on the reverted op's output

        var consumed = model.Graph.Node.SelectMany(n => n.Input).Concat(model.Graph.Output.Select(o => o.Name)).ToHashSet();
        Assert.All(model.Graph.Node.Where(n => n.OpType is "QuantizeLinear" or "DequantizeLinear"), n => Assert.Contains(n.Output[0], consumed));
        Assert.Equal("DequantizeLinear", Producer(model, model.Graph.Node.Single(n => n.Name == "conv1").Input[0]).OpType);
        Assert.Contains(plan.Skipped, s => s.Node.Name == "conv2" && s.Reason == FloatFallback.Reason);
        Assert.Single(plan.Ops);
    }

    [Fact]
    public void Reverting_every_op_gives_the_float_model_back()
    {
        var original = TestGraphs.TwoConv();
        var calibrated = Calibrate(original);
        var (model, _) = calibrated.Build(QuantizationPreset.Performance, calibrated.Ops.Select(o => o.Node).ToList());

        Assert.DoesNotContain(model.Graph.Node, n => n.OpType is "QuantizeLinear" or "DequantizeLinear");
        var agreement = ModelComparison.Agreement(original, model, Data, Enumerable.Range(0, 10).ToList());
        Assert.True(agreement.SqnrDb > 100, $"SQNR {agreement.SqnrDb} dB");
    }

    [Fact]
    public void A_reverted_op_reading_a_quantized_model_output_reads_its_float_value()
    {
        var source = TestGraphs.OutputFeedingConv(channels: 3, size: 16);

        var calibrated = Calibrate(source);
        var (model, _) = calibrated.Build(QuantizationPreset.Performance, [calibrated.Ops.Single(o => o.Node.Name == "conv2").Node]);

        var conv2 = model.Graph.Node.Single(n => n.Name == "conv2");
        Assert.Equal("conv1", Producer(model, conv2.Input[0]).Name);
        Assert.Equal("DequantizeLinear", Producer(model, "mid").OpType); // the model output is unchanged
    }
}
