using PtqSharp.Execution;
using Onnx;
using PtqSharp.Evaluation;
using PtqSharp.Onnx;
using PtqSharp.Quantization;

namespace PtqSharp.Tests.Onnx;

public class Float16ConverterTests
{
    /// <summary>Conv -> Relu -> Conv with float16 weights, input and output.</summary>
    internal static ModelProto Float16Model()
    {
        var b = new GraphBuilder().Input("x", 1, 3, 8, 8).Output("y", 1, 4, 8, 8);
        var c = b.Conv("conv1", "x", 3, 4);
        var r = b.Relu("relu", c);
        b.Conv("conv2", r, 4, 4);
        var model = b.Build();
        model.Graph.Node.Last().Output[0] = "y";
        foreach (var t in model.Graph.Initializer.ToList())
        {
            model.Graph.Initializer[model.Graph.Initializer.IndexOf(t)] = TensorData.FromFloats(t.Name, t.Dims.ToArray(), TensorData.ToFloats(t), TensorData.Float16);
        }

        foreach (var v in model.Graph.Input.Concat(model.Graph.Output)) v.Type.TensorType.ElemType = TensorData.Float16;
        return model;
    }

    [Fact]
    public void Float16_model_quantizes_keeps_its_float16_interface_and_tracks_the_float_model()
    {
        var fp16 = Float16Model();
        var data = Tests.Data.RandomData.Samples(30, [1, 3, 8, 8], scale: 2f);
        var result = Quantizer.Quantize(fp16.Onnx(), data, new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 20, HoldOutSize = 10 });

        Assert.Equal(TensorData.Float16, result.Model.Proto.Graph.Input.Single().Type.TensorType.ElemType);
        Assert.Equal(TensorData.Float16, result.Model.Proto.Graph.Output.Single().Type.TensorType.ElemType);
        Assert.Equal(2, result.Report.Kernels.Count("QLinearConv"));
        Assert.True(result.Report.HoldOutAgreement!.MeanCosine > 0.99, $"cosine {result.Report.HoldOutAgreement.MeanCosine}");

        using var runner = new ModelSession(result.Model.Proto);
        var output = runner.Run(data.Get(0))[0]!;
        Assert.Equal(4 * 8 * 8, output.Length);
    }
}
