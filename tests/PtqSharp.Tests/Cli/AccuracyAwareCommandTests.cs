using System.Text.Json;
using PtqSharp.Onnx;

namespace PtqSharp.Tests.Cli;

[Collection("cli")]
public class AccuracyAwareCommandTests
{
    private static readonly string Calibration = Path.Combine(TestPaths.Sample, "calibration");
    private static readonly string Validation = Path.Combine(TestPaths.Sample, "validation");

    private static (int Code, string Output, string OutPath) Run(params string[] extra)
    {
        var outPath = Path.Combine(TestPaths.NewTempDir(), "m.int8.onnx");
        string[] args =
        [
            "quantize", "--model", TestPaths.SampleModel, "--data", Calibration, "--mean", "72.9", "--scale", "90",
            "--subset-size", "100", "--hold-out", "20", "--method", "accuracy-aware", "--output", outPath, "--latency-aware", "false", .. extra,
        ];
        var (code, output) = CliRunner.Run(args);
        return (code, output, outPath);
    }

    private static string Beside(string outPath, string suffix) => Path.Combine(Path.GetDirectoryName(outPath)!, "m.int8" + suffix);

    [Fact]
    public void Meets_the_bound_and_writes_the_model_the_fully_quantized_model_and_both_reports()
    {
        // Rounded to nearest, the 7-bit stem leaves a drop above the bound (GPTQ rounding takes the classifier to 0.99995).
        var r = Run("--validation", Validation, "--metric", "cosine", "--max-drop", "0.0001", "--ranking-subset-size", "100", "--first-layer-gptq", "false");
        Assert.True(r.Code == 0, r.Output);
        Assert.Contains("within the bound", r.Output);
        Assert.Contains("Default Quantization", r.Output);
        Assert.NotNull(OnnxModelIO.Load(r.OutPath));
        Assert.NotNull(OnnxModelIO.Load(Beside(r.OutPath, ".fully-quantized.onnx")));
        Assert.Contains("Reverted to float", File.ReadAllText(Beside(r.OutPath, ".accuracy.txt")));

        using var json = JsonDocument.Parse(File.ReadAllText(Beside(r.OutPath, ".accuracy.json")));
        Assert.True(json.RootElement.GetProperty("bound_met").GetBoolean());
        Assert.True(json.RootElement.GetProperty("final_drop").GetDouble() <= 0.0001);
        Assert.True(json.RootElement.GetProperty("iterations").GetArrayLength() >= 2);
        Assert.NotEqual(0, json.RootElement.GetProperty("reverted").GetArrayLength());
    }

    [Fact]
    public void An_unmet_bound_exits_with_its_own_code_and_still_writes_the_best_model()
    {
        var r = Run("--validation", Validation, "--metric", "top1", "--max-drop", "-0.5", "--max-iter", "1", "--ranking-subset-size", "50");
        Assert.True(r.Code == 2, r.Output); // a negative bound is bad input

        r = Run("--validation", Validation, "--metric", "cosine", "--max-drop", "0", "--max-iter", "1", "--ranking-subset-size", "50");
        Assert.True(r.Code == 4, r.Output);
        Assert.Contains("bound not met", r.Output);
        Assert.True(File.Exists(r.OutPath));
        Assert.True(File.Exists(Beside(r.OutPath, ".accuracy.json")));
    }

    [Fact]
    public void Labeled_metrics_read_class_folders_and_bad_choices_are_named()
    {
        var r = Run("--validation", Validation, "--metric", "top5", "--max-drop", "0.01");
        Assert.True(r.Code == 0, r.Output);
        Assert.Contains("top5 on 500 validation samples", r.Output);

        r = Run("--metric", "top1");
        Assert.Equal(2, r.Code);
        Assert.Contains("needs --validation", r.Output);
        Assert.False(File.Exists(r.OutPath));

        r = Run("--validation", Validation, "--metric", "f1");
        Assert.Equal(2, r.Code);
        Assert.Contains("--metric 'f1' is not one of: top1, top5, top1-agreement, cosine", r.Output);

        r = Run("--validation", Validation, "--drop-type", "percent");
        Assert.Equal(2, r.Code);
        Assert.Contains("--drop-type 'percent'", r.Output);
    }

    [Fact]
    public void A_bad_validation_sample_is_named_not_wrapped()
    {
        var dir = TestPaths.NewTempDir();
        File.WriteAllBytes(Path.Combine(dir, "v0.npy"), Data.NpyTests.NpyBytes("<f4", [1, 1, 28, 28], Data.NpyTests.Floats(new float[28 * 28])));
        File.WriteAllBytes(Path.Combine(dir, "v1.npy"), Data.NpyTests.NpyBytes("<f4", [1, 1, 2, 2], Data.NpyTests.Floats(1, 2, 3, 4)));
        var r = Run("--validation", dir, "--metric", "cosine");
        Assert.True(r.Code == 2, r.Output);
        Assert.Contains("v1.npy", r.Output);
        Assert.DoesNotContain("internal error", r.Output);
        Assert.False(File.Exists(r.OutPath));
    }
}
