using Onnx;
using PtqSharp.Data;
using PtqSharp.Execution;
using PtqSharp.Hardware;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using PtqSharp.Quantization.Rewrites;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Quantization;

public class GraphRewriteTests
{
    private static float[] Run(ModelProto model, Sample sample)
    {
        using var session = new ModelSession(model);
        return session.Run(sample)[0]!;
    }

    private static Sample Input(long[] shape, int seed = 3) => RandomData.Samples(1, shape, scale: 2f, seed: seed).Get(0);

    /// <summary>Applies <paramref name="rewrite"/> to a copy and checks the copy computes what the original does.</summary>
    private static (ModelProto Rewritten, int Count) ApplyAndCompare(ModelProto model, GraphRewrite rewrite, long[] inputShape, IgnoredScope? ignored = null)
    {
        var copy = model.Clone();
        var editor = new GraphEditor(copy, ignored is null ? null : IgnoredScopeMatcher.Create(ignored, copy.Graph));
        int count = rewrite.Apply(editor);
        editor.Normalize();
        var sample = Input(inputShape);
        var expected = Run(model, sample);
        var actual = Run(copy, sample);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-4f);
        return (copy, count);
    }

    /// <summary>conv -> Mul(per-channel scale) -> Add(per-channel shift) -> Relu, input [1, 3, 8, 8].</summary>
    private static ModelProto ConvScaleShift(long[] scaleShape)
    {
        var b = new GraphBuilder().Input("x", 1, 3, 8, 8).Output("y", 1, 4, 8, 8);
        var c = b.Conv("conv", "x", 3, 4);
        var scale = b.Initializer("scale", scaleShape, [0.5f, -2f, 3f, 0.25f]);
        var shift = b.Initializer("shift", [4, 1, 1], [1f, -1f, 0.5f, 2f]);
        b.Node("Mul", "affine_mul", [c, scale], ["scaled"]);
        b.Node("Add", "affine_add", ["scaled", shift], ["shifted"]);
        b.Relu("relu", "shifted");
        var model = b.Build();
        model.Graph.Node.Last().Output[0] = "y";
        return model;
    }

    [Fact]
    public void A_channel_scale_and_shift_after_a_conv_fold_into_its_weights_and_bias()
    {
        var (model, count) = ApplyAndCompare(ConvScaleShift([1, 4, 1, 1]), new AffineIntoWeights(), [1, 3, 8, 8]);
        Assert.Equal(2, count);
        Assert.Equal(["Conv", "Relu"], model.Graph.Node.Select(n => n.OpType));
        Assert.Equal("shifted", model.Graph.Node[0].Output[0]);
    }

    [Fact]
    public void A_constant_that_varies_along_another_axis_is_not_a_channel_scale_and_stays()
    {
        var b = new GraphBuilder().Input("x", 1, 3, 4, 4).Output("y", 1, 4, 4, 4);
        var c = b.Conv("conv", "x", 3, 4);
        var rowScale = b.Initializer("rows", [4, 1], [1f, 2f, 3f, 4f]); // varies along height, not channels
        b.Node("Mul", "mul", [c, rowScale], ["y"]);
        var (model, count) = ApplyAndCompare(b.Build(), new AffineIntoWeights(), [1, 3, 4, 4]);
        Assert.Equal(0, count);
        Assert.Equal(["Conv", "Mul"], model.Graph.Node.Select(n => n.OpType));
    }

    [Fact]
    public void An_unfolded_batch_normalization_after_a_conv_folds_into_it()
    {
        var b = new GraphBuilder().Input("x", 1, 3, 8, 8).Output("y", 1, 4, 8, 8);
        var c = b.Conv("conv", "x", 3, 4);
        string[] bn = [b.Initializer("gamma", [4], [1f, 2f, 0.5f, -1f]), b.Initializer("beta", [4], [0f, 1f, -1f, 0.5f]),
            b.Initializer("mean", [4], [0.1f, -0.2f, 0.3f, 0f]), b.Initializer("var", [4], [1f, 0.5f, 2f, 0.1f])];
        b.Node("BatchNormalization", "bn", [c, .. bn], ["y"], n => n.SetFloat("epsilon", 1e-3f));
        var (model, count) = ApplyAndCompare(b.Build(), new AffineIntoWeights(), [1, 3, 8, 8]);
        Assert.Equal(1, count);
        Assert.Equal("Conv", Assert.Single(model.Graph.Node).OpType);
    }

    [Fact]
    public void Ignored_nodes_are_not_rewritten()
    {
        var (model, count) = ApplyAndCompare(ConvScaleShift([4, 1, 1]), new AffineIntoWeights(), [1, 3, 8, 8], new IgnoredScope { Names = ["affine_mul"] });
        Assert.Equal(0, count);
        Assert.Equal(4, model.Graph.Node.Count);
    }

    /// <summary>
    /// x -> Mul(scale) -> Add(shift) -> an unpadded grouped 1x1 Conv (2 groups), and the same affine block before
    /// a padded 3x3 Conv: the learnable affine block of PaddleOCR's backbones, read from the consumer's side.
    /// </summary>
    private static ModelProto AffineBeforeWeights(long[] scaleShape)
    {
        var b = new GraphBuilder().Input("x", 1, 4, 6, 6).Output("y", 1, 6, 6, 6).Output("z", 1, 4, 6, 6);
        void Affine(string prefix, string input, string output)
        {
            b.Node("Mul", prefix + "_mul", [input, b.Initializer(prefix + "_scale", scaleShape, [0.5f, -2f, 3f, 0.25f])], [prefix + "_scaled"]);
            b.Node("Add", prefix + "_add", [prefix + "_scaled", b.Initializer(prefix + "_shift", [1, 4, 1, 1], [1f, -1f, 0.5f, 2f])], [output]);
        }

        Affine("a", "x", "a_out");
        b.Node("Conv", "pointwise", ["a_out", b.Weight("pw.w", 6, 2, 1, 1), b.Weight("pw.b", 6)], ["y"], n => { n.SetInts("kernel_shape", [1, 1]); n.SetInt("group", 2); });
        Affine("b", "x", "b_out");
        var padded = b.Conv("padded", "b_out", 4, 4);
        b.Node("Relu", "relu", [padded], ["z"]);
        return b.Build();
    }

    [Fact]
    public void A_channel_scale_and_shift_before_an_unpadded_conv_fold_into_its_weights_and_bias()
    {
        var model = AffineBeforeWeights([1, 4, 1, 1]);
        var (rewritten, count) = ApplyAndCompare(model, new AffineIntoNextWeights(), [1, 4, 6, 6]);
        // Both ops fold into the pointwise conv; before the padded one the shift stays (a zero-padded border would read
        // it), and with it the scale it hides.
        Assert.Equal(2, count);
        Assert.Equal(["Conv", "Mul", "Add", "Conv", "Relu"], rewritten.Graph.Node.Select(n => n.OpType));
        Assert.Equal("x", rewritten.Graph.Node.Single(n => n.Name == "pointwise").Input[0]);
    }

    [Fact]
    public void A_scale_alone_folds_into_a_padded_conv_and_a_gemm_takes_both()
    {
        var b = new GraphBuilder().Input("x", 1, 4, 6, 6).Output("y", 1, 4, 6, 6).Output("z", 2, 3);
        b.Node("Mul", "scale", ["x", b.Initializer("s", [4, 1, 1], [0.5f, -2f, 3f, 0.25f])], ["scaled"]);
        b.Node("Conv", "padded", ["scaled", b.Weight("c.w", 4, 4, 3, 3), b.Weight("c.b", 4)], ["y"], n => { n.SetInts("kernel_shape", [3, 3]); n.SetInts("pads", [1, 1, 1, 1]); });
        b.Node("Add", "shift", ["v", b.Initializer("t", [4], [1f, -1f, 0.5f, 2f])], ["shifted"]);
        b.Node("Gemm", "gemm", ["shifted", b.Weight("g.w", 4, 3), b.Weight("g.b", 3)], ["z"]);
        var model = b.Build();
        model.Graph.Input.Add(GraphBuilder.ValueInfo("v", TensorData.Float, [2, 4]));
        var copy = model.Clone();
        var editor = new GraphEditor(copy);
        Assert.Equal(2, new AffineIntoNextWeights().Apply(editor));
        editor.Normalize();
        Assert.Equal(["Conv", "Gemm"], copy.Graph.Node.Select(n => n.OpType).Order());
        var sample = new Sample(new Dictionary<string, SampleTensor>
        {
            ["x"] = Input([1, 4, 6, 6]).Inputs.Values.Single(),
            ["v"] = Input([2, 4], seed: 5).Inputs.Values.Single(),
        });
        using var expected = new ModelSession(model);
        using var actual = new ModelSession(copy);
        var (e, a) = (expected.Run(sample), actual.Run(sample));
        for (int k = 0; k < 2; k++)
        {
            for (int i = 0; i < e[k]!.Length; i++) Assert.Equal(e[k]![i], a[k]![i], 1e-4f);
        }
    }

    [Fact]
    public void A_folded_weight_listed_as_a_graph_input_leaves_no_input_behind()
    {
        // Models of IR version 3 list every initializer among the graph inputs too.
        var model = ConvScaleShift([1, 4, 1, 1]);
        foreach (var init in model.Graph.Initializer) model.Graph.Input.Add(GraphBuilder.ValueInfo(init.Name, TensorData.Float, init.Dims.ToArray()));
        var editor = new GraphEditor(model);
        Assert.Equal(2, new AffineIntoWeights().Apply(editor));
        editor.Normalize();
        Assert.Equal(["x"], new GraphIndex(model.Graph).GraphInputs);
        Assert.All(model.Graph.Input.Skip(1), i => Assert.Contains(model.Graph.Initializer, t => t.Name == i.Name));
    }

    [Fact]
    public void Division_and_subtraction_by_a_constant_become_multiplication_and_addition()
    {
        var b = new GraphBuilder().Input("x", 1, 4).Output("y", 1, 4);
        b.Node("Div", "div", ["x", b.Initializer("six", [], [6f])], ["d"]);
        b.Node("Sub", "sub", ["d", b.Initializer("k", [4], [1f, 2f, 3f, 4f])], ["s"]);
        b.Node("Div", "div_by_zero", ["s", b.Initializer("zero", [], [0f])], ["y"]); // 1/0 is not finite: kept
        var (model, count) = ApplyAndCompare(b.Build(), new DivideByConstant(), [1, 4]);
        Assert.Equal(2, count);
        Assert.Equal(["Mul", "Add", "Div"], model.Graph.Node.Select(n => n.OpType));
    }

    [Fact]
    public void HardSigmoid_becomes_an_add_a_clip_and_a_positive_scale_only_after_a_producer()
    {
        var b = new GraphBuilder().Input("x", 1, 4, 4, 4).Output("y", 1, 4, 4, 4);
        b.Node("HardSigmoid", "on_input", ["x"], ["h0"], n => { n.SetFloat("alpha", 1 / 6f); n.SetFloat("beta", 0.5f); });
        var c = b.Conv("conv", "h0", 4, 4);
        b.Node("HardSigmoid", "gate", [c], ["h1"], n => { n.SetFloat("alpha", 1 / 6f); n.SetFloat("beta", 0.5f); });
        b.Node("Mul", "hardswish", [c, "h1"], ["y"]);
        var (model, count) = ApplyAndCompare(b.Build(), new HardSigmoidAsClip(), [1, 4, 4, 4]);
        Assert.Equal(1, count); // the graph input's HardSigmoid has no producer to fuse with
        Assert.Equal(["HardSigmoid", "Conv", "Add", "Clip", "Mul", "Mul"], model.Graph.Node.Select(n => n.OpType));
    }

    [Fact]
    public void Quantized_hardswish_runs_on_integer_kernels_with_the_gate_scale_folded_into_a_quantizer()
    {
        var b = new GraphBuilder().Input("x", 1, 3, 16, 16).Output("y", 1, 8, 16, 16);
        var c1 = b.Conv("conv1", "x", 3, 8);
        b.Node("HardSigmoid", "gate", [c1], ["h"], n => { n.SetFloat("alpha", 1 / 6f); n.SetFloat("beta", 0.5f); });
        b.Node("Mul", "hardswish", [c1, "h"], ["hs"]);
        b.Conv("conv2", "hs", 8, 8);
        var model = b.Build();
        model.Graph.Node.Last().Output[0] = "y";

        var data = RandomData.Samples(40, [1, 3, 16, 16], scale: 2f);
        var result = Quantizer.Quantize(model.Onnx(), data, new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 30, HoldOutSize = 10 });
        var graph = result.Model.Proto.Graph;
        var compute = graph.Node.Where(n => n.OpType is not ("QuantizeLinear" or "DequantizeLinear")).Select(n => n.OpType).ToList();
        Assert.Equal(["Conv", "Add", "Clip", "Mul", "Conv"], compute); // the alpha Mul is gone
        var gateDq = graph.Node.Single(n => n.Output[0] == "h");
        Assert.Equal("DequantizeLinear", gateDq.OpType);
        var kernels = result.Report.Kernels;
        Assert.Equal(2, kernels.Count("QLinearConv"));
        Assert.Equal(1, kernels.Count("QLinearAdd"));
        Assert.Equal(1, kernels.Count("QLinearMul"));
        Assert.Equal(0, kernels.Count("Mul") + kernels.Count("HardSigmoid"));
        Assert.Equal([new GraphRewriteCount(new HardSigmoidAsClip().Description, 1)], result.Report.Rewrites);
        Assert.True(result.Report.HoldOutAgreement!.MeanCosine > 0.99, $"cosine {result.Report.HoldOutAgreement.MeanCosine}");
    }

    [Fact]
    public void Swish_becomes_one_quick_gelu_only_where_the_sigmoid_gates_its_own_input_alone()
    {
        var b = new GraphBuilder().Input("x", 1, 4, 4, 4).Output("y", 1, 4, 4, 4);
        var c = b.Conv("conv", "x", 4, 4);
        b.Node("Sigmoid", "sig1", [c], ["s1"]);
        b.Node("Mul", "swish", ["s1", c], ["w"]); // the sigmoid on either side
        b.Node("Sigmoid", "sig2", ["w"], ["s2"]);
        b.Node("Mul", "gate_of_another", ["x", "s2"], ["g"]); // gates a tensor other than its input: stays
        b.Node("Sigmoid", "sig3", ["g"], ["s3"]);
        b.Node("Mul", "swish_read_twice", ["g", "s3"], ["m"]);
        b.Node("Add", "reads_the_sigmoid", ["m", "s3"], ["a"]); // the sigmoid has another reader: stays
        b.Node("Mul", "beta", [b.Initializer("half", [1], [0.5f]), "a"], ["ha"]); // x * Sigmoid(0.5 x), PaddlePaddle's form
        b.Node("Sigmoid", "sig4", ["ha"], ["s4"]);
        b.Node("Mul", "swish_beta", ["a", "s4"], ["y"]);
        var (model, count) = ApplyAndCompare(b.Build(), new SwishAsQuickGelu(), [1, 4, 4, 4]);
        Assert.Equal(2, count);
        Assert.Equal(["Conv", "QuickGelu", "Sigmoid", "Mul", "Sigmoid", "Mul", "Add", "QuickGelu"], model.Graph.Node.Select(n => n.OpType));
        var gelus = model.Graph.Node.Where(n => n.OpType == "QuickGelu").ToList();
        Assert.Equal([(OpsetImports.Microsoft, "swish", 1f), (OpsetImports.Microsoft, "swish_beta", 0.5f)], gelus.Select(g => (g.Domain, g.Name, g.GetFloat("alpha", 0f))));
        Assert.Equal(["conv_out", "w", "a", "y"], gelus.SelectMany(g => new[] { g.Input.Single(), g.Output.Single() }));
        Assert.Contains(model.OpsetImport, o => o.Domain == OpsetImports.Microsoft);

        var ignored = ApplyAndCompare(b.Build(), new SwishAsQuickGelu(), [1, 4, 4, 4], new IgnoredScope { Names = ["sig1", "beta"] });
        Assert.Equal(0, ignored.Count);
    }

    [Fact]
    public void Quantized_swish_keeps_the_integer_kernels_around_it_and_drops_the_sigmoid_quantizer()
    {
        var b = new GraphBuilder().Input("x", 1, 3, 16, 16).Output("y", 1, 8, 16, 16);
        var c1 = b.Conv("conv1", "x", 3, 8);
        b.Node("Sigmoid", "sig", [c1], ["s"]);
        b.Node("Mul", "swish", [c1, "s"], ["sw"]);
        b.Conv("conv2", "sw", 8, 8);
        var model = b.Build();
        model.Graph.Node.Last().Output[0] = "y";

        var data = RandomData.Samples(40, [1, 3, 16, 16], scale: 2f);
        QuantizationResult Quantize(TargetDevice device) => Quantizer.Quantize(model.Onnx(), data,
            new QuantizationOptions { TargetDevice = device, LatencyAware = Structural.LatencyOff, SubsetSize = 30, HoldOutSize = 10 });
        var any = Quantize(TargetDevice.Any);
        var compute = any.Model.Proto.Graph.Node.Where(n => n.OpType is not ("QuantizeLinear" or "DequantizeLinear")).Select(n => n.OpType).ToList();
        Assert.Equal(["Conv", "QuickGelu", "Conv"], compute);
        Assert.Equal(2, any.Report.Kernels.Count("QLinearConv"));
        Assert.Equal(0, any.Report.Kernels.Count("QLinearSigmoid") + any.Report.Kernels.Count("QLinearMul"));
        Assert.Equal([new GraphRewriteCount(new SwishAsQuickGelu().Description, 1)], any.Report.Rewrites);
        Assert.True(any.Report.HoldOutAgreement!.MeanCosine > 0.99, $"cosine {any.Report.HoldOutAgreement.MeanCosine}");

        // GPU rules are for runtimes that need not read com.microsoft ops: the swish stays as it is.
        var gpu = Quantize(TargetDevice.Gpu);
        Assert.DoesNotContain(gpu.Model.Proto.Graph.Node, n => n.OpType == "QuickGelu");
        Assert.Empty(gpu.Report.Rewrites);
    }

    /// <summary>
    /// A MobileNetV3-style block over 24 channels: expand (1x1) -> Relu -> depthwise 3x3 -> hardswish spelled out ->
    /// shift by 1 -> per-channel scale -> squeeze-and-excitation gate (pool, 1x1, Relu, 1x1, Sigmoid, Mul) -> project (1x1), input
    /// [1, 8, <paramref name="size"/>, <paramref name="size"/>]. <paramref name="tap"/> adds a consumer of the depthwise output: "output" makes it a graph output,
    /// "concat" feeds it to a Concat, "divisor" divides a constant by it.
    /// </summary>
    private static ModelProto DepthwiseBlock(string? tap = null, int size = 6)
    {
        var b = new GraphBuilder().Input("x", 1, 8, size, size).Output("y", 1, 8, size, size);
        void Pointwise(string name, string input, int cin, int cout, string output) =>
            b.Node("Conv", name, [input, b.Weight(name + ".w", cout, cin, 1, 1), b.Weight(name + ".b", cout)], [output], n => n.SetInts("kernel_shape", [1, 1]));
        Pointwise("expand", "x", 8, 24, "e");
        var relu = b.Relu("relu", "e");
        b.Node("Conv", "dw", [relu, b.Weight("dw.w", 24, 1, 3, 3), b.Weight("dw.b", 24)], ["d"], n => { n.SetInts("kernel_shape", [3, 3]); n.SetInts("pads", [1, 1, 1, 1]); n.SetInt("group", 24); });
        b.Node("Add", "hs_add", ["d", b.Initializer("three", [], [3f])], ["d3"]);
        b.Node("Clip", "hs_clip", ["d3", b.Initializer("zero", [], [0f]), b.Initializer("six", [], [6f])], ["dc"]);
        b.Node("Mul", "hs_mul", ["d", "dc"], ["h"]);
        // A scalar shift: the padded channels hold 1, not 0, from here on, so only the zero columns keep them out.
        b.Node("Add", "shift", ["h", b.Initializer("one_shift", [], [1f])], ["h1"]);
        b.Node("Mul", "scale", ["h1", b.Initializer("s", [24, 1, 1], Enumerable.Range(0, 24).Select(i => 0.05f + i * 0.01f).ToArray())], ["hsc"]);
        b.Node("GlobalAveragePool", "pool", ["hsc"], ["p"]);
        Pointwise("fc1", "p", 24, 8, "f1");
        var r2 = b.Relu("relu2", "f1");
        Pointwise("fc2", r2, 8, 24, "f2");
        b.Node("Sigmoid", "gate", ["f2"], ["g"]);
        b.Node("Mul", "excite", ["hsc", "g"], ["se"]);
        Pointwise("project", "se", 24, 8, "y");
        switch (tap)
        {
            case "output":
                b.Output("d", 1, 24, 6, 6);
                break;
            case "concat":
                b.Output("cat", 1, 48, 6, 6);
                b.Node("Concat", "concat", ["d", "d"], ["cat"], n => n.SetInt("axis", 1));
                break;
            case "divisor":
                b.Output("q", 1, 24, 6, 6);
                b.Node("Div", "divide", [b.Initializer("one", [], [1f]), "d"], ["q"]);
                break;
        }

        return b.Build();
    }

    [Fact]
    public void A_depthwise_conv_and_the_channels_around_it_are_padded_to_the_multiple_and_compute_the_same()
    {
        var (model, count) = ApplyAndCompare(DepthwiseBlock(), new DepthwiseChannelPadding(16), [1, 8, 6, 6]);
        Assert.Equal(1, count);
        var nodes = model.Graph.Node.ToDictionary(n => n.Name);
        long[] Dims(string node) => model.Graph.Initializer.Single(i => i.Name == nodes[node].Input[1]).Dims.ToArray();
        Assert.Equal(32, nodes["dw"].GetInt("group", 1));
        Assert.Equal([32L, 1, 3, 3], Dims("dw"));
        Assert.Equal([32L, 8, 1, 1], Dims("expand"));
        Assert.Equal([32L, 8, 1, 1], Dims("fc2"));
        Assert.Equal([8L, 32, 1, 1], Dims("fc1"));
        Assert.Equal([8L, 32, 1, 1], Dims("project"));
        Assert.Equal([32L, 1, 1], model.Graph.Initializer.Single(i => i.Name == nodes["scale"].Input[1]).Dims.ToArray());
    }

    [Theory]
    [InlineData("output")]
    [InlineData("concat")]
    [InlineData("divisor")]
    public void A_depthwise_conv_whose_channels_reach_what_padding_would_change_is_left_as_it_is(string tap)
    {
        var (model, count) = ApplyAndCompare(DepthwiseBlock(tap), new DepthwiseChannelPadding(16), [1, 8, 6, 6]);
        Assert.Equal(0, count);
        Assert.Equal(24, model.Graph.Node.Single(n => n.Name == "dw").GetInt("group", 1));
    }

    [Fact]
    public void A_depthwise_conv_followed_by_swish_as_quick_gelu_is_padded_through_it()
    {
        var b = new GraphBuilder().Input("x", 1, 8, 6, 6).Output("y", 1, 8, 6, 6);
        b.Node("Conv", "expand", ["x", b.Weight("expand.w", 24, 8, 1, 1), b.Weight("expand.b", 24)], ["e"], n => n.SetInts("kernel_shape", [1, 1]));
        b.Node("Conv", "dw", ["e", b.Weight("dw.w", 24, 1, 3, 3), b.Weight("dw.b", 24)], ["d"], n => { n.SetInts("kernel_shape", [3, 3]); n.SetInts("pads", [1, 1, 1, 1]); n.SetInt("group", 24); });
        b.Node("Sigmoid", "sig", ["d"], ["s"]);
        b.Node("Mul", "swish", ["d", "s"], ["w"]);
        b.Node("Conv", "project", ["w", b.Weight("project.w", 8, 24, 1, 1), b.Weight("project.b", 8)], ["y"], n => n.SetInts("kernel_shape", [1, 1]));
        var (swish, rewritten) = ApplyAndCompare(b.Build(), new SwishAsQuickGelu(), [1, 8, 6, 6]);
        Assert.Equal(1, rewritten);

        var (model, count) = ApplyAndCompare(swish, new DepthwiseChannelPadding(16), [1, 8, 6, 6]);
        Assert.Equal(1, count);
        Assert.Equal(32, model.Graph.Node.Single(n => n.Name == "dw").GetInt("group", 1));
    }

    [Fact]
    public void A_depthwise_conv_already_at_a_multiple_or_ignored_is_not_padded()
    {
        Assert.Equal(0, ApplyAndCompare(DepthwiseBlock(), new DepthwiseChannelPadding(8), [1, 8, 6, 6]).Count);
        Assert.Equal(0, ApplyAndCompare(DepthwiseBlock(), new DepthwiseChannelPadding(16), [1, 8, 6, 6], new IgnoredScope { Names = ["fc2"] }).Count);
    }

    [Fact]
    public void Padded_channels_leave_the_activation_ranges_as_the_unpadded_model_has_them()
    {
        // 40 samples of 24 x 24 x 24 values: the 99.999th percentile is the 6th largest value of a tensor, the 8th counting the
        // padded channels.
        var data = RandomData.Samples(40, [1, 8, 24, 24], scale: 2f);
        var rules = HardwareConfig.For(TargetDevice.Any);
        QuantizationResult Quantize(int multiple) => Quantizer.Quantize(DepthwiseBlock(size: 24).Onnx(), data, new QuantizationOptions
        {
            LatencyAware = Structural.LatencyOff, SubsetSize = 40, HardwareConfig = rules with { DepthwiseChannelMultiple = multiple },
        });

        var padded = Quantize(16);
        var plain = Quantize(1);
        Assert.Equal(1, padded.Report.Rewrites.Single(r => r.Rewrite.StartsWith("depthwise", StringComparison.Ordinal)).Count);
        Assert.DoesNotContain(plain.Report.Rewrites, r => r.Rewrite.StartsWith("depthwise", StringComparison.Ordinal));

        // Every activation quantizer of the block, the padded tensors' included, has the scale it has without padding.
        static Dictionary<string, float> Scales(QuantizationResult r) => r.Model.Proto.Graph.Node
            .Where(n => n.OpType == "QuantizeLinear").ToDictionary(n => n.Input[0], n => TensorData.ToFloats(r.Model.Proto.Graph.Initializer.Single(i => i.Name == n.Input[1]))[0]);
        var expected = Scales(plain);
        var actual = Scales(padded);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (tensor, scale) in expected) Assert.Equal(scale, actual[tensor], 1e-6f);
    }
}
