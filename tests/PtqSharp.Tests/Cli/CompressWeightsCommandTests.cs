using PtqSharp.Onnx;
using PtqSharp.Tests.Quantization;

namespace PtqSharp.Tests.Cli;

[Collection("cli")]
public class CompressWeightsCommandTests
{
    private static string ModelFile()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "m.onnx");
        OnnxModelIO.Save(WeightCompressionTests.Model(), path);
        return path;
    }

    [Fact]
    public void Compresses_to_4_bits_and_reports_each_weight_and_the_kernels()
    {
        var model = ModelFile();
        var output = Path.Combine(Path.GetDirectoryName(model)!, "m.int4.onnx");
        var (code, text) = CliRunner.Run("compress-weights", "--model", model, "--output", output, "--mode", "int4-asym", "--group-size", "16");
        Assert.True(code == 0, text);
        Assert.Contains("MatMulNBits 3, GatherBlockQuantized 1", text);
        Assert.Contains("Gather 8-bit 1, MatMul 4-bit 2, MatMul 8-bit 1", text);
        Assert.Contains("last layer: 8 bits unless all layers", text);
        using (var session = new Microsoft.ML.OnnxRuntime.InferenceSession(output)) Assert.Equal("ids", session.InputMetadata.Keys.Single());

        (code, text) = CliRunner.Run("inspect", output);
        Assert.True(code == 0, text);
        Assert.Contains("Weight-only compressed: 1 GatherBlockQuantized 8-bit, block 16; 2 MatMulNBits 4-bit, block 16, zero points; 1 MatMulNBits 8-bit, block 16, zero points.", text);

        var json = JsonOutputTests.RunJson("compress-weights", 0, "--model", model, "--output", output, "--mode", "int8-sym");
        Assert.Equal(4, json["result"]!["report"]!["layers"]!.AsArray().Count);
    }

    [Fact]
    public void With_calibration_data_the_report_gives_each_layers_output_error()
    {
        var output = Path.Combine(TestPaths.NewTempDir(), "s.int4.onnx");
        var (code, text) = CliRunner.Run("compress-weights", "--model", TestPaths.SampleModel, "--output", output, "--mode", "int4-asym", "--group-size", "16",
            "--data", Path.Combine(TestPaths.Sample, "calibration"), "--mean", "72.9", "--scale", "90", "--subset-size", "20");
        Assert.True(code == 0, text);
        Assert.Contains("activations from 20 samples", text);
        Assert.Contains("Relative output error", text);
    }

    [Fact]
    public void Bad_choices_and_colliding_paths_are_named()
    {
        var model = ModelFile();
        var output = Path.Combine(Path.GetDirectoryName(model)!, "out.onnx");
        var (code, text) = CliRunner.Run("compress-weights", "--model", model, "--output", output, "--mode", "int3");
        Assert.Equal(2, code);
        Assert.Contains("--mode 'int3' is not one of: int4-sym, int4-asym, int8-sym, int8-asym", text);

        (code, text) = CliRunner.Run("compress-weights", "--model", model, "--output", output, "--group-size", "100");
        Assert.Equal(2, code);
        Assert.Contains("power of 2", text);

        (code, text) = CliRunner.Run("compress-weights", "--model", model, "--output", model);
        Assert.Equal(2, code);
        Assert.Contains("is the --model", text);
        Assert.False(File.Exists(output));
    }
}
