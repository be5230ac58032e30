using Onnx;
using PtqSharp.Evaluation;
using PtqSharp.Hardware;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Hardware;

/// <summary>Each device's written graph follows its rules: bits, symmetry, granularity, shared scales.</summary>
public class TargetDeviceTests
{
    private static readonly PtqSharp.Data.Dataset Data = RandomData.Samples(30, [1, 3, 8, 8], scale: 2f);

    /// <summary>conv1 -> relu1 -> conv2, residual Add(relu1, conv2), GlobalAveragePool, Flatten, Gemm.</summary>
    private static ModelProto ResidualModel()
    {
        var b = new GraphBuilder().Input("x", 1, 3, 8, 8).Output("y", 1, 5);
        var r1 = b.Relu("relu1", b.Conv("conv1", "x", 3, 4));
        var c2 = b.Conv("conv2", r1, 4, 4);
        b.Node("Add", "add", [r1, c2], ["sum"]);
        b.Node("GlobalAveragePool", "gap", ["sum"], ["pooled"]);
        b.Node("Flatten", "flatten", ["pooled"], ["flat"]);
        var w = b.Weight("fc.w", 4, 5);
        var bias = b.Weight("fc.b", 5);
        b.Node("Gemm", "fc", ["flat", w, bias], ["y"]);
        return b.Build();
    }

    private static ModelProto Quantize(TargetDevice device, QuantizationPreset preset = QuantizationPreset.Performance, HardwareConfig? rules = null) =>
        Quantizer.Quantize(ResidualModel().Onnx(), Data, new QuantizationOptions { LatencyAware = Structural.LatencyOff, TargetDevice = device, Preset = preset, SubsetSize = 20, HoldOutSize = 0, HardwareConfig = rules }).Model.Proto;

    /// <summary>The DequantizeLinear feeding input <paramref name="input"/> of node <paramref name="name"/>, or null.</summary>
    private static (NodeProto Dq, TensorProto Values, TensorProto Scale, TensorProto ZeroPoint)? Dq(ModelProto m, string name, int input)
    {
        var node = m.Graph.Node.Single(n => n.Name == name);
        var dq = m.Graph.Node.SingleOrDefault(n => n.OpType == "DequantizeLinear" && n.Output[0] == node.Input[input]);
        if (dq is null) return null;
        TensorProto? Init(string t) => m.Graph.Initializer.SingleOrDefault(i => i.Name == t);
        var values = Init(dq.Input[0]) ?? m.Graph.Node.Single(n => n.Output[0] == dq.Input[0]).Input.Select(Init).First(t => t is not null)!; // activations: the Q's scale stands in
        return (dq, values, Init(dq.Input[1])!, Init(dq.Input[2])!);
    }

    private static int[] ZeroPoints(TensorProto zp) => zp.DataType switch
    {
        TensorData.UInt8 => zp.RawData.ToArray().Select(v => (int)v).ToArray(),
        TensorData.Int8 => zp.RawData.ToArray().Select(v => (int)(sbyte)v).ToArray(),
        TensorData.Int16 => Enumerable.Range(0, zp.RawData.Length / 2).Select(i => (int)BitConverter.ToInt16(zp.RawData.Span.Slice(i * 2, 2))).ToArray(),
        _ => throw new NotSupportedException(),
    };

    private static int MaxAbsInt8(TensorProto t) => t.RawData.ToArray().Max(v => Math.Abs((int)(sbyte)v));

    private static double Cosine(ModelProto m) =>
        ModelComparison.Agreement(ResidualModel(), m, Data, Enumerable.Range(20, 10).ToList()).MeanCosine;

    private static double CosineOnOneSample(TargetDevice device, QuantizationPreset preset)
    {
        var options = new QuantizationOptions { LatencyAware = Structural.LatencyOff, TargetDevice = device, Preset = preset, SubsetSize = 1, HoldOutSize = 0 };
        var m = Quantizer.Quantize(ResidualModel().Onnx(), Data, options).Model.Proto;
        return ModelComparison.Agreement(ResidualModel(), m, Data, PtqSharp.Data.SubsetSelector.Select(Data.Count, 1, 0, 0).Calibration).MeanCosine;
    }

    [Theory]
    [InlineData(TargetDevice.Cpu, 64)]
    [InlineData(TargetDevice.Gpu, 127)]
    public void Cpu_and_gpu_use_uint8_activations_and_narrow_int8_per_channel_weights_with_the_overflow_fix_on_cpu_only(TargetDevice device, int firstLayerMax)
    {
        var m = Quantize(device);
        var w1 = Dq(m, "conv1", 1)!.Value;
        Assert.Equal(TensorData.Int8, w1.Values.DataType);
        Assert.Equal(0, w1.Dq.GetInt("axis", -1));
        Assert.Equal([4L], w1.Scale.Dims);
        Assert.Equal(firstLayerMax, MaxAbsInt8(w1.Values));
        Assert.Equal(127, MaxAbsInt8(Dq(m, "conv2", 1)!.Value.Values));
        Assert.All(ZeroPoints(w1.ZeroPoint), z => Assert.Equal(0, z));

        var x = Dq(m, "conv1", 0)!.Value;
        Assert.Equal(TensorData.UInt8, x.ZeroPoint.DataType);
        Assert.Equal([128], ZeroPoints(x.ZeroPoint)); // performance: symmetric, signed tensor on the u8 grid
        Assert.Equal([0], ZeroPoints(Dq(m, "conv2", 0)!.Value.ZeroPoint)); // relu output, never negative
        Assert.Equal(2, FusedKernelReport.For(m).Count("QLinearConv"));
        Assert.True(Cosine(m) > 0.99);
    }

    [Theory]
    [InlineData(TargetDevice.Npu)]
    [InlineData(TargetDevice.Vpu)]
    [InlineData(TargetDevice.Any)]
    public void Npu_and_any_use_asymmetric_activations_whatever_the_preset_and_one_zero_point_per_weight_tensor(TargetDevice device)
    {
        var m = Quantize(device, QuantizationPreset.Performance);
        var cpuMixed = Quantize(TargetDevice.Cpu, QuantizationPreset.Mixed);
        var x = Dq(m, "conv1", 0)!.Value;
        Assert.Equal(TensorData.UInt8, x.ZeroPoint.DataType);
        Assert.Equal(ZeroPoints(Dq(cpuMixed, "conv1", 0)!.Value.ZeroPoint), ZeroPoints(x.ZeroPoint));
        Assert.Equal(TensorData.ToFloats(Dq(cpuMixed, "conv1", 0)!.Value.Scale), TensorData.ToFloats(x.Scale));
        Assert.NotEqual(128, ZeroPoints(x.ZeroPoint)[0]);

        foreach (var conv in new[] { "conv1", "conv2" })
        {
            var w = Dq(m, conv, 1)!.Value;
            Assert.Equal(TensorData.Int8, w.Values.DataType);
            Assert.Equal([4L], w.Scale.Dims);
            Assert.All(ZeroPoints(w.ZeroPoint), z => Assert.Equal(0, z));
        }

        Assert.Equal(device == TargetDevice.Any ? 64 : 127, MaxAbsInt8(Dq(m, "conv1", 1)!.Value.Values)); // ANY must also suit VNNI-less CPUs
        Assert.Equal(2, FusedKernelReport.For(m).Count("QLinearConv"));
    }

    [Fact]
    public void Gna_quantizes_everything_symmetrically_with_int16_activations_that_onnx_runtime_runs()
    {
        foreach (var preset in Enum.GetValues<QuantizationPreset>())
        {
            var m = Quantize(TargetDevice.Gna, preset);
            var x = Dq(m, "conv1", 0)!.Value;
            Assert.Equal("com.microsoft", x.Dq.Domain);
            Assert.Equal(TensorData.Int16, x.ZeroPoint.DataType);
            Assert.Equal([0], ZeroPoints(x.ZeroPoint));
            Assert.Equal(TensorData.Int16, Dq(m, "add", 0)!.Value.ZeroPoint.DataType);
            Assert.Equal(TensorData.Int16, Dq(m, "add", 1)!.Value.ZeroPoint.DataType);

            var w = Dq(m, "conv2", 1)!.Value;
            Assert.Equal(preset == QuantizationPreset.Performance ? TensorData.Int8 : TensorData.Int16, w.Values.DataType);
            Assert.All(ZeroPoints(w.ZeroPoint), z => Assert.Equal(0, z));
            Assert.Equal(127, preset == QuantizationPreset.Performance ? MaxAbsInt8(w.Values) : 127); // no overflow fix off CPU
            Assert.Contains(m.OpsetImport, o => o.Domain == "com.microsoft");

            if (preset == QuantizationPreset.Performance) continue; // int8 weights: their error dominates on this small model

            // Calibrated and compared on one sample, so clipping plays no part and the bits show.
            double gna = CosineOnOneSample(TargetDevice.Gna, preset), cpu = CosineOnOneSample(TargetDevice.Cpu, preset);
            Assert.True(1 - gna < (1 - cpu) / 100, $"{preset}: 16-bit GNA cosine {gna} vs 8-bit CPU {cpu}");
        }
    }

    [Fact]
    public void Gna3_gives_conv_8_bit_inputs_unless_another_op_needs_16_bits_of_the_same_tensor()
    {
        var m = Quantize(TargetDevice.Gna3);
        var x = Dq(m, "conv1", 0)!.Value;
        Assert.Equal(TensorData.Int8, x.ZeroPoint.DataType);
        Assert.Equal("", x.Dq.Domain);
        Assert.Equal(TensorData.Int16, Dq(m, "conv2", 0)!.Value.ZeroPoint.DataType); // relu1_out also feeds the Add
        Assert.Equal(TensorData.Int16, Dq(Quantize(TargetDevice.Gna3, QuantizationPreset.Mixed), "conv1", 0)!.Value.ZeroPoint.DataType);
    }

    [Fact]
    public void Cpu_spr_drops_one_of_the_two_quantizers_before_an_activation_plus_activation_add()
    {
        var m = Quantize(TargetDevice.CpuSpr);
        Assert.NotNull(Dq(m, "add", 0));
        Assert.Null(Dq(m, "add", 1));
        Assert.Equal("conv2", m.Graph.Node.Single(n => n.Output[0] == m.Graph.Node.Single(n => n.Name == "add").Input[1]).Name);
        Assert.NotNull(Dq(Quantize(TargetDevice.Cpu), "add", 1));
    }

    [Fact]
    public void Accuracy_preset_is_mixed_where_weights_must_be_symmetric()
    {
        // The same model, bar the preset asked for in the settings it records.
        static global::Onnx.ModelProto WithoutSettings(global::Onnx.ModelProto m)
        {
            m.MetadataProps.Remove(m.MetadataProps.Single(p => p.Key == "ptq.settings"));
            return m;
        }

        Assert.Equal(WithoutSettings(Quantize(TargetDevice.Cpu, QuantizationPreset.Mixed)), WithoutSettings(Quantize(TargetDevice.Cpu, QuantizationPreset.Accuracy)));
        Assert.Equal(QuantizationPreset.Mixed, QuantizerSelection.Effective(HardwareConfig.For(TargetDevice.Cpu), QuantizationPreset.Accuracy));
        Assert.Equal(QuantizationPreset.Mixed, QuantizerSelection.Effective(HardwareConfig.For(TargetDevice.Any), QuantizationPreset.Accuracy));
        Assert.Equal(QuantizationPreset.Performance, QuantizerSelection.Effective(HardwareConfig.For(TargetDevice.Gna), QuantizationPreset.Accuracy));
        Assert.Equal(QuantizationPreset.Mixed, QuantizerSelection.Effective(HardwareConfig.For(TargetDevice.Npu), QuantizationPreset.Performance));
    }

    [Fact]
    public void A_user_config_that_allows_asymmetric_weights_gets_them_with_the_accuracy_preset()
    {
        var json = """
            {
              "name": "MyNpu",
              "activations": [ { "bits": 8, "mode": "asymmetric" } ],
              "weights": [
                { "bits": 8, "mode": "symmetric", "granularity": "per_channel", "narrow_range": true, "signed": true },
                { "bits": 8, "mode": "asymmetric", "granularity": "per_channel", "signed": true }, // accuracy only
              ],
              "operations": { "Conv": { "inputs": [0, 1], "bias": 2, "quantize_output": true } }
            }
            """;
        var rules = HardwareConfig.Parse(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)), "my.json");
        var m = Quantize(TargetDevice.Any, QuantizationPreset.Accuracy, rules);
        var w = Dq(m, "conv1", 1)!.Value;
        Assert.Equal(TensorData.Int8, w.ZeroPoint.DataType);
        Assert.Contains(ZeroPoints(w.ZeroPoint), z => z != 0);
        Assert.Equal(0, FusedKernelReport.For(m).Count("QLinearAdd")); // Add is not in this device's rules
        Assert.True(Cosine(m) > 0.99);
        Assert.All(ZeroPoints(Dq(Quantize(TargetDevice.Any, QuantizationPreset.Mixed, rules), "conv1", 1)!.Value.ZeroPoint), z => Assert.Equal(0, z));
    }

    [Theory]
    [InlineData(TargetDevice.Any)]
    [InlineData(TargetDevice.Cpu)]
    [InlineData(TargetDevice.Gpu)]
    [InlineData(TargetDevice.Npu)]
    [InlineData(TargetDevice.Gna)]
    [InlineData(TargetDevice.Gna3)]
    [InlineData(TargetDevice.CpuSpr)]
    public void A_float16_model_quantizes_for_every_device_and_runs_in_onnx_runtime(TargetDevice device)
    {
        var fp16 = Onnx.Float16ConverterTests.Float16Model();
        var result = Quantizer.Quantize(fp16.Onnx(), Data, new QuantizationOptions { LatencyAware = Structural.LatencyOff, TargetDevice = device, SubsetSize = 20, HoldOutSize = 10 });
        Assert.Equal(TensorData.Float16, result.Model.Proto.Graph.Input.Single().Type.TensorType.ElemType);
        Assert.Equal(2, result.Report.QuantizedOps);
        Assert.True(result.Report.HoldOutAgreement!.MeanCosine > 0.99, $"{device}: cosine {result.Report.HoldOutAgreement.MeanCosine}");
    }

    [Theory]
    [InlineData(TargetDevice.Any)]
    [InlineData(TargetDevice.Cpu)]
    [InlineData(TargetDevice.Npu)]
    [InlineData(TargetDevice.Gna)]
    public void Concat_inputs_and_output_share_one_quantizer_on_every_device(TargetDevice device)
    {
        var b = new GraphBuilder().Input("x", 1, 3, 8, 8).Output("y", 1, 4, 8, 8);
        var left = b.Relu("left", b.Conv("convA", "x", 3, 2));
        var right = b.Conv("convB", "x", 3, 2);
        b.Node("Concat", "concat", [left, right], ["cat"], n => n.SetInt("axis", 1));
        b.Conv("convC", "cat", 4, 4);
        var model = b.Build();
        model.Graph.Node.Last().Output[0] = "y";

        var m = Quantizer.Quantize(model.Onnx(), Data, new QuantizationOptions { LatencyAware = Structural.LatencyOff, TargetDevice = device, SubsetSize = 20, HoldOutSize = 0 }).Model.Proto;
        var quantizers = new[] { Dq(m, "concat", 0)!.Value, Dq(m, "concat", 1)!.Value, Dq(m, "convC", 0)!.Value };
        Assert.All(quantizers, q => Assert.Equal(TensorData.ToFloats(quantizers[0].Scale), TensorData.ToFloats(q.Scale)));
        Assert.All(quantizers, q => Assert.Equal(ZeroPoints(quantizers[0].ZeroPoint), ZeroPoints(q.ZeroPoint)));
        Assert.Equal(device == TargetDevice.Gna ? TensorData.Int16 : TensorData.UInt8, quantizers[0].ZeroPoint.DataType);
    }
}
