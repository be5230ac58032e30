using System.Text.Json;
using PtqSharp.Onnx;

namespace PtqSharp.Tests.Cli;

[Collection("cli")]
public class ConfigFileTests
{
    private static string Write(string json)
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "config.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string SampleConfig(string output, string extraParams = "") => $$"""
        {
          "model": { "model_name": "fashion", "model": "{{TestPaths.SampleModel}}", "output": "{{output}}" },
          "engine": {
            "type": "simplified",
            "data_source": "{{Path.Combine(TestPaths.Sample, "calibration")}}",
            "mean": 72.9, "scale": [90],  // POT's simplified-mode preprocessing
          },
          "compression": {
            "target_device": "CPU",
            "algorithms": [
              { "name": "DefaultQuantization", "params": { "preset": "mixed", "stat_subset_size": 50, "hold_out": 10{{extraParams}} } }
            ]
          }
        }
        """;

    [Fact]
    public void Quantizes_from_a_pot_style_config_and_the_command_line_overrides_it()
    {
        var output = Path.Combine(TestPaths.NewTempDir(), "from-config.onnx");
        var config = Write(SampleConfig(output, ", \"latency_aware\": false"));
        var (code, text) = CliRunner.Run("quantize", "-c", config, "--target-device", "GPU");
        Assert.True(code == 0, text);
        Assert.Contains("GPU / mixed", text);
        Assert.Contains("50 samples", text);
        Assert.NotNull(OnnxModelIO.Load(output));
    }

    [Fact]
    public void Print_config_shows_every_setting_with_defaults_and_overrides()
    {
        var config = Write(SampleConfig("out.onnx", ", \"ignored\": { \"operations\": [ { \"type\": \"Gemm\" } ] }"));
        var (code, text) = CliRunner.Run("quantize", "-c", config, "--print-config", "--seed", "7", "--method", "accuracy-aware", "--max-drop", "0.005");
        Assert.True(code == 0, text);
        using var json = JsonDocument.Parse(text);
        var compression = json.RootElement.GetProperty("compression");
        Assert.Equal("CPU", compression.GetProperty("target_device").GetString());
        var algorithm = compression.GetProperty("algorithms")[0];
        Assert.Equal("AccuracyAwareQuantization", algorithm.GetProperty("name").GetString());
        var p = algorithm.GetProperty("params");
        Assert.Equal("mixed", p.GetProperty("preset").GetString());
        Assert.Equal(50, p.GetProperty("stat_subset_size").GetInt32());
        Assert.Equal(7, p.GetProperty("seed").GetInt32());
        Assert.Equal(0.005, p.GetProperty("maximal_drop").GetDouble());
        Assert.Equal(30, p.GetProperty("max_iter_num").GetInt32()); // a default
        Assert.Equal("first-layer", p.GetProperty("overflow_fix").GetString());
        Assert.Equal(0.95, p.GetProperty("smooth_quant_alpha").GetDouble(), 6);
        Assert.Equal("percentile", p.GetProperty("range_estimator").GetProperty("activations").GetProperty("type").GetString());
        Assert.Equal("Gemm", p.GetProperty("ignored").GetProperty("operations")[0].GetProperty("type").GetString());
        Assert.Equal(72.9, json.RootElement.GetProperty("engine").GetProperty("mean")[0].GetDouble(), 4);
        Assert.EndsWith("out.onnx", json.RootElement.GetProperty("model").GetProperty("output").GetString()); // relative to the config file
        Assert.StartsWith(Path.GetDirectoryName(config)!, json.RootElement.GetProperty("model").GetProperty("output").GetString());
    }

    [Theory]
    [InlineData("\"compression\": { \"target_devise\": \"CPU\" }", "compression.target_devise", "not a known key")]
    [InlineData("\"compression\": { \"target_device\": \"TPU\" }", "compression.target_device", "ANY, CPU, GPU, NPU, VPU, GNA, GNA3, CPU_SPR")]
    [InlineData("\"compression\": { \"algorithms\": [ { \"name\": \"MagicQuantization\" } ] }", "compression.algorithms[0].name", "DefaultQuantization, AccuracyAwareQuantization")]
    [InlineData("\"compression\": { \"algorithms\": [ { \"name\": \"DefaultQuantization\", \"params\": { \"preset\": \"fast\" } } ] }", "compression.algorithms[0].params.preset", "performance, mixed, accuracy")]
    [InlineData("\"compression\": { \"algorithms\": [ { \"name\": \"DefaultQuantization\", \"params\": { \"stat_subset_size\": \"many\" } } ] }", "compression.algorithms[0].params.stat_subset_size", "must be an integer")]
    [InlineData("\"engine\": { \"type\": \"accuracy_checker\" }", "engine.type", "simplified")]
    [InlineData("\"compression\": { \"model_type\": \"cnn\" }", "compression.model_type", "transformer")]
    public void A_bad_config_key_is_named(string section, string key, string problem)
    {
        var config = Write("{ " + section + " }");
        var (code, text) = CliRunner.Run("quantize", "-c", config, "--print-config");
        Assert.Equal(2, code);
        Assert.Contains("config.json", text);
        Assert.Contains(key, text);
        Assert.Contains(problem, text);
    }

    [Fact]
    public void Missing_model_data_or_output_say_where_to_give_them()
    {
        var (code, text) = CliRunner.Run("quantize", "--data", "x", "--output", "y.onnx");
        Assert.Equal(2, code);
        Assert.Contains("give --model, or model.model in the --config file", text);
    }

    [Fact]
    public void Devices_lists_every_device_and_shows_one_as_json_that_loads_back()
    {
        var (code, text) = CliRunner.Run("devices");
        Assert.Equal(0, code);
        foreach (var name in new[] { "ANY", "CPU", "GPU", "NPU", "GNA", "GNA3", "CPU_SPR" }) Assert.Contains(name, text);
        Assert.Contains("i16 sym", text);

        (code, text) = CliRunner.Run("devices", "--show", "GNA3");
        Assert.Equal(0, code);
        var path = Write(text);
        Assert.Equal("GNA3", PtqSharp.Hardware.HardwareConfig.Load(path).Name);

        var output = Path.Combine(TestPaths.NewTempDir(), "custom.onnx");
        (code, text) = CliRunner.Run("quantize", "--model", TestPaths.SampleModel, "--data", Path.Combine(TestPaths.Sample, "calibration"),
            "--subset-size", "20", "--hold-out", "5", "--hardware-config", path, "--output", output, "--latency-aware", "false");
        Assert.True(code == 0, text);
        Assert.Contains("GNA3", text);
        Assert.Contains(OnnxModelIO.Load(output).Graph.Node, n => n.Domain == "com.microsoft" && n.OpType == "QuantizeLinear");

        File.WriteAllText(path, "{ \"name\": \"x\" }");
        (code, text) = CliRunner.Run("devices", "--hardware-config", path);
        Assert.Equal(2, code);
        Assert.Contains("'activations' is missing", text);
    }

    [Fact]
    public void The_printed_config_reads_back_to_the_same_settings()
    {
        var config = Write(SampleConfig("out.onnx", ", \"ignored\": { \"operations\": [ { \"type\": \"Conv\", \"attributes\": { \"group\": 1 } } ] }, \"weights\": { \"level_low\": -128, \"level_high\": 127 }, \"use_fast_bias\": false"));
        var (code, first) = CliRunner.Run("quantize", "-c", config, "--print-config", "--method", "accuracy-aware", "--activation-range", "percentile");
        Assert.True(code == 0, first);
        var printed = Write(first);
        var (again, second) = CliRunner.Run("quantize", "-c", printed, "--print-config");
        Assert.True(again == 0, second);
        Assert.Equal(first, second);
        Assert.Contains("\"bias_correction\": \"full\"", first); // POT's use_fast_bias false is BiasCorrection
        Assert.Contains("\"level_low\": -128", first);
        Assert.Contains("\"group\": \"1\"", first);
    }

    [Theory]
    [InlineData("\"compression\": { \"algorithms\": [ { \"name\": \"DefaultQuantization\", \"params\": { \"range_estimator\": { \"activations\": { \"typ\": \"mse\" } } } } ] }",
        "params.range_estimator.activations.typ", "expected one of: type, aggregator, outlier_prob, percentile, clip_min, clip_max")]
    [InlineData("\"compression\": { \"algorithms\": [ { \"name\": \"DefaultQuantization\", \"params\": { \"activations\": { \"bits\": 4 } } } ] }", "params.activations.bits", "must be 8 or 16")]
    [InlineData("\"compression\": { \"algorithms\": [ { \"name\": \"DefaultQuantization\", \"params\": { \"activations\": { \"range_estimator\": { \"max\": { \"aggregator\": \"mode\" } } } } } ] }",
        "params.activations.range_estimator.max.aggregator", "hl_estimator")]
    [InlineData("\"compression\": { \"algorithms\": [ { \"name\": \"AccuracyAwareQuantization\", \"params\": { \"metrics\": [ { \"name\": \"map\" } ] } } ] }", "params.metrics[0].name", "not a metric PtqSharp computes")]
    [InlineData("\"compression\": { \"algorithms\": [ { \"name\": \"DefaultQuantization\", \"params\": { \"maximal_drop\": 0.01 } } ] }", "params.maximal_drop", "not a known key")]
    public void A_bad_pot_key_is_named_with_what_it_takes(string section, string key, string problem)
    {
        var (code, text) = CliRunner.Run("quantize", "-c", Write("{ " + section + " }"), "--print-config");
        Assert.Equal(2, code);
        Assert.Contains(key, text);
        Assert.Contains(problem, text);
    }

    [Fact]
    public void Pot_keys_that_cannot_be_honoured_are_read_with_a_warning()
    {
        var config = Write("""
            { "compression": { "dump_intermediate_model": true, "inplace_statistics": false, "algorithms": [ { "name": "AccuracyAwareQuantization", "params": {
                "use_layerwise_tuning": true, "tune_hyperparams": true, "annotation_free": true, "annotation_conf_threshold": 0.6,
                "saturation_fix": "no", "activations": { "range_estimator": { "min": { "type": "min", "aggregator": "min" }, "max": { "type": "quantile", "aggregator": "hl_estimator" } } } } } ] } }
            """);
        var (code, text) = CliRunner.Run("quantize", "-c", config, "--print-config");
        Assert.True(code == 0, text);
        foreach (var key in new[] { "dump_intermediate_model true is not honoured", "inplace_statistics false is not honoured", "use_layerwise_tuning true is not honoured", "tune_hyperparams true is not honoured", "annotation_free true: the metric becomes top1-agreement", "different estimator types" })
        {
            Assert.Contains(key, text);
        }

        var p = JsonDocument.Parse(text[text.IndexOf('{')..]).RootElement.GetProperty("compression").GetProperty("algorithms")[0].GetProperty("params");
        Assert.Equal("top1-agreement", p.GetProperty("metric").GetString());
        Assert.Equal("none", p.GetProperty("overflow_fix").GetString());
        Assert.Equal("quantile", p.GetProperty("range_estimator").GetProperty("activations").GetProperty("type").GetString());
        Assert.Equal("hodges-lehmann", p.GetProperty("range_estimator").GetProperty("activations").GetProperty("aggregator").GetString());
    }

    [Fact]
    public void Model_type_none_is_no_model_type_as_in_pot()
    {
        var (code, text) = CliRunner.Run("quantize", "-c", Write("{ \"compression\": { \"model_type\": \"None\" } }"), "--print-config");
        Assert.True(code == 0, text);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(text).RootElement.GetProperty("compression").GetProperty("model_type").ValueKind);
    }
}
