namespace PtqSharp.Tests.Cli;

[Collection("cli")]
public class BenchmarkEvaluateCommandTests
{
    private static readonly string Validation = Path.Combine(TestPaths.Sample, "validation");

    private static string QuantizedSample()
    {
        var output = Path.Combine(TestPaths.NewTempDir(), "s.int8.onnx");
        var (code, text) = CliRunner.Run("quantize", "--model", TestPaths.SampleModel, "--data", Path.Combine(TestPaths.Sample, "calibration"),
            "--mean", "72.9", "--scale", "90", "--subset-size", "50", "--hold-out", "0", "--output", output, "--latency-aware", "false");
        Assert.True(code == 0, text);
        return output;
    }

    [Fact]
    public void Benchmark_times_a_pair_side_by_side()
    {
        var (code, text) = CliRunner.Run("benchmark", "--model", QuantizedSample(), "--compare", TestPaths.SampleModel, "--runs", "5", "--warmup", "1", "--batch-size", "4");
        Assert.True(code == 0, text);
        Assert.Contains("latency, median", text);
        Assert.Contains("latency, p90", text);
        Assert.Contains("samples/s", text);
        Assert.Contains("s.int8.onnx / model.onnx", text);
        Assert.Contains("batch 4", text);
    }

    [Fact]
    public void Benchmark_names_a_bad_shape()
    {
        var (code, text) = CliRunner.Run("benchmark", "--model", TestPaths.SampleModel, "--shape", "image=1xbig");
        Assert.Equal(2, code);
        Assert.Contains("--shape 'image=1xbig'", text);
    }

    [Fact]
    public void Evaluate_scores_one_model_or_a_pair_with_the_drop()
    {
        var int8 = QuantizedSample();
        var (code, text) = CliRunner.Run("evaluate", "--model", int8, "--compare", TestPaths.SampleModel, "--data", Validation, "--mean", "72.9", "--scale", "90", "--metric", "top5");
        Assert.True(code == 0, text);
        Assert.Contains("top5", text);
        Assert.Contains("drop", text);
        Assert.Contains("500 samples", text);

        (code, text) = CliRunner.Run("evaluate", "--model", int8, "--data", Validation, "--mean", "72.9", "--scale", "90", "--metric", "cosine");
        Assert.Equal(2, code);
        Assert.Contains("give it with --compare", text);

        (code, text) = CliRunner.Run("evaluate", "--model", int8, "--compare", TestPaths.SampleModel, "--data", Validation, "--mean", "72.9", "--scale", "90", "--metric", "cosine");
        Assert.True(code == 0, text);
        Assert.Matches(@"│ (0\.99\d\d|1\.0000) │", text); // a cosine near 1
    }

    [Fact]
    public void Quantize_report_and_debug_list_the_worst_tensors_and_write_a_csv()
    {
        var output = Path.Combine(TestPaths.NewTempDir(), "r.int8.onnx");
        var (code, text) = CliRunner.Run("quantize", "--model", TestPaths.SampleModel, "--data", Path.Combine(TestPaths.Sample, "calibration"),
            "--mean", "72.9", "--scale", "90", "--subset-size", "50", "--hold-out", "10", "--output", output, "--report", "--latency-aware", "false");
        Assert.True(code == 0, text);
        Assert.Contains("quantized tensors (10 samples", text);
        var csv = Path.Combine(Path.GetDirectoryName(output)!, "r.int8.layers.csv");
        Assert.Contains(",weight,", File.ReadAllText(csv));

        (code, text) = CliRunner.Run("debug", "--model", TestPaths.SampleModel, "--quantized", output, "--data", Validation, "--mean", "72.9", "--scale", "90", "--samples", "8");
        Assert.True(code == 0, text);
        Assert.Contains("(8 samples", text);
        Assert.Contains("activation", text);
    }
}
