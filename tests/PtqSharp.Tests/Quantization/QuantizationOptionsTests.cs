using PtqSharp.Hardware;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Quantization;

/// <summary>The options POT's configuration keys map onto: quantizer requirements, clipping, subset order, ignored operations with attributes.</summary>
public class QuantizationOptionsTests
{
    private static readonly PtqSharp.Data.Dataset Data = RandomData.Samples(30, [1, 3, 16, 16], scale: 2f);

    private static QuantizationResult Quantize(QuantizationOptions options) =>
        Quantizer.Quantize(TestGraphs.TwoConv().Onnx(), Data, options with { SubsetSize = 20, HoldOutSize = 0 });

    private static global::Onnx.TensorProto ZeroPoint(OnnxModel m, string consumer)
    {
        var g = m.Proto.Graph;
        var node = g.Node.Single(n => n.Name == consumer);
        var dq = g.Node.Single(n => n.Output[0] == node.Input[0]);
        return g.Initializer.Single(i => i.Name == dq.Input[2]);
    }

    [Fact]
    public void Required_quantizers_override_the_preset_within_what_the_device_allows()
    {
        // Inputs in [-0.5, 2]: CPU's performance preset is symmetric (zero point 128); requiring asymmetric wins (about 51).
        var skewed = PtqSharp.Data.Dataset.FromList(Enumerable.Range(0, 30).ToList(), i =>
            PtqSharp.Data.Sample.Single(new PtqSharp.Data.SampleTensor(Enumerable.Range(0, 3 * 16 * 16).Select(k => -0.5f + 2.5f * ((k * 7 + i * 13) % 101) / 100f).ToArray(), [1, 3, 16, 16])));
        QuantizationResult Run(QuantizationOptions o) => Quantizer.Quantize(TestGraphs.TwoConv().Onnx(), skewed, o with { SubsetSize = 20, HoldOutSize = 0 });
        var symmetric = Run(new QuantizationOptions { LatencyAware = Structural.LatencyOff, TargetDevice = TargetDevice.Cpu });
        var asymmetric = Run(new QuantizationOptions { LatencyAware = Structural.LatencyOff, TargetDevice = TargetDevice.Cpu, ActivationConstraints = new QuantizerConstraints { Mode = QuantizationMode.Asymmetric } });
        Assert.Equal(128, ZeroPoint(symmetric.Model, "conv1").RawData[0]);
        Assert.InRange(ZeroPoint(asymmetric.Model, "conv1").RawData[0], 49, 53);
        Assert.Equal(QuantizationPreset.Mixed, asymmetric.Report.EffectivePreset);

        // GNA stores 16-bit activations: an 8-bit requirement cannot be met, and says what the device allows.
        var e = Assert.Throws<PtqException>(() => Quantize(new QuantizationOptions { LatencyAware = Structural.LatencyOff, TargetDevice = TargetDevice.Gna, ActivationConstraints = new QuantizerConstraints { Bits = 8 } }));
        Assert.Contains("The GNA rules allow activation quantizers i16 sym per-tensor; none is 8 bits", e.Message);
    }

    [Fact]
    public void Clipping_values_bound_the_activation_ranges()
    {
        float Scale(QuantizationResult r, string consumer)
        {
            var g = r.Model.Proto.Graph;
            var node = g.Node.Single(n => n.Name == consumer);
            var dq = g.Node.Single(n => n.Output[0] == node.Input[0]);
            return TensorData.ToFloats(g.Initializer.Single(i => i.Name == dq.Input[1]))[0];
        }

        var plain = Quantize(new QuantizationOptions { LatencyAware = Structural.LatencyOff });
        var clipped = Quantize(new QuantizationOptions { LatencyAware = Structural.LatencyOff, ActivationRange = RangeEstimator.DefaultActivations with { ClipMin = -1, ClipMax = 1 } });
        Assert.True(Scale(plain, "conv1") > 3.5f / 255, "inputs span about [-2, 2]");
        Assert.Equal(2f / 255, Scale(clipped, "conv1"), 5);
        Assert.Throws<PtqException>(() => Quantize(new QuantizationOptions { LatencyAware = Structural.LatencyOff, WeightRange = RangeEstimator.MinMax with { ClipMax = 1 } }));
    }

    [Fact]
    public void Without_shuffling_the_first_samples_calibrate_and_the_next_are_held_out()
    {
        var result = Quantizer.Quantize(TestGraphs.TwoConv().Onnx(), Data, new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 10, HoldOutSize = 5, ShuffleData = false });
        Assert.Equal(Enumerable.Range(0, 10), result.Report.CalibrationSamples);
        Assert.Equal(Enumerable.Range(10, 5), result.Report.HoldOutSamples);
        var shuffled = Quantizer.Quantize(TestGraphs.TwoConv().Onnx(), Data, new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 10, HoldOutSize = 5 });
        Assert.NotEqual(Enumerable.Range(0, 10), shuffled.Report.CalibrationSamples);
    }

    [Fact]
    public void Ignored_operations_match_by_type_and_attribute_values()
    {
        var b = new GraphBuilder().Input("x", 1, 4, 8, 8).Output("y", 1, 4, 8, 8);
        var c1 = b.Conv("dense", "x", 4, 4);
        var w = b.Weight("dw.w", 4, 1, 3, 3);
        b.Node("Conv", "depthwise", [c1, w], ["y"], n => { n.SetInts("pads", [1, 1, 1, 1]); n.SetInt("group", 4); });
        var model = b.Build().Onnx();
        var data = RandomData.Samples(20, [1, 4, 8, 8]);

        var scope = new IgnoredScope { Operations = [new IgnoredOperation("Conv", new Dictionary<string, string> { ["group"] = "4" })] };
        var report = Quantizer.Quantize(model, data, new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 10, HoldOutSize = 0, IgnoredScope = scope }).Report;
        Assert.Equal("depthwise", Assert.Single(report.Skipped).Name);

        var none = new IgnoredScope { Operations = [new IgnoredOperation("Conv", new Dictionary<string, string> { ["group"] = "2" })] };
        var e = Assert.Throws<PtqException>(() => Quantizer.Quantize(model, data, new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 10, IgnoredScope = none }));
        Assert.Contains("ignored operation 'Conv' with group = 2 matches no node", e.Message);
    }
}
