using Google.Protobuf;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using PtqSharp.Quantization.WeightCompression;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Quantization;

public class WeightCompressionTests
{
    /// <summary>ids [1, 5] -> Gather of a [200, 64] table -> MatMul 64x96 -> Relu -> MatMul 96x80 -> Relu -> MatMul 80x32.</summary>
    internal static global::Onnx.ModelProto Model()
    {
        var b = new GraphBuilder().Output("y", 1, 5, 32);
        var model = b.Build();
        var g = model.Graph;
        g.Input.Add(GraphBuilder.ValueInfo("ids", TensorData.Int64, [1, 5]));
        b.Weight("table", 200, 64);
        b.Node("Gather", "embed", ["table", "ids"], ["e"]);
        b.Weight("w1", 64, 96);
        b.Node("MatMul", "fc1", ["e", "w1"], ["h1"]);
        b.Relu("relu1", "h1");
        b.Weight("w2", 96, 80);
        b.Node("MatMul", "fc2", ["relu1_out", "w2"], ["h2"]);
        b.Relu("relu2", "h2");
        b.Weight("w3", 80, 32);
        b.Node("MatMul", "fc3", ["relu2_out", "w3"], ["y"]);
        return b.Build();
    }

    private static Dataset Ids(int count)
    {
        var random = new Random(3);
        return Dataset.FromList(Enumerable.Range(0, count).ToList(), _ => Sample.Single(new SampleTensor(Enumerable.Range(0, 5).Select(_ => (long)random.Next(200)).ToArray(), [1, 5])));
    }

    private static double Cosine(global::Onnx.ModelProto original, OnnxModel compressed) =>
        ModelComparison.Agreement(original.Onnx(), compressed, Ids(20), Enumerable.Range(0, 20).ToList()).MeanCosine;

    [Fact]
    public void A_group_size_that_does_not_divide_the_input_dimension_pads_the_last_group()
    {
        // K is 64, 96 and 80: groups of 64 leave a last group of 32 and of 16, padded with the zero point.
        var original = Model();
        var result = WeightCompressor.Compress(original.Onnx(), new WeightCompressionOptions { Mode = WeightCompressionMode.Int4Asymmetric, GroupSize = 64 });
        Assert.Equal(3, result.Report.RuntimeOpCounts.GetValueOrDefault("MatMulNBits"));
        Assert.All(result.Report.Layers.Where(l => l.OpType == "MatMul"), l => Assert.Equal(64, l.GroupSize));
        var fc2 = result.Model.Proto.Graph.Node.Single(n => n.OpType == "MatMulNBits" && n.Input[0] == "relu1_out");
        Assert.Equal(2, result.Model.Proto.Graph.Initializer.Single(t => t.Name == fc2.Input[1]).Dims[1]); // two blocks of 64 for K = 96
        Assert.True(Cosine(original, result.Model) >= 0.98);
    }

    [Fact]
    public void Gptq_with_data_writes_a_model_as_close_to_fp32_and_reports_the_full_output_error()
    {
        var original = Model();
        var options = new WeightCompressionOptions { Mode = WeightCompressionMode.Int4Asymmetric, GroupSize = 16, SubsetSize = 64 };
        var rounded = WeightCompressor.Compress(original.Onnx(), Ids(64), options);
        var gptq = WeightCompressor.Compress(original.Onnx(), Ids(64), options with { Gptq = true });
        Assert.True(gptq.Report.Gptq);
        Assert.All(gptq.Report.Layers.Where(l => l.OpType == "MatMul"), l => Assert.NotNull(l.OutputError));
        double before = Cosine(original, rounded.Model), after = Cosine(original, gptq.Model);
        Assert.True(after >= 0.99 && after >= before - 0.002, $"GPTQ {after:0.0000} vs rounding to nearest {before:0.0000}");
    }

    [Fact]
    public void Awq_scales_an_input_with_salient_features_and_divides_it_before_its_readers()
    {
        // Four of the table's 64 features are 20 times larger than the rest: the salient channels AWQ protects.
        var original = Model();
        var table = original.Graph.Initializer.Single(t => t.Name == "table");
        var values = TensorData.ToFloats(table);
        for (int row = 0; row < 200; row++) for (int k = 0; k < 4; k++) values[row * 64 + k * 16] *= 20;
        original.Graph.Initializer[original.Graph.Initializer.IndexOf(table)] = TensorData.FromFloats("table", [200, 64], values);

        var options = new WeightCompressionOptions { Mode = WeightCompressionMode.Int4Asymmetric, GroupSize = 32, SubsetSize = 64, AllLayers = true };
        var plain = WeightCompressor.Compress(original.Onnx(), Ids(64), options);
        var awq = WeightCompressor.Compress(original.Onnx(), Ids(64), options with { Awq = true });
        Assert.Contains(awq.Report.AwqScaled, t => t.StartsWith("e ", StringComparison.Ordinal)); // fc1's input
        var mul = awq.Model.Proto.Graph.Node.Single(n => n.OpType == "Mul" && n.Input[0] == "e");
        var fc1 = awq.Model.Proto.Graph.Node.Single(n => n.Name == "fc1");
        Assert.Equal(mul.Output[0], fc1.Input[0]);
        Assert.True(awq.Model.Proto.Graph.Node.IndexOf(mul) < awq.Model.Proto.Graph.Node.IndexOf(fc1));
        double before = Cosine(original, plain.Model), after = Cosine(original, awq.Model);
        Assert.True(after > before, $"AWQ {after:0.0000} vs without {before:0.0000}");
    }

    [Theory]
    [InlineData(WeightCompressionMode.Int8Symmetric, 0.9995)]
    [InlineData(WeightCompressionMode.Int8Asymmetric, 0.9995)]
    [InlineData(WeightCompressionMode.Int4Symmetric, 0.99)]
    [InlineData(WeightCompressionMode.Int4Asymmetric, 0.99)]
    public void Matmuls_and_embeddings_run_on_onnx_runtimes_weight_only_kernels(WeightCompressionMode mode, double minCosine)
    {
        var original = Model();
        var result = WeightCompressor.Compress(original.Onnx(), new WeightCompressionOptions { Mode = mode, GroupSize = 16 });
        var report = result.Report;

        Assert.Equal(["embed", "fc1", "fc2", "fc3"], report.Layers.Select(l => l.Node));
        Assert.Equal(3, report.RuntimeOpCounts.GetValueOrDefault("MatMulNBits"));
        Assert.Equal(1, report.RuntimeOpCounts.GetValueOrDefault("GatherBlockQuantized"));
        Assert.DoesNotContain(result.Model.Proto.Graph.Initializer, i => i.Name is "table" or "w1" or "w2" or "w3"); // float weights gone
        Assert.True(report.SizeAfter < report.SizeBefore / (mode is WeightCompressionMode.Int8Symmetric or WeightCompressionMode.Int8Asymmetric ? 2.8 : 3.0), $"{report.SizeBefore} -> {report.SizeAfter}"); // groups of 16 pay 4-byte scales (and zero points) per 16 weights
        double cosine = Cosine(original, result.Model);
        Assert.True(cosine >= minCosine, $"{mode}: cosine {cosine}");
        Assert.All(report.Layers, l => Assert.InRange(l.RelativeError, 1e-6, l.Bits == 4 ? 0.2 : 0.02));
        Assert.Equal(original.ToByteArray(), Model().ToByteArray()); // the input model is untouched
    }

    [Fact]
    public void A_gemm_with_a_transposed_weight_and_a_bias_becomes_a_matmulnbits_with_that_bias()
    {
        var sample = OnnxModel.Load(TestPaths.SampleModel); // its classifier: Gemm, transB = 1, bias
        var result = WeightCompressor.Compress(sample, new WeightCompressionOptions { Mode = WeightCompressionMode.Int4Asymmetric, GroupSize = 32 });
        var layer = Assert.Single(result.Report.Layers);
        Assert.Equal(("/fc/Gemm", "Gemm", 4), (layer.Node, layer.OpType, layer.Bits));
        Assert.Equal([64L, 10L], layer.Shape); // [K, N]: the transposed weight
        Assert.Equal(1, result.Report.RuntimeOpCounts.GetValueOrDefault("MatMulNBits"));
        var images = ImageFolderDataset.Unlabeled(Path.Combine(TestPaths.Sample, "calibration"), new ImagePreprocessing { Mean = [72.9f], Scale = [90f] }.ResolveFor(sample));
        var agreement = ModelComparison.Agreement(sample, result.Model, images, Enumerable.Range(0, 40).ToList());
        Assert.True(agreement.MeanCosine > 0.99, $"cosine {agreement.MeanCosine}");
        Assert.True(agreement.Top1Agreement > 0.95, $"top-1 agreement {agreement.Top1Agreement}");
    }

    [Fact]
    public void Calibration_data_weights_the_error_by_the_activations_and_lowers_the_output_error()
    {
        var options = new WeightCompressionOptions { Mode = WeightCompressionMode.Int4Asymmetric, GroupSize = 16, AllLayers = true };
        var free = WeightCompressor.Compress(Model().Onnx(), options);
        var aware = WeightCompressor.Compress(Model().Onnx(), Ids(30), options with { SubsetSize = 20 });
        Assert.All(free.Report.Layers, l => Assert.Null(l.OutputError));
        var matmuls = aware.Report.Layers.Where(l => l.OpType == "MatMul").ToList();
        Assert.All(matmuls, l => Assert.NotNull(l.OutputError));
        Assert.Null(aware.Report.Layers.Single(l => l.OpType == "Gather").OutputError); // embeddings: as without data
        // Weighted by the activations, each layer trades weight error for output error.
        foreach (var l in matmuls)
        {
            var f = free.Report.Layers.Single(x => x.Node == l.Node);
            Assert.True(l.RelativeError >= f.RelativeError - 1e-9, $"{l.Node}: weight error {l.RelativeError} < {f.RelativeError}");
        }

        Assert.True(Cosine(Model(), aware.Model) >= Cosine(Model(), free.Model) - 1e-4);
    }

    [Fact]
    public void Four_bit_modes_keep_the_embedding_and_the_last_layer_in_8_bits_unless_all_layers()
    {
        var report = WeightCompressor.Compress(Model().Onnx(), new WeightCompressionOptions { Mode = WeightCompressionMode.Int4Symmetric, GroupSize = 16 }).Report;
        Assert.Equal([8, 4, 4, 8], report.Layers.Select(l => l.Bits));
        Assert.StartsWith("embedding", report.Layers[0].Reason);
        Assert.StartsWith("last layer", report.Layers[3].Reason);

        var all = WeightCompressor.Compress(Model().Onnx(), new WeightCompressionOptions { Mode = WeightCompressionMode.Int4Symmetric, GroupSize = 16, AllLayers = true }).Report;
        Assert.All(all.Layers, l => Assert.Equal(4, l.Bits));
        Assert.True(all.Layers.Sum(l => l.RelativeError) > report.Layers.Sum(l => l.RelativeError));
    }

    [Fact]
    public void A_ratio_puts_the_layers_with_the_largest_4_bit_error_in_8_bits()
    {
        var all = WeightCompressor.Compress(Model().Onnx(), new WeightCompressionOptions { Mode = WeightCompressionMode.Int4Symmetric, GroupSize = 16, AllLayers = true }).Report;
        var mixed = WeightCompressor.Compress(Model().Onnx(), new WeightCompressionOptions { Mode = WeightCompressionMode.Int4Symmetric, GroupSize = 16, AllLayers = true, Ratio = 0.6 }).Report;
        Assert.Contains(mixed.Layers, l => l.Bits == 8);
        Assert.InRange(mixed.FourBitShare, 0.3, 0.6);
        // Whichever layers went to 8 bits had 4-bit errors at least as large as those left in 4 bits.
        var errors = all.Layers.ToDictionary(l => l.Node, l => l.RelativeError);
        Assert.True(mixed.Layers.Where(l => l.Bits == 8).Min(l => errors[l.Node]) >= mixed.Layers.Where(l => l.Bits == 4).Max(l => errors[l.Node]));
    }

    [Fact]
    public void Ignored_ops_stay_in_float_and_bad_options_are_named()
    {
        var result = WeightCompressor.Compress(Model().Onnx(), new WeightCompressionOptions { GroupSize = 16, IgnoredScope = new IgnoredScope { Names = ["fc2"] } });
        Assert.DoesNotContain(result.Report.Layers, l => l.Node == "fc2");
        Assert.Contains(result.Report.Skipped, s => s.Name == "fc2" && s.Reason == "in the ignored scope");
        Assert.Contains(result.Model.Proto.Graph.Node, n => n.Name == "fc2" && n.OpType == "MatMul");

        Assert.Contains("power of 2", Assert.Throws<PtqException>(() => WeightCompressor.Compress(Model().Onnx(), new WeightCompressionOptions { GroupSize = 24 })).Message);
        Assert.Contains("Ratio", Assert.Throws<PtqException>(() => WeightCompressor.Compress(Model().Onnx(), new WeightCompressionOptions { Ratio = 1.5 })).Message);
        Assert.Contains("needs a 4-bit mode", Assert.Throws<PtqException>(() => WeightCompressor.Compress(Model().Onnx(), new WeightCompressionOptions { Mode = WeightCompressionMode.Int8Symmetric, Ratio = 0.5 })).Message);
        Assert.Contains("Nothing to compress", Assert.Throws<PtqException>(() => WeightCompressor.Compress(TestGraphs.TwoConv().Onnx())).Message);
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public void MiniLM_keeps_its_embeddings_close_in_8_and_4_bits()
    {
        var model = TestPaths.MiniLM().Onnx();
        var tokens = TransformerTests.Tokens(60);
        var indices = Enumerable.Range(30, 30).ToList(); // the calibration below uses the first 30 (the same seed): these are held out
        var int8 = WeightCompressor.Compress(model, new WeightCompressionOptions { Mode = WeightCompressionMode.Int8Symmetric, AccuracyLevel = 0 });
        var int8Fast = WeightCompressor.Compress(model, new WeightCompressionOptions { Mode = WeightCompressionMode.Int8Symmetric }); // accuracy level 4: int8 compute
        var int4 = WeightCompressor.Compress(model, new WeightCompressionOptions { Mode = WeightCompressionMode.Int4Asymmetric, GroupSize = 32 });
        Assert.Equal(36, int8.Report.Layers.Count(l => l.OpType == "MatMul"));
        Assert.Equal(37, int8.Report.RuntimeOpCounts.GetValueOrDefault("MatMulNBits")); // and the pooler Gemm
        double c8 = ModelComparison.Agreement(model, int8.Model, tokens, indices).MeanCosine;
        double c4 = ModelComparison.Agreement(model, int4.Model, tokens, indices).MeanCosine;
        Assert.True(c8 >= 0.999, $"int8 cosine {c8}");
        double c8Fast = ModelComparison.Agreement(model, int8Fast.Model, tokens, indices).MeanCosine;
        Assert.True(c8Fast >= 0.998 && c8Fast < c8, $"int8 at accuracy level 4: cosine {c8Fast}");
        Assert.True(c4 >= 0.98, $"int4 cosine {c4}");
        Assert.True(int4.Report.SizeAfter < int8.Report.SizeAfter);

        // With calibration data (other token samples), the 4-bit model is closer still.
        var aware = WeightCompressor.Compress(model, TransformerTests.Tokens(30), new WeightCompressionOptions { Mode = WeightCompressionMode.Int4Asymmetric, GroupSize = 32, SubsetSize = 30 });
        double c4Aware = ModelComparison.Agreement(model, aware.Model, tokens, indices).MeanCosine;
        Assert.True(c4Aware > c4, $"int4 cosine with data {c4Aware}, without {c4}");
    }
}
