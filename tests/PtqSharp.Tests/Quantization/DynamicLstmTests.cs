using PtqSharp.Data;
using PtqSharp.Hardware;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Quantization;

public class DynamicLstmTests
{
    /// <summary>x [1, 12, 16] -> LSTM (hidden 24, weights as initializers) -> Y_h [1, 1, 24] -> Flatten -> Gemm 24x5.</summary>
    private static global::Onnx.ModelProto Model()
    {
        var b = new GraphBuilder().Input("x", 1, 12, 16).Output("y", 1, 5);
        var w = b.Weight("lstm.W", 1, 96, 16);
        var r = b.Weight("lstm.R", 1, 96, 24);
        var bias = b.Weight("lstm.B", 1, 192);
        b.Node("Transpose", "to_time_major", ["x"], ["xt"], n => n.SetInts("perm", [1, 0, 2]));
        b.Node("LSTM", "lstm", ["xt", w, r, bias], ["all", "h"], n => n.SetInt("hidden_size", 24));
        b.Node("Flatten", "flat", ["h"], ["hf"]);
        var fw = b.Weight("fc.w", 24, 5);
        var fb = b.Weight("fc.b", 5);
        b.Node("Gemm", "fc", ["hf", fw, fb], ["y"]);
        return b.Build();
    }

    [Fact]
    public void On_cpu_rules_an_lstm_with_constant_weights_runs_as_dynamic_quantize_lstm()
    {
        var data = RandomData.Samples(40, [1, 12, 16]);
        var result = Quantizer.Quantize(Model().Onnx(), data, new QuantizationOptions { TargetDevice = TargetDevice.Cpu, LatencyAware = Structural.LatencyOff, SubsetSize = 30, HoldOutSize = 10 });
        var graph = result.Model.Proto.Graph;
        var lstm = Assert.Single(graph.Node, n => n.OpType == "DynamicQuantizeLSTM");
        Assert.Equal("com.microsoft", lstm.Domain);
        Assert.Equal(12, lstm.Input.Count);
        Assert.DoesNotContain(graph.Initializer, i => i.Name is "lstm.W" or "lstm.R"); // the float weights are gone
        Assert.Equal(1, result.Report.Kernels.Count("DynamicQuantizeLSTM"));
        Assert.Contains(result.Report.Rewrites, r => r.Rewrite == DynamicLstm.Name && r.Count == 1);
        Assert.True(result.Report.HoldOutAgreement!.MeanCosine > 0.999, $"cosine {result.Report.HoldOutAgreement.MeanCosine}");
    }

    [Fact]
    public void Portable_rules_keep_the_lstm_and_a_shared_weight_keeps_it_too()
    {
        var data = RandomData.Samples(20, [1, 12, 16]);
        var portable = Quantizer.Quantize(Model().Onnx(), data, new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 20, HoldOutSize = 0 });
        Assert.Contains(portable.Model.Proto.Graph.Node, n => n.OpType == "LSTM"); // ANY: a com.microsoft op is not portable

        var shared = Model();
        shared.Graph.Node.Add(new global::Onnx.NodeProto { OpType = "Identity", Name = "also_reads_w", Input = { "lstm.W" }, Output = { "w_copy" } });
        shared.Graph.Output.Add(GraphBuilder.ValueInfo("w_copy", PtqSharp.Onnx.TensorData.Float, [1, 96, 16]));
        Assert.Equal(0, DynamicLstm.Eligible(shared));
    }
}
