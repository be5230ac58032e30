using System.Runtime.InteropServices;
using Onnx;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Quantization;

public class QdqWriterTests
{
    private static QuantizationResult Quantize(ModelProto model, QuantizationOptions? options = null) =>
        Quantizer.Quantize(model.Onnx(), RandomData.Samples(40, [1, 3, 16, 16], scale: 2f), options ?? new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 30, HoldOutSize = 10 });

    private static sbyte[] Int8(TensorProto t) => MemoryMarshal.Cast<byte, sbyte>(t.RawData.Span).ToArray();

    [Fact]
    public void Writes_int8_per_channel_weights_int32_bias_and_uint8_activations()
    {
        var model = Quantize(TestGraphs.TwoConv()).Model.Proto;
        var g = model.Graph;
        var inits = g.Initializer.ToDictionary(i => i.Name);

        var conv2 = g.Node.Single(n => n.Name == "conv2");
        var weightDq = g.Node.Single(n => n.Output[0] == conv2.Input[1]);
        Assert.Equal("DequantizeLinear", weightDq.OpType);
        Assert.Equal(0, weightDq.GetInt("axis", -1));
        Assert.Equal(TensorData.Int8, inits[weightDq.Input[0]].DataType);
        Assert.Equal([8L], inits[weightDq.Input[1]].Dims);
        Assert.All(Int8(inits[weightDq.Input[0]]), v => Assert.InRange(v, -127, 127));

        var biasDq = g.Node.Single(n => n.Output[0] == conv2.Input[2]);
        Assert.Equal(TensorData.Int32, inits[biasDq.Input[0]].DataType);

        var actDq = g.Node.Single(n => n.Output[0] == conv2.Input[0]);
        Assert.Equal(TensorData.UInt8, inits[actDq.Input[2]].DataType);

        // Bias scale = input scale x weight scale, channel by channel.
        float inScale = TensorData.ToFloats(inits[actDq.Input[1]])[0];
        var wScale = TensorData.ToFloats(inits[weightDq.Input[1]]);
        var bScale = TensorData.ToFloats(inits[biasDq.Input[1]]);
        for (int c = 0; c < 8; c++) Assert.Equal(inScale * wScale[c], bScale[c], 1e-9f);

        // MaxPool in and out share one quantizer, so the runtime can drop the pair around it.
        var pool = g.Node.Single(n => n.Name == "pool");
        var poolInDq = g.Node.Single(n => n.Output[0] == pool.Input[0]);
        Assert.Equal(TensorData.ToFloats(inits[poolInDq.Input[1]]), TensorData.ToFloats(inits[actDq.Input[1]]));
        Assert.Equal(inits[poolInDq.Input[2]].RawData, inits[actDq.Input[2]].RawData);
    }

    [Fact]
    public void Graph_output_keeps_its_name_and_the_input_model_is_untouched()
    {
        var original = TestGraphs.TwoConv();
        var before = original.Clone();
        var model = Quantize(original).Model.Proto;
        Assert.Equal(before, original);
        Assert.Equal("y", model.Graph.Output.Single().Name);
        Assert.Equal("DequantizeLinear", model.Graph.Node.Single(n => n.Output.Contains("y")).OpType);
    }

    [Fact]
    public void Overflow_fix_narrows_only_the_first_layer_by_default_and_every_layer_with_all()
    {
        int MaxAbs(ModelProto m, string conv)
        {
            var node = m.Graph.Node.Single(n => n.Name == conv);
            var dq = m.Graph.Node.Single(n => n.Output[0] == node.Input[1]);
            return Int8(m.Graph.Initializer.Single(i => i.Name == dq.Input[0])).Max(v => Math.Abs((int)v));
        }

        var first = Quantize(TestGraphs.TwoConv()).Model.Proto;
        Assert.Equal(64, MaxAbs(first, "conv1"));
        Assert.Equal(127, MaxAbs(first, "conv2"));

        var all = Quantize(TestGraphs.TwoConv(), new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 30, HoldOutSize = 10, OverflowFix = OverflowFix.All }).Model.Proto;
        Assert.Equal(64, MaxAbs(all, "conv2"));

        var none = Quantize(TestGraphs.TwoConv(), new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 30, HoldOutSize = 10, OverflowFix = OverflowFix.None }).Model.Proto;
        Assert.Equal(127, MaxAbs(none, "conv1"));
    }

    [Theory]
    [InlineData(QuantizationPreset.Performance)]
    [InlineData(QuantizationPreset.Mixed)]
    public void Quantized_convs_run_as_fused_integer_kernels_and_track_the_float_model(QuantizationPreset preset)
    {
        var result = Quantize(TestGraphs.TwoConv(), new QuantizationOptions { LatencyAware = Structural.LatencyOff, Preset = preset, SubsetSize = 30, HoldOutSize = 10 });
        Assert.Equal(2, result.Report.Kernels.Count("QLinearConv"));
        Assert.Equal(0, result.Report.Kernels.FloatComputeCount);
        Assert.NotNull(result.Report.HoldOutAgreement);
        Assert.True(result.Report.HoldOutAgreement!.MeanCosine > 0.99, $"cosine {result.Report.HoldOutAgreement.MeanCosine}");
        Assert.Equal(10, result.Report.HoldOutAgreement.Samples);
    }

    [Fact]
    public void Mixed_preset_gives_asymmetric_zero_points()
    {
        var model = Quantize(TestGraphs.TwoConv(), new QuantizationOptions { LatencyAware = Structural.LatencyOff, Preset = QuantizationPreset.Mixed, SubsetSize = 30, HoldOutSize = 0 }).Model.Proto;
        var conv1 = model.Graph.Node.Single(n => n.Name == "conv1");
        var dq = model.Graph.Node.Single(n => n.Output[0] == conv1.Input[0]);
        var zp = model.Graph.Initializer.Single(i => i.Name == dq.Input[2]).RawData[0];
        Assert.NotEqual(128, zp); // inputs uniform in [-2, 2] but the averaged min/max are not exactly symmetric
        Assert.InRange(zp, 100, 156);
    }

    [Fact]
    public void Same_seed_gives_the_same_model_and_another_seed_a_different_subset()
    {
        var options = new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 10, HoldOutSize = 0, Seed = 7 };
        var a = Quantize(TestGraphs.TwoConv(), options).Model.Proto;
        var b = Quantize(TestGraphs.TwoConv(), options).Model.Proto;
        var c = Quantize(TestGraphs.TwoConv(), options with { Seed = 8 }).Model.Proto;
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }
}

public class ConstantNodeWeightTests
{
    [Fact]
    public void Weights_given_as_Constant_nodes_are_quantized_like_initializers()
    {
        var b = new GraphBuilder().Input("x", 1, 3, 8, 8).Output("y", 1, 4, 8, 8);
        var w = b.Weight("w_values", 4, 3, 3, 3);
        var model = b.Build();
        var tensor = model.Graph.Initializer.Single(i => i.Name == w);
        model.Graph.Initializer.Clear();
        var constant = new NodeProto { OpType = "Constant", Name = "w_const", Output = { "w" } };
        constant.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = tensor });
        model.Graph.Node.Add(constant);
        var conv = new NodeProto { OpType = "Conv", Name = "conv", Input = { "x", "w" }, Output = { "y" } };
        conv.SetInts("pads", [1, 1, 1, 1]);
        model.Graph.Node.Add(conv);

        var result = Quantizer.Quantize(model.Onnx(), RandomData.Samples(20, [1, 3, 8, 8]), new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 15, HoldOutSize = 5 });
        Assert.Equal(1, result.Report.QuantizedOps);
        Assert.Contains(result.Model.Proto.Graph.Initializer, i => i.DataType == TensorData.Int8);
        Assert.Equal(1, result.Report.Kernels.Count("QLinearConv"));
    }
}

public class GraphOutputQuantizationTests
{
    [Fact]
    public void A_graph_output_that_also_feeds_another_quantized_op_keeps_both_fused()
    {
        // conv1's output is a model output and conv2's input.
        var model = TestGraphs.OutputFeedingConv(channels: 2, size: 6);

        var result = Quantizer.Quantize(model.Onnx(), RandomData.Samples(20, [1, 2, 6, 6]), new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 15, HoldOutSize = 5 });
        Assert.Equal(["mid", "y"], result.Model.Proto.Graph.Output.Select(o => o.Name));
        Assert.Equal(2, result.Report.Kernels.Count("QLinearConv"));
    }

    [Fact]
    public void A_written_model_imports_only_the_opsets_it_uses_and_names_PtqSharp_as_its_producer()
    {
        var model = PtqSharp.Onnx.OnnxModel.Load(TestPaths.SampleModel);
        var data = PtqSharp.Data.ImageFolderDataset.Unlabeled(Path.Combine(TestPaths.Sample, "calibration"),
            new PtqSharp.Data.ImagePreprocessing { Width = 28, Height = 28, Channels = 1, Mean = [72.9f], Scale = [90f] });
        var written = Quantizer.Quantize(model, data, new QuantizationOptions { SubsetSize = 20, HoldOutSize = 0, LatencyAware = Structural.LatencyOff }).Model.Proto;

        Assert.Equal([("", 13L)], written.OpsetImport.Select(o => (o.Domain, o.Version))); // ONNX Runtime's optimizer had added eight more
        Assert.Equal("PtqSharp", written.ProducerName);
        Assert.Equal(typeof(Quantizer).Assembly.GetName().Version!.ToString(3), written.ProducerVersion);
        Assert.Equal("pytorch 1.13.0", written.MetadataProps.Single(p => p.Key == "ptq.source_producer").Value);
    }
}
