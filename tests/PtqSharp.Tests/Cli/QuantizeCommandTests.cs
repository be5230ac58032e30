using PtqSharp.Quantization;
using PtqSharp.Onnx;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Cli;

[Collection("cli")]
public class QuantizeCommandTests
{
    private static readonly string Model = TestPaths.SampleModel;
    private static readonly string Calibration = Path.Combine(TestPaths.Sample, "calibration");
    private static readonly string Validation = Path.Combine(TestPaths.Sample, "validation");

    private static (int Code, string Output, string OutPath) Quantize(params string[] extra)
    {
        var outPath = Path.Combine(TestPaths.NewTempDir(), "out.onnx");
        // What the sample's INT8 model contains; latency-aware quantization decides from timings, so it is off here and tested on its own.
        var args = new List<string> { "quantize", "--output", outPath, "--latency-aware", "false" };
        if (!extra.Contains("--model")) args.AddRange(["--model", Model]);
        args.AddRange(extra);
        var (code, output) = CliRunner.Run(args.ToArray());
        return (code, output, outPath);
    }

    private static void AssertFailed((int Code, string Output, string OutPath) r, params string[] mentions)
    {
        Assert.Equal(2, r.Code);
        Assert.Contains("error:", r.Output);
        foreach (var m in mentions) Assert.Contains(m, r.Output);
        Assert.False(File.Exists(r.OutPath), "no output file may be written on failure");
    }

    [Fact]
    public void Quantizes_the_sample_and_reports_accuracy_agreement_and_kernels()
    {
        var r = Quantize("--data", Calibration, "--mean", "72.9", "--scale", "90", "--subset-size", "100", "--hold-out", "50",
            "--validation", Path.Combine(TestPaths.Sample, "validation"));
        Assert.True(r.Code == 0, r.Output);
        Assert.Contains("QLinearConv 4", r.Output);
        Assert.Contains("Top-1 accuracy (500 labeled samples)", r.Output);
        Assert.Contains("50 held-out samples", r.Output);
        Assert.NotNull(OnnxModelIO.Load(r.OutPath));
    }

    [Fact]
    public void Latency_aware_quantization_reports_how_it_measured_and_writes_nothing_when_no_int8_model_is_faster()
    {
        // On by default; whether INT8 beats FP32 on the sample depends on this machine, so both outcomes are checked for what they must show.
        var outPath = Path.Combine(TestPaths.NewTempDir(), "out.onnx");
        var (code, output) = CliRunner.Run("quantize", "--model", Model, "--data", Calibration, "--mean", "72.9", "--scale", "90",
            "--subset-size", "40", "--hold-out", "10", "--threads", "1", "--output", outPath);
        Assert.Contains("Latency (1 of", output);
        Assert.Contains("interleaved with FP32 on one calibration sample", output);
        if (code == 5)
        {
            Assert.Contains("No INT8 model was faster than FP32", output);
            Assert.False(File.Exists(outPath));
        }
        else
        {
            Assert.True(code == 0, output);
            Assert.Matches(@"INT8 [0-9.]+ ms: .*(of FP32)", output);
            Assert.True(File.Exists(outPath));
        }

        var (printed, config) = CliRunner.Run("quantize", "--model", Model, "--print-config", "--latency-aware", "false", "--threads", "3", "--allow-float-model");
        Assert.True(printed == 0, config);
        Assert.Contains("\"latency_aware\": false", config);
        Assert.Contains("\"threads\": 3", config);
        Assert.Contains("\"allow_float_model\": true", config);
    }

    [Fact]
    public void Not_an_onnx_file()
    {
        var bad = Path.Combine(TestPaths.NewTempDir(), "bad.onnx");
        File.WriteAllText(bad, "hello");
        AssertFailed(Quantize("--model", bad, "--data", Calibration), "bad.onnx", "not a valid ONNX model");
    }

    [Fact]
    public void Missing_data_folder()
    {
        AssertFailed(Quantize("--data", "/no/such/folder"), "/no/such/folder", "does not exist");
    }

    [Fact]
    public void Empty_data_folder()
    {
        var empty = TestPaths.NewTempDir();
        AssertFailed(Quantize("--data", empty), empty, "holds no images");
    }

    [Fact]
    public void Output_path_equal_to_input()
    {
        var copy = Path.Combine(TestPaths.NewTempDir(), "m.onnx");
        File.Copy(Model, copy);
        var before = File.ReadAllBytes(copy);
        var (code, output) = CliRunner.Run("quantize", "--model", copy, "--output", copy, "--data", Calibration);
        Assert.Equal(2, code);
        Assert.Contains("--output", output);
        Assert.Contains("is the --model", output);
        Assert.Equal(before, File.ReadAllBytes(copy));
    }

    [Fact]
    public void Outputs_reaching_an_input_through_a_link_a_companion_name_or_a_data_folder_are_refused_before_any_work()
    {
        var dir = TestPaths.NewTempDir();
        var model = Path.Combine(dir, "m.fully-quantized.onnx");
        File.Copy(Model, model);
        var before = File.ReadAllBytes(model);
        var link = Path.Combine(TestPaths.NewTempDir(), "link.onnx");
        File.CreateSymbolicLink(link, model);

        // Through a link to the model.
        var (code, output) = CliRunner.Run("quantize", "--model", model, "--output", link, "--data", Calibration, "--latency-aware", "false");
        Assert.Equal(2, code);
        Assert.Contains("is the --model", output);

        // A companion file of accuracy-aware quantization named like the model: m.onnx writes m.fully-quantized.onnx.
        (code, output) = CliRunner.Run("quantize", "--model", model, "--output", Path.Combine(dir, "m.onnx"), "--data", Calibration,
            "--method", "accuracy-aware", "--validation", Validation, "--latency-aware", "false");
        Assert.Equal(2, code);
        Assert.Contains("the accuracy-aware companion file", output);

        // Inside the calibration folder.
        var data = TestPaths.NewTempDir();
        foreach (var f in Directory.GetFiles(Calibration).Take(5)) File.Copy(f, Path.Combine(data, Path.GetFileName(f)));
        (code, output) = CliRunner.Run("quantize", "--model", model, "--output", Path.Combine(data, "out.onnx"), "--data", data, "--latency-aware", "false");
        Assert.Equal(2, code);
        Assert.Contains("is inside the --data folder", output);

        Assert.Equal(before, File.ReadAllBytes(model));
        Assert.False(File.Exists(Path.Combine(dir, "m.onnx")));
        Assert.False(File.Exists(Path.Combine(data, "out.onnx")));
    }

    [Fact]
    public void Sample_with_the_wrong_shape_names_the_file_the_input_and_both_shapes()
    {
        var dir = TestPaths.NewTempDir();
        File.WriteAllBytes(Path.Combine(dir, "s0.npy"), NpyTests.NpyBytes("<f4", [1, 1, 2, 2], NpyTests.Floats(1, 2, 3, 4)));
        AssertFailed(Quantize("--data", dir), "s0.npy", "'image'", "[1x1x2x2]", "[batchx1x28x28]");
    }

    [Fact]
    public void Sample_with_nan_names_the_file_and_input()
    {
        var dir = TestPaths.NewTempDir();
        var values = new float[28 * 28];
        values[5] = float.NaN;
        File.WriteAllBytes(Path.Combine(dir, "nan.npy"), NpyTests.NpyBytes("<f4", [1, 1, 28, 28], NpyTests.Floats(values)));
        AssertFailed(Quantize("--data", dir), "nan.npy", "'image'", "NaN");
    }

    [Fact]
    public void Bad_option_values_are_errors_listing_the_choices()
    {
        AssertFailed(Quantize("--data", Calibration, "--preset", "fastest"), "--preset 'fastest'", "performance, mixed");
        AssertFailed(Quantize("--data", Calibration, "--ignore-names", "conv9"), "'conv9' matches no node");
    }

    [Fact]
    public void Inspect_lists_inputs_opset_and_quantizable_ops()
    {
        var (code, output) = CliRunner.Run("inspect", Model);
        Assert.Equal(0, code);
        Assert.Contains("opset 13", output);
        Assert.Contains("image", output);
        Assert.Contains("7 ops would be quantized", output);
    }

    [Fact]
    public void Inspect_shows_the_quantizers_of_a_quantized_model()
    {
        var int8 = Path.Combine(TestPaths.NewTempDir(), "m.int8.onnx");
        Assert.Equal(0, CliRunner.Run("quantize", "--model", Model, "--data", Calibration, "--mean", "72.9", "--scale", "90", "--latency-aware", "false", "--output", int8).ExitCode);
        var info = ModelInspector.Inspect(OnnxModel.Load(int8));
        Assert.Equal(0, info.QuantizedOps); // nothing more would be quantized
        Assert.Equal(5, info.Quantizers.Count(q => q.Kind == "weight" && q.Type == "int8" && q.Axis == 0 && q.ZeroPoints is [0]));
        Assert.Equal(5, info.Quantizers.Count(q => q.Kind == "bias" && q.Type == "int32"));
        var input = Assert.Single(info.Quantizers, q => q.Tensor == "image"); // named by the float tensor it stands for
        Assert.Equal(("activation", "uint8", (int?)null, 1), (input.Kind, input.Type, input.Axis, input.Channels));
        Assert.True(input.ScaleMin > 0 && input.ScaleMin == input.ScaleMax);

        var (code, output) = CliRunner.Run("inspect", int8);
        Assert.Equal(0, code);
        Assert.Contains("Already quantized: 20 quantizers (5 weight int8, 5 bias int32, 10 activation uint8)", output);
        Assert.DoesNotContain("would be quantized", output);
        Assert.Empty(ModelInspector.Inspect(OnnxModel.Load(Model)).Quantizers);
    }
}
