using PtqSharp.Onnx;

namespace PtqSharp.Tests.Cli;

/// <summary>Every command on a model whose weights live in an external data file, and models written that way.</summary>
[Collection("cli")]
public class ExternalDataCommandTests
{
    private static readonly string Calibration = Path.Combine(TestPaths.Sample, "calibration");
    private static readonly string Validation = Path.Combine(TestPaths.Sample, "validation");

    /// <summary>The sample model saved with its weights in model.onnx.data, in a folder of its own.</summary>
    private static string ExternalSample()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "model.onnx");
        OnnxModel.Load(TestPaths.SampleModel).Save(path, externalData: true);
        return path;
    }

    [Fact]
    public void A_model_saved_with_external_data_is_a_small_model_and_a_data_file_that_read_back_the_same()
    {
        var path = ExternalSample();
        var dir = Path.GetDirectoryName(path)!;
        Assert.Equal(["model.onnx", "model.onnx.data"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        Assert.True(new FileInfo(path).Length < 8 * 1024, $"{new FileInfo(path).Length} bytes of model");
        Assert.True(new FileInfo(path + ".data").Length > 120 * 1024);

        var original = OnnxModelIO.Load(TestPaths.SampleModel);
        var loaded = OnnxModelIO.Load(path, out var files);
        Assert.Equal([Path.GetFullPath(path + ".data")], files);
        Assert.Contains(loaded.Graph.Initializer, ExternalData.IsExternal); // weights stay on disk until read
        static byte[] Bytes(global::Onnx.TensorProto t) => TensorData.Raw(t).ToArray();
        Assert.Equal(original.Graph.Initializer.Select(Bytes), loaded.Graph.Initializer.Select(Bytes));

        // ONNX Runtime reads it from its path, finding the data file beside it.
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        Assert.Equal("image", session.InputMetadata.Keys.Single());
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public void Every_command_works_on_a_model_with_external_weights_and_writes_them_externally_on_request()
    {
        var model = ExternalSample();
        var dir = Path.GetDirectoryName(model)!;
        var output = Path.Combine(dir, "out", "m.int8.onnx");
        string[] data = ["--data", Calibration, "--mean", "72.9", "--scale", "90"];

        var (code, text) = CliRunner.Run(["quantize", "--model", model, .. data, "--subset-size", "60", "--hold-out", "20", "--latency-aware", "false",
            "--validation", Validation, "--report", "--html", Path.Combine(dir, "out", "r.html"), "--external-data", "--output", output]);
        Assert.True(code == 0, text);
        Assert.True(File.Exists(output + ".data"));
        Assert.True(new FileInfo(output).Length < new FileInfo(output + ".data").Length);
        using (var session = new Microsoft.ML.OnnxRuntime.InferenceSession(output)) Assert.Single(session.InputMetadata);

        (code, text) = CliRunner.Run(["quantize", "--model", model, .. data, "--subset-size", "60", "--hold-out", "20", "--latency-aware", "false",
            "--method", "accuracy-aware", "--validation", Validation, "--metric", "cosine", "--max-drop", "0.001", "--external-data", "--output", Path.Combine(dir, "aa", "m.onnx")]);
        Assert.True(code == 0, text);
        Assert.True(File.Exists(Path.Combine(dir, "aa", "m.fully-quantized.onnx.data")));

        foreach (var args in new[]
        {
            new[] { "inspect", model },
            ["evaluate", "--model", output, "--compare", model, "--data", Validation, "--metric", "top1"],
            ["debug", "--model", model, "--quantized", output, "--data", Calibration, "--samples", "4"],
            ["benchmark", "--model", output, "--compare", model, "--runs", "5", "--warmup", "1"],
            ["compress-weights", "--model", model, "--output", Path.Combine(dir, "c", "m.onnx"), "--external-data"],
        })
        {
            (code, text) = CliRunner.Run(args);
            Assert.True(code == 0, $"{string.Join(" ", args)}\n{text}");
        }
    }

    [Fact]
    public void An_output_whose_data_file_would_replace_the_inputs_data_file_is_refused()
    {
        // a.onnx keeps its weights in b.onnx.data: writing b.onnx with external data would replace them.
        var model = ExternalSample();
        var dir = Path.GetDirectoryName(model)!;
        var proto = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(model));
        foreach (var t in proto.Graph.Initializer.Where(t => t.ExternalData.Count > 0)) t.ExternalData.Single(e => e.Key == "location").Value = "b.onnx.data";
        File.Move(model + ".data", Path.Combine(dir, "b.onnx.data"));
        var a = Path.Combine(dir, "a.onnx");
        File.WriteAllBytes(a, Google.Protobuf.MessageExtensions.ToByteArray(proto));

        var (code, text) = CliRunner.Run("compress-weights", "--model", a, "--output", Path.Combine(dir, "b.onnx"), "--external-data");
        Assert.Equal(2, code);
        Assert.Contains("is the --model's external data", text);
        Assert.False(File.Exists(Path.Combine(dir, "b.onnx")));
    }
}
