using PtqSharp.Statistics;
using PtqSharp.Quantization.Steps;
using PtqSharp.Quantization.Pipeline;
using PtqSharp.Hardware;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Onnx;
using PtqSharp.Quantization;

namespace PtqSharp.Tests.Quantization;

public class TransformerTests
{
    /// <summary>Token samples of varying length (dynamic batch and sequence dimensions), ids inside the vocabulary.</summary>
    internal static Dataset Tokens(int count)
    {
        var random = new Random(5);
        return Dataset.FromList(Enumerable.Range(0, count).ToList(), i =>
        {
            int n = 8 + i % 17;
            var ids = Enumerable.Range(0, n).Select(k => k == 0 ? 101L : k == n - 1 ? 102L : random.Next(1000, 20000)).ToArray();
            return new Sample(new Dictionary<string, SampleTensor>
            {
                ["input_ids"] = new(ids, [1, n]),
                ["attention_mask"] = new(Enumerable.Repeat(1L, n).ToArray(), [1, n]),
                ["token_type_ids"] = new(new long[n], [1, n]),
            }, $"tokens {i}");
        });
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public void MiniLM_as_a_transformer_quantizes_only_matrix_products_smooths_them_and_keeps_its_embeddings()
    {
        var model = TestPaths.MiniLM();
        var result = Quantizer.Quantize(model.Onnx(), Tokens(60), new QuantizationOptions { LatencyAware = Structural.LatencyOff, ModelType = ModelType.Transformer, SubsetSize = 40, HoldOutSize = 20 });
        var report = result.Report;

        Assert.Equal(["Gemm", "MatMul"], report.OpTypes.Select(o => o.OpType).Order());
        Assert.Equal(48, report.OpTypes.Single(o => o.OpType == "MatMul").Quantized);
        Assert.Contains(result.Model.Proto.Graph.Node, n => n.Name.EndsWith("_SmoothQuant", StringComparison.Ordinal) && n.OpType == "Mul");
        Assert.DoesNotContain(result.Model.Proto.Graph.Node, n => n.OpType == "Softmax" && n.Input.Any(i => i.EndsWith("_dequantized", StringComparison.Ordinal)));
        Assert.Equal(0, report.Kernels.Count("QLinearAdd"));
        Assert.True(report.Kernels.IntegerKernelCount >= 36, $"integer kernels: {string.Join(", ", report.Kernels.IntegerKernelCounts)}");
        Assert.True(report.HoldOutAgreement!.MeanCosine > 0.99, $"cosine {report.HoldOutAgreement.MeanCosine}");

        // The per-tensor report maps smoothed tensors back to the float model's: every quantized MatMul weight is there.
        var layers = LayerErrorReport.Compute(model.Onnx(), result.Model, Tokens(60), Enumerable.Range(40, 5).ToList());
        Assert.Equal(37, layers.Tensors.Count(t => t.Kind == "weight")); // 36 projections and the pooler Gemm
        Assert.True(layers.Tensors.Count(t => t.Kind == "activation") >= 48, $"{layers.Tensors.Count(t => t.Kind == "activation")} activations");
        Assert.All(layers.Tensors, t => Assert.True(t.SqnrDb > 10, $"{t.Tensor}: {t.SqnrDb:0.0} dB"));
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public void Attention_matmuls_get_symmetric_inputs_where_the_device_allows_them()
    {
        var model = TestPaths.MiniLM();
        var q = Quantizer.Quantize(model.Onnx(), Tokens(20), new QuantizationOptions { LatencyAware = Structural.LatencyOff, ModelType = ModelType.Transformer, TargetDevice = PtqSharp.Hardware.TargetDevice.Cpu, SubsetSize = 20, HoldOutSize = 0 }).Model.Proto;
        var index = new GraphIndex(q.Graph);
        var attention = q.Graph.Node.Where(n => n.OpType == "MatMul" && n.Input.All(i => index.Producer(i) is { OpType: "DequantizeLinear" } dq && index.Initializer(dq.Input[0]) is null)).ToList();
        Assert.Equal(12, attention.Count); // Q.K^T and attention.V in each of the 6 layers
        foreach (var node in attention)
        {
            foreach (var input in node.Input)
            {
                var zeroPoint = index.Initializer(index.Producer(input)!.Input[2])!;
                Assert.Contains(zeroPoint.RawData[0], new byte[] { 0, 128 }); // the symmetric u8 grid
            }
        }
    }

    [Fact]
    public void SmoothQuant_moves_activation_outliers_into_the_weights_without_changing_the_float_model()
    {
        var b = new GraphBuilder().Input("x", -1, 8).Output("y", -1, 4);
        var w = b.Weight("w", 8, 4);
        b.Node("MatMul", "mm", ["x", w], ["y"]);
        var model = b.Build();

        // Channel 3 carries outliers 50x larger than the rest.
        var random = new Random(2);
        var rows = Enumerable.Range(0, 20).Select(_ => Enumerable.Range(0, 8).Select(c => (float)(random.NextDouble() * 2 - 1) * (c == 3 ? 50f : 1f)).ToArray()).ToList();
        var data = Dataset.FromList(rows, r => Sample.Single(new SampleTensor(r, [1, 8])));
        var smoothed = model.Clone();
        var state = new PipelineState(smoothed, HardwareConfig.For(TargetDevice.Any), new QuantizationOptions { LatencyAware = Structural.LatencyOff }, IgnoredScopeMatcher.Create(IgnoredScope.Empty, smoothed.Graph), [QuantizationPreset.Performance]);
        new QuantizationPipeline([[new SmoothQuantStep(0.95f)]]).Run(state, new StatisticsEngine(data, Enumerable.Range(0, 20).ToList(), 1, null, default));
        Assert.Single(state.Smoothed.Values, s => s.Axis == -1); // one activation smoothed, for the one MatMul

        var agreement = ModelComparison.Agreement(model, smoothed, data, Enumerable.Range(0, 20).ToList());
        Assert.True(agreement.SqnrDb > 100, $"SQNR {agreement.SqnrDb} dB: smoothing must not change the float function");
        var scale = TensorData.ToFloats(smoothed.Graph.Initializer.Single(i => i.Name.EndsWith("_smooth_scale", StringComparison.Ordinal)));
        Assert.True(scale[3] < scale.Where((_, c) => c != 3).Min() / 10, $"the outlier channel is divided most: {string.Join(", ", scale)}");

        // And the quantized model follows the float one better than without smoothing.
        double Sqnr(float alpha) => Quantizer.Quantize(model.Onnx(), data, new QuantizationOptions { LatencyAware = Structural.LatencyOff, ModelType = ModelType.Transformer, SmoothQuantAlpha = alpha, SubsetSize = 20, HoldOutSize = 0 }) is var r
            ? ModelComparison.Agreement(model, r.Model.Proto, data, Enumerable.Range(0, 20).ToList()).SqnrDb : 0;
        double with = Sqnr(0.95f), without = Sqnr(0f);
        Assert.True(with > without, $"SQNR with SmoothQuant {with} dB, without {without} dB");
    }
}
