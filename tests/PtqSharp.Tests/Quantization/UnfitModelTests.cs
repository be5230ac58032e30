using Onnx;
using PtqSharp.Hardware;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Quantization;

/// <summary>Models that would quantize into damaged ones are refused before any pass over the data, naming what is wrong.</summary>
public class UnfitModelTests
{
    private static readonly QuantizationOptions Options = new() { SubsetSize = 20, HoldOutSize = 0, LatencyAware = Structural.LatencyOff };

    private static ModelProto WithValue(string tensor, int element, float value)
    {
        var model = TestGraphs.TwoConv();
        var t = model.Graph.Initializer.Single(i => i.Name == tensor);
        var values = TensorData.ToFloats(t);
        values[element] = value;
        model.Graph.Initializer[model.Graph.Initializer.IndexOf(t)] = TensorData.Create<float>(t.Name, t.Dims.ToArray(), values, TensorData.Float);
        return model;
    }

    [Theory]
    [InlineData("conv2.w", 5, float.NaN, "weight")]
    [InlineData("conv1.b", 2, float.PositiveInfinity, "bias")]
    public void Non_finite_weights_and_biases_are_named_before_calibration(string tensor, int element, float value, string role)
    {
        var data = new CountingDataset(RandomData.Samples(24, [1, 3, 16, 16], scale: 2f));
        var e = Assert.Throws<PtqException>(() => Quantizer.Quantize(WithValue(tensor, element, value).Onnx(), data, Options));
        Assert.Contains($"The {role} '{tensor}' of node '{tensor[..5]}' (Conv) holds {value} at element {element}", e.Message);
        Assert.Contains($"--ignore-names \"{tensor[..5]}\"", e.Message);
        Assert.Equal(0, data.Reads);

        // As the message says, the node kept in float quantizes the rest.
        var kept = Quantizer.Quantize(WithValue(tensor, element, value).Onnx(), data, Options with { IgnoredScope = new IgnoredScope { Names = [tensor[..5]] } });
        Assert.Equal(1, kept.Report.QuantizedOps - kept.Report.OpTypes.Where(o => o.OpType != "Conv").Sum(o => o.Quantized));
    }

    [Fact]
    public void An_already_quantized_model_is_refused()
    {
        var data = RandomData.Samples(24, [1, 3, 16, 16], scale: 2f);
        var int8 = Quantizer.Quantize(TestGraphs.TwoConv().Onnx(), data, Options).Model;
        var e = Assert.Throws<PtqException>(() => Quantizer.Quantize(int8, data, Options));
        Assert.Contains("already quantized", e.Message);
        Assert.Matches("node '[^']+' is a (QuantizeLinear|DequantizeLinear)", e.Message);
    }

    [Theory]
    [InlineData(5, 2, "operations.Conv.inputs[1] is input 5")]
    [InlineData(1, 7, "operations.Conv.bias is input 7")]
    public void A_rule_naming_an_input_no_node_has_is_refused_by_its_key(int weightInput, int bias, string key)
    {
        var cpu = HardwareConfig.For(TargetDevice.Cpu);
        var operations = cpu.Operations.ToDictionary();
        operations["Conv"] = operations["Conv"] with { Inputs = [0, weightInput], Bias = bias };
        var data = new CountingDataset(RandomData.Samples(24, [1, 3, 16, 16], scale: 2f));
        var e = Assert.Throws<PtqException>(() => Quantizer.Quantize(TestGraphs.TwoConv().Onnx(), data, Options with { HardwareConfig = cpu with { Operations = operations } }));
        Assert.Contains($"{key}, but the Conv nodes of this model have at most 3 inputs", e.Message);
        Assert.Equal(0, data.Reads);
    }
}
