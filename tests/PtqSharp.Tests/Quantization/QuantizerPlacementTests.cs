using PtqSharp.Hardware;
using PtqSharp.Onnx;
using PtqSharp.Quantization;

namespace PtqSharp.Tests.Quantization;

public class QuantizerPlacementTests
{
    private static readonly HardwareConfig Cpu = HardwareConfig.For(TargetDevice.Cpu);

    private static QuantizationPlan Plan(GraphBuilder b, IgnoredScope? scope = null, HardwareConfig? hardware = null)
    {
        var model = b.Build();
        return QuantizerPlacement.Plan(new GraphIndex(model.Graph), hardware ?? Cpu, IgnoredScopeMatcher.Create(scope ?? IgnoredScope.Empty, model.Graph));
    }

    private static GraphBuilder ConvReluPoolConv()
    {
        var b = new GraphBuilder().Input("x", 1, 3, 8, 8).Output("y", 1, 4, 4, 4);
        var c1 = b.Conv("conv1", "x", 3, 4);
        var r1 = b.Relu("relu1", c1);
        b.Node("MaxPool", "pool", [r1], ["pool_out"], n => n.SetInts("kernel_shape", [2, 2]));
        var c2 = b.Conv("conv2", "pool_out", 4, 4);
        b.Node("Relu", "relu2", [c2], ["y"]);
        return b;
    }

    [Fact]
    public void Conv_output_is_quantized_after_its_relu_so_the_runtime_can_fuse_both()
    {
        var plan = Plan(ConvReluPoolConv());
        var tensors = plan.ActivationTensors.ToHashSet();
        Assert.Contains("x", tensors);
        Assert.Contains("relu1_out", tensors);
        Assert.DoesNotContain("conv1_out", tensors);
        Assert.Contains("y", tensors); // the graph output, after relu2
        Assert.Equal(2, plan.Ops.Count);
        Assert.All(plan.Ops, o => Assert.Equal(0, o.Weight!.Axis));
        Assert.All(plan.Ops, o => Assert.Equal(2, o.BiasIndex));
    }

    [Fact]
    public void MaxPool_passes_its_input_quantizer_through_with_the_same_scale()
    {
        var plan = Plan(ConvReluPoolConv());
        var group = plan.Groups.Single(g => g.Tensors.Contains("pool_out"));
        Assert.Contains("relu1_out", group.Tensors);
    }

    [Fact]
    public void Only_the_first_weighted_layer_is_marked_for_the_overflow_fix()
    {
        var plan = Plan(ConvReluPoolConv());
        Assert.Equal(["conv1"], plan.FirstLayers.Select(n => n.Name));
    }

    [Fact]
    public void Concat_inputs_and_output_share_one_quantizer()
    {
        var b = new GraphBuilder().Input("a", 1, 2, 4, 4).Input("c", 1, 2, 4, 4).Output("y", 1, 4, 4, 4);
        b.Node("Concat", "cat", ["a", "c"], ["y"], n => n.SetInt("axis", 1));
        var plan = Plan(b);
        var group = Assert.Single(plan.Groups);
        Assert.Equal(["a", "c", "y"], group.Tensors.Order());
    }

    [Fact]
    public void Add_with_a_constant_input_quantizes_the_constant_per_tensor_where_the_device_has_the_kernel()
    {
        var b = new GraphBuilder().Input("x", 1, 4).Output("y", 1, 4);
        var k = b.Weight("k", 4);
        b.Node("Add", "bias_add", ["x", k], ["y"]);
        var op = Assert.Single(Plan(b).Ops);
        Assert.Equal(["x"], op.ActivationInputs);
        var constant = Assert.Single(op.Constants);
        Assert.Equal((1, k, (int?)null), (constant.InputIndex, constant.Tensor, constant.Axis));
        Assert.Null(op.Weight);
    }

    [Fact]
    public void Add_with_a_constant_input_stays_float_with_a_reason_on_a_device_that_adds_activations_only()
    {
        var b = new GraphBuilder().Input("x", 1, 4).Output("y", 1, 4);
        var k = b.Weight("k", 4);
        b.Node("Add", "bias_add", ["x", k], ["y"]);
        var plan = Plan(b, hardware: HardwareConfig.For(TargetDevice.Gna));
        Assert.Empty(plan.Ops);
        Assert.Contains("constant", Assert.Single(plan.Skipped).Reason);
    }

    [Fact]
    public void Gemm_weight_axis_follows_transB_and_MatMul_uses_columns()
    {
        var b = new GraphBuilder().Input("x", 1, 8).Output("y", 1, 3);
        var w1 = b.Weight("w1", 5, 8);
        b.Node("Gemm", "fc1", ["x", w1], ["h"], n => n.SetInt("transB", 1));
        var w2 = b.Weight("w2", 5, 3);
        b.Node("MatMul", "fc2", ["h", w2], ["y"]);
        var plan = Plan(b);
        Assert.Equal(0, plan.Ops.Single(o => o.Node.Name == "fc1").Weight!.Axis);
        Assert.Equal(1, plan.Ops.Single(o => o.Node.Name == "fc2").Weight!.Axis);
        Assert.DoesNotContain("y", plan.ActivationTensors); // MatMul output stays float (MatMulIntegerToFloat)
    }

    [Fact]
    public void Ignored_scope_by_name_pattern_and_type_keeps_nodes_float()
    {
        Assert.Single(Plan(ConvReluPoolConv(), new IgnoredScope { Names = ["conv2"] }).Ops);
        Assert.Single(Plan(ConvReluPoolConv(), new IgnoredScope { Patterns = ["conv[2-9]"] }).Ops);
        Assert.Empty(Plan(ConvReluPoolConv(), new IgnoredScope { Types = ["Conv"] }).Ops);
    }

    [Fact]
    public void Ignored_scope_entry_that_matches_nothing_is_an_error_listing_near_matches()
    {
        var e = Assert.Throws<PtqException>(() => Plan(ConvReluPoolConv(), new IgnoredScope { Names = ["conv3"] }));
        Assert.Contains("'conv3' matches no node", e.Message);
        Assert.Contains("'conv1'", e.Message);
        var t = Assert.Throws<PtqException>(() => Plan(ConvReluPoolConv(), new IgnoredScope { Types = ["Softmax"] }));
        Assert.Contains("Softmax", t.Message);
    }

    [Fact]
    public void Ignored_patterns_match_in_linear_time_and_refuse_backtracking_only_constructs()
    {
        // (a+)+b against 40 a's and no b takes a backtracking engine about 2^40 steps.
        var b = new GraphBuilder().Input("x", 1, 3, 8, 8).Output("y", 1, 4, 8, 8);
        b.Conv(new string('a', 40), "x", 3, 4);
        var e = Assert.Throws<PtqException>(() => Plan(b, new IgnoredScope { Patterns = ["(a+)+b"] }));
        Assert.Contains("'(a+)+b' matches no node name", e.Message);

        var lookaround = Assert.Throws<PtqException>(() => Plan(ConvReluPoolConv(), new IgnoredScope { Patterns = ["conv(?=2)."] }));
        Assert.Contains("'conv(?=2).' uses a construct", lookaround.Message);
    }
}
