using System.Text.Json;

namespace PtqSharp.Tests.Cli;

/// <summary>
/// POT's own templates and specifications (PotConfigs/, only paths changed) through <c>ptq quantize -c</c>:
/// every key POT documents is read; what maps onto PtqSharp is honoured, what cannot be is warned about,
/// and the Accuracy Checker engine is refused with a message that says what to use instead.
/// </summary>
[Collection("cli")]
public class PotTemplateTests
{
    private static string Template(string name) => Path.Combine(TestPaths.RepoRoot, "tests", "PtqSharp.Tests", "Cli", "PotConfigs", name);

    /// <summary>A copy of a template beside the original (so its relative paths hold) with some non-path placeholders filled in.</summary>
    private static string Filled(string name, params (string Placeholder, string Value)[] values)
    {
        var text = File.ReadAllText(Template(name));
        foreach (var (placeholder, value) in values) text = text.Replace(placeholder, value);
        var path = Template($"filled-{Guid.NewGuid():N}-{name}");
        File.WriteAllText(path, text);
        return path;
    }

    private static JsonElement Params(string printed) =>
        JsonDocument.Parse(printed[printed.IndexOf('{')..]).RootElement.GetProperty("compression").GetProperty("algorithms")[0].GetProperty("params");

    [Fact]
    public void The_simplified_mode_template_quantizes_the_sample()
    {
        var output = Path.Combine(TestPaths.NewTempDir(), "simplified.onnx");
        var (code, text) = CliRunner.Run("quantize", "-c", Template("simplified_mode_template.json"), "--output", output, "--mean", "72.9", "--scale", "90", "--latency-aware", "false");
        Assert.True(code == 0, text);
        Assert.Contains("ANY / performance", text);
        Assert.Contains("300 samples", text);
        Assert.Contains("model.weights is an OpenVINO IR weights file", text);
        Assert.True(File.Exists(output));
    }

    [Fact]
    public void The_default_quantization_spec_is_read_whole_and_its_placeholders_are_named()
    {
        // As shipped (paths changed), the ignored scope still names <NODE_NAME> and <NODE_TYPE>: an error naming them.
        var (code, text) = CliRunner.Run("quantize", "-c", Template("default_quantization_spec.json"), "--output", Path.Combine(TestPaths.NewTempDir(), "spec.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("ignored name '<NODE_NAME>' matches no node", text);
        Assert.Contains("ignored operation '<NODE_TYPE>' matches no node", text);
        Assert.DoesNotContain("not a known key", text);

        // Filled with the sample's names, it runs, and every key it sets shows in the effective config.
        var filled = Filled("default_quantization_spec.json", ("<NODE_NAME>", "/fc/Gemm"), ("<NODE_TYPE>", "Conv"), ("\"<NAME>\": \"<VALUE>\"", "\"group\": 1"));
        try
        {
            (code, text) = CliRunner.Run("quantize", "-c", filled, "--print-config");
            Assert.True(code == 0, text);
            var p = Params(text);
            Assert.Equal("mixed", p.GetProperty("preset").GetString());
            Assert.Equal(100, p.GetProperty("stat_subset_size").GetInt32());
            Assert.False(p.GetProperty("shuffle_data").GetBoolean());
            Assert.Equal("quantile", p.GetProperty("range_estimator").GetProperty("activations").GetProperty("type").GetString());
            Assert.Equal(0, p.GetProperty("range_estimator").GetProperty("activations").GetProperty("clip_min").GetDouble());
            Assert.Equal(6, p.GetProperty("range_estimator").GetProperty("activations").GetProperty("clip_max").GetDouble());
            Assert.Equal("quantile", p.GetProperty("range_estimator").GetProperty("weights").GetProperty("type").GetString());
            Assert.Equal(-127, p.GetProperty("weights").GetProperty("level_low").GetInt32());
            Assert.Equal("Conv", p.GetProperty("ignored").GetProperty("operations")[1].GetProperty("type").GetString());
            Assert.Contains("engine.stat_requests_number, engine.eval_requests_number, engine.config, engine.name, engine.launchers, engine.datasets are for POT's Accuracy Checker engine", text);

            var output = Path.Combine(TestPaths.NewTempDir(), "spec.onnx");
            (code, text) = CliRunner.Run("quantize", "-c", filled, "--output", output, "--latency-aware", "false");
            Assert.True(code == 0, text);
            Assert.Contains("100 samples", text);
            // ANY allows only asymmetric activations: the spec's symmetric ones are not honoured, and it says so.
            Assert.Contains("params.activations (8 bits, symmetric, per tensor) is not fully honoured", text);
            Assert.Contains("Conv 0/4", text); // every Conv has group 1: the ignored operation with attributes matched them
            Assert.Contains("/fc/Gemm (Gemm): in the ignored scope", text);
        }
        finally
        {
            File.Delete(filled);
        }
    }

    [Fact]
    public void The_accuracy_checker_engine_is_refused_with_what_to_use_instead()
    {
        foreach (var name in new[] { "accuracy_aware_quantization_spec.json", "accuracy_aware_quantization_template.json" })
        {
            var (code, text) = CliRunner.Run("quantize", "-c", Template(name), "--output", Path.Combine(TestPaths.NewTempDir(), "aa.onnx"));
            Assert.Equal(2, code);
            Assert.Contains("engine uses POT's Accuracy Checker engine (", text);
            Assert.Contains("engine.config", text);
            Assert.Contains("set \"type\": \"simplified\"", text);
        }
    }

    [Fact]
    public void The_accuracy_aware_spec_with_a_simplified_engine_controls_top1_against_its_baseline_value()
    {
        var engine = $$"""
            "engine": { "type": "simplified", "data_source": "../../../../samples/fashion-mnist/calibration", "validation": "../../../../samples/fashion-mnist/validation", "mean": 72.9, "scale": 90 },
            """;
        var original = File.ReadAllText(Template("accuracy_aware_quantization_spec.json"));
        int start = original.IndexOf("\"engine\": {", StringComparison.Ordinal), end = original.IndexOf("/* Optimization hyperparameters */", StringComparison.Ordinal);
        var filled = Filled("accuracy_aware_quantization_spec.json", (original[start..end], engine + "\n\n    "), ("<NODE_NAME>", "/fc/Gemm"), ("<NODE_TYPE>", "MaxPool"), ("\"<NAME>\": \"<VALUE>\"", "\"ceil_mode\": 0"));
        try
        {
            var output = Path.Combine(TestPaths.NewTempDir(), "aa.onnx");
            var (code, text) = CliRunner.Run("quantize", "-c", filled, "--output", output, "--latency-aware", "false");
            Assert.True(code == 0, text);
            Assert.Contains("top1 on 500 validation samples, max drop 0.005", text);
            Assert.Contains("FP32 0.7200", text); // POT's baseline_value replaces the measured 0.878
            Assert.Contains("use_prev_if_drop_increase false is not honoured", text);
            Assert.Contains("metric_subset_ratio is not honoured", text);
            Assert.True(File.Exists(output));
        }
        finally
        {
            File.Delete(filled);
        }
    }
}
