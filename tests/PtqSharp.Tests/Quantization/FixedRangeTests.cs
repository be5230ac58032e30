using Onnx;
using PtqSharp.Hardware.Metatypes;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Quantization;

/// <summary>Activations made by ops whose outputs cannot leave a range (operators.json "output_range") take that range, not a calibrated one.</summary>
public class FixedRangeTests
{
    /// <summary>
    /// conv1 -> bounded op -> "b"; b x conv0 -> conv2 -> y: a gate on another tensor, so a Sigmoid gating its own input
    /// (swish, rewritten as one op) does not hide it. Small inputs keep every calibrated range narrow.
    /// </summary>
    private static ModelProto Model(Action<GraphBuilder, string> bounded)
    {
        var b = new GraphBuilder().Input("x", 1, 3, 8, 8).Output("y", 1, 4, 8, 8);
        var c0 = b.Conv("conv0", "x", 3, 4);
        var c1 = b.Conv("conv1", "x", 3, 4);
        bounded(b, c1);
        b.Node("Mul", "gate", [c0, "b"], ["m"]);
        b.Conv("conv2", "m", 4, 4);
        var model = b.Build();
        model.Graph.Node.Last().Output[0] = "y";
        return model;
    }

    /// <summary>The scale and zero point of the quantizer that reads <paramref name="tensor"/> in the written model.</summary>
    private static (float Scale, int ZeroPoint) QuantizerOf(ModelProto model, string tensor)
    {
        var index = new GraphIndex(model.Graph);
        var q = model.Graph.Node.Single(n => n.OpType == "QuantizeLinear" && n.Input[0] == tensor);
        return (TensorData.ToFloats(index.Initializer(q.Input[1])!)[0], index.Initializer(q.Input[2])!.RawData[0]);
    }

    private static ModelProto Quantize(ModelProto model) =>
        Quantizer.Quantize(model.Onnx(), RandomData.Samples(30, [1, 3, 8, 8], scale: 0.05f), new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 30, HoldOutSize = 0 }).Model.Proto;

    [Fact]
    public void A_sigmoid_output_is_quantized_over_zero_to_one_whatever_calibration_saw()
    {
        var written = Quantize(Model((b, c) => b.Node("Sigmoid", "sigmoid", [c], ["b"])));
        var (scale, zeroPoint) = QuantizerOf(written, "b");
        Assert.Equal(1f / 255, scale, 1e-7f);
        Assert.Equal(0, zeroPoint);
    }

    [Fact]
    public void A_clip_between_constant_bounds_is_calibrated_as_its_range_can_be_far_narrower()
    {
        var bounded = Quantize(Model((b, c) => b.Node("Clip", "relu6", [c, b.Initializer("lo", [], [0f]), b.Initializer("hi", [], [6f])], ["b"])));
        Assert.InRange(QuantizerOf(bounded, "b").Scale, 1e-6f, 2f / 255); // calibrated, well below 6 / 255
    }

    [Fact]
    public void The_table_gives_fixed_ranges_and_refuses_bad_ones_by_key_path()
    {
        var sigmoid = OperatorMetatypes.For(new NodeProto { OpType = "Sigmoid" });
        Assert.Equal((0f, 1f), sigmoid.OutputRange);
        Assert.Equal((-1f, 1f), OperatorMetatypes.For(new NodeProto { OpType = "Tanh" }).OutputRange);
        Assert.Null(OperatorMetatypes.For(new NodeProto { OpType = "Clip" }).OutputRange);
        Assert.Null(OperatorMetatypes.For(new NodeProto { OpType = "Relu" }).OutputRange);

        foreach (var (json, problem) in new[] { ("[1]", "two numbers"), ("\"bounds\"", "two numbers"), ("[2, 1]", "min below max") })
        {
            var e = Assert.Throws<PtqException>(() => OperatorMetatypes.Parse(new MemoryStream(System.Text.Encoding.UTF8.GetBytes($"{{ \"Tanh\": {{ \"output_range\": {json} }} }}")), "test.json"));
            Assert.Contains("'Tanh.output_range'", e.Message);
            Assert.Contains(problem, e.Message);
        }
    }
}
