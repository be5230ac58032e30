using System.Text;
using Onnx;
using PtqSharp.Hardware.Metatypes;
using PtqSharp.Onnx;

namespace PtqSharp.Tests.Hardware;

public class OperatorMetatypesTests
{
    private static NodeProto Node(string op, params (string Name, long Value)[] attributes)
    {
        var node = new NodeProto { OpType = op };
        foreach (var (name, value) in attributes) node.SetInt(name, value);
        return node;
    }

    [Theory]
    [InlineData("Conv", 4, 0)]
    [InlineData("ConvTranspose", 4, 1)]
    [InlineData("Gemm", 2, 1)]
    [InlineData("MatMul", 2, 1)]
    public void Weights_are_quantized_per_output_channel_along_the_axis_the_table_gives(string op, int rank, int axis) =>
        Assert.Equal(axis, OperatorMetatypes.For(Node(op)).PerChannelAxis(Node(op), 1, rank));

    [Fact]
    public void Attributes_and_ranks_change_the_axis_where_the_op_says_so()
    {
        var gemm = Node("Gemm", ("transB", 1));
        Assert.Equal(0, OperatorMetatypes.For(gemm).PerChannelAxis(gemm, 1, 2)); // [N, K]
        Assert.Null(OperatorMetatypes.For(Node("MatMul")).PerChannelAxis(Node("MatMul"), 1, 3)); // batched weights: per tensor
        var grouped = Node("ConvTranspose", ("group", 4));
        Assert.Null(OperatorMetatypes.For(grouped).PerChannelAxis(grouped, 1, 4)); // scales along axis 1 would repeat per group
        Assert.Null(OperatorMetatypes.For(Node("Gemm")).PerChannelAxis(Node("Gemm"), 0, 2)); // a constant A is not the weight port
        var transA = Node("Gemm", ("transA", 1));
        Assert.Equal(0, OperatorMetatypes.For(transA).ActivationChannelAxis(transA, 2));
    }

    [Fact]
    public void Kernels_ports_and_parameters_come_from_the_table()
    {
        Assert.Contains("QLinearConv", OperatorMetatypes.IntegerKernels);
        Assert.Contains("QGemm", OperatorMetatypes.IntegerKernels);
        Assert.Contains("FusedConv", OperatorMetatypes.FloatComputeKernels);
        Assert.DoesNotContain("Add", OperatorMetatypes.FloatComputeKernels);
        Assert.Equal(2, OperatorMetatypes.For(Node("Conv")).Bias);
        Assert.True(OperatorMetatypes.For(Node("Conv")).BiasCorrection);
        Assert.False(OperatorMetatypes.For(Node("ConvTranspose")).BiasCorrection);
        Assert.Equal([1, 2], OperatorMetatypes.For(Node("Clip")).ParameterInputs);
        Assert.Null(OperatorMetatypes.For(new NodeProto { OpType = "Conv", Domain = "com.example" }).Weight); // another domain's Conv is unknown
    }

    [Theory]
    [InlineData("{ \"Conv\": { \"weight\": { \"input\": 1, \"output_channel_axis\": 0 } } }", "Conv.weight.input_channel_axis", "is missing")]
    [InlineData("{ \"Conv\": { \"bias\": -2 } }", "Conv.bias", "input index")]
    [InlineData("{ \"Conv\": { \"kernel\": \"QLinearConv\" } }", "Conv.kernel", "not a known key")]
    [InlineData("{ \"Clip\": { \"parameter_inputs\": [\"min\"] } }", "Clip.parameter_inputs", "list of input indices")]
    public void A_bad_table_entry_is_named_by_its_key_path(string json, string key, string problem)
    {
        var e = Assert.Throws<PtqException>(() => OperatorMetatypes.Parse(new MemoryStream(Encoding.UTF8.GetBytes(json)), "test.json"));
        Assert.Contains("test.json", e.Message);
        Assert.Contains($"'{key}'", e.Message);
        Assert.Contains(problem, e.Message);
    }
}
