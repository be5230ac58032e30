using PtqSharp.Data;
using PtqSharp.Onnx;

namespace PtqSharp.Tests.Cli;

/// <summary>A quantized model records how its calibration images were preprocessed; evaluate and debug feed it the same way.</summary>
[Collection("cli")]
public class RecordedPreprocessingTests
{
    private static readonly string Calibration = Path.Combine(TestPaths.Sample, "calibration");
    private static readonly string Validation = Path.Combine(TestPaths.Sample, "validation");

    private static string QuantizedSample()
    {
        var output = Path.Combine(TestPaths.NewTempDir(), "q.onnx");
        var (code, text) = CliRunner.Run("quantize", "--model", TestPaths.SampleModel, "--data", Calibration, "--mean", "72.9", "--scale", "90",
            "--subset-size", "40", "--hold-out", "0", "--latency-aware", "false", "--output", output);
        Assert.True(code == 0, text);
        return output;
    }

    [Fact]
    public void The_quantized_model_records_its_image_preprocessing_and_settings()
    {
        var model = OnnxModel.Load(QuantizedSample());
        var recorded = ImagePreprocessing.FromModel(model);
        Assert.NotNull(recorded);
        Assert.Equal([72.9f], recorded.Mean);
        Assert.Equal([90f], recorded.Scale);
        Assert.Equal(28, recorded.Width);
        Assert.Contains(model.Proto.MetadataProps, p => p.Key == "ptq.settings" && p.Value.Contains("\"subset_size\":40"));
        Assert.Null(ImagePreprocessing.FromModel(OnnxModel.Load(TestPaths.SampleModel)));

        model.Proto.MetadataProps.Single(p => p.Key == "ptq.image_preprocessing").Value = "{\"mean\": \"x\"}";
        Assert.Contains("ptq.image_preprocessing", Assert.Throws<PtqException>(() => ImagePreprocessing.FromModel(model)).Message);
    }

    [Fact]
    public void Evaluate_reuses_the_recorded_preprocessing_and_warns_when_the_data_does_not_fit()
    {
        var quantized = QuantizedSample();
        var given = CliRunner.RunSplit("evaluate", "--model", quantized, "--data", Validation, "--metric", "top1", "--mean", "72.9", "--scale", "90");
        var recorded = CliRunner.RunSplit("evaluate", "--model", quantized, "--data", Validation, "--metric", "top1");
        Assert.Equal(0, recorded.ExitCode);
        Assert.Contains("Image preprocessing from the model's metadata: mean 72.9, scale 90", recorded.Stderr);
        Assert.Equal(given.Stdout, recorded.Stdout); // the same score, without being told the preprocessing again
        Assert.DoesNotContain("warning", recorded.Stderr);

        // Options override it: raw 0..255 pixels fall far outside what the input quantizer was calibrated for.
        var raw = CliRunner.RunSplit("evaluate", "--model", quantized, "--data", Validation, "--metric", "top1", "--mean", "0", "--scale", "1");
        Assert.Equal(0, raw.ExitCode);
        Assert.Contains("warning: Input 'image'", raw.Stderr);
        Assert.Contains("outside the range its quantizer was calibrated for", raw.Stderr);
    }

    [Fact]
    public void Debug_reuses_it_too()
    {
        var quantized = QuantizedSample();
        var (code, output) = CliRunner.Run("debug", "--model", TestPaths.SampleModel, "--quantized", quantized, "--data", Calibration, "--samples", "4");
        Assert.True(code == 0, output);
        Assert.Contains("Image preprocessing from the model's metadata", output);
        Assert.DoesNotContain("warning", output);
    }
}
