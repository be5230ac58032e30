using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using PtqSharp.Cli;

namespace PtqSharp.Tests.Cli;

/// <summary>
/// <c>--json</c> prints one object on stdout and nothing else, valid against the command's published schema
/// (docs/json/); progress, notes and errors go to stderr; <c>--quiet</c> drops progress and notes.
/// </summary>
[Collection("cli")]
public class JsonOutputTests
{
    private static readonly string Sample = TestPaths.SampleModel;
    private static readonly string Calibration = Path.Combine(TestPaths.Sample, "calibration");
    private static readonly string Validation = Path.Combine(TestPaths.Sample, "validation");
    private static readonly string SchemaFolder = Path.Combine(TestPaths.RepoRoot, "docs", "json");

    [Fact]
    public void The_published_schemas_are_the_ones_the_result_types_give()
    {
        // PTQ_UPDATE_SCHEMAS=1 rewrites them after a deliberate change of a result type (a new schema version, then).
        bool update = Environment.GetEnvironmentVariable("PTQ_UPDATE_SCHEMAS") == "1";
        foreach (var command in JsonSchemas.Results.Keys)
        {
            var path = Path.Combine(SchemaFolder, $"ptq-{command}.schema.json");
            var generated = JsonSchemas.For(command).ToJsonString(ReportJson.Options) + "\n";
            if (update) File.WriteAllText(path, generated);
            Assert.True(File.Exists(path), $"{path} is missing; run the tests with PTQ_UPDATE_SCHEMAS=1");
            Assert.True(File.ReadAllText(path) == generated, $"{path} differs from the result types of '{command}': a changed schema needs a new version and PTQ_UPDATE_SCHEMAS=1");
        }
    }

    internal static JsonObject RunJson(string command, int expectedCode, params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.RunSplit([command, .. args, "--json"]);
        Assert.True(code == expectedCode, $"exit {code}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        var root = JsonNode.Parse(stdout)!.AsObject(); // one object and nothing else, or Parse throws
        Assert.Equal(code, root["exit_code"]!.GetValue<int>());
        Assert.Equal(command, root["command"]!.GetValue<string>());
        Assert.DoesNotContain("━", stderr); // no progress bars in JSON mode

        var schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(SchemaFolder, $"ptq-{command}.schema.json")));
        using var document = JsonDocument.Parse(stdout);
        var result = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, string.Join("\n", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
        return root;
    }

    [Fact]
    public void Quantize_prints_its_report_with_accuracy_and_layers()
    {
        var output = Path.Combine(TestPaths.NewTempDir(), "m.int8.onnx");
        var root = RunJson("quantize", 0, "--model", Sample, "--data", Calibration, "--mean", "72.9", "--scale", "90", "--subset-size", "60", "--hold-out", "20",
            "--latency-aware", "false", "--validation", Validation, "--report", "--output", output);
        var result = root["result"]!;
        Assert.Equal(output, result["output"]!.GetValue<string>());
        Assert.Equal(7, result["report"]!["quantized_ops"]!.GetValue<int>());
        Assert.True(result["report"]!["hold_out_agreement"]!["mean_cosine"]!.GetValue<double>() > 0.99);
        Assert.Equal(500, result["accuracy"]!["samples"]!.GetValue<int>());
        Assert.NotEmpty(result["layers"]!["tensors"]!.AsArray());
        Assert.True(File.Exists(result["layers_csv"]!.GetValue<string>()));
    }

    [Fact]
    public void Errors_are_an_object_with_the_exit_code_and_a_message_on_stderr_too()
    {
        var root = RunJson("quantize", 2, "--model", "missing.onnx", "--data", Calibration, "--output", Path.Combine(TestPaths.NewTempDir(), "o.onnx"));
        Assert.Contains("missing.onnx", root["error"]!.GetValue<string>());
        Assert.Null(root["result"]);

        root = RunJson("quantize", 1, "--no-such-option");
        Assert.Contains("--no-such-option", root["error"]!.GetValue<string>());

        var (code, stdout, stderr) = CliRunner.RunSplit("inspect", "missing.onnx");
        Assert.Equal(2, code);
        Assert.Equal("", stdout); // a pipeline reading stdout sees no error text
        Assert.Contains("error:", stderr);
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public void Accuracy_aware_quantization_prints_its_search()
    {
        var output = Path.Combine(TestPaths.NewTempDir(), "m.int8.onnx");
        var root = RunJson("quantize", 0, "--model", Sample, "--data", Calibration, "--mean", "72.9", "--scale", "90", "--subset-size", "60", "--hold-out", "20",
            "--latency-aware", "false", "--method", "accuracy-aware", "--validation", Validation, "--metric", "cosine", "--max-drop", "0.0001", "--output", output);
        Assert.Equal(4, root["result"]!["outputs"]!.AsArray().Count);
        Assert.True(root["result"]!["accuracy_control"]!["bound_met"]!.GetValue<bool>());
    }

    [Fact]
    public void Inspect_devices_benchmark_evaluate_and_debug_print_their_results()
    {
        Assert.Equal(7, RunJson("inspect", 0, Sample)["result"]!["info"]!["quantized_ops"]!.GetValue<int>());
        Assert.Contains(RunJson("devices", 0)["result"]!["devices"]!.AsArray(), d => d!["name"]!.GetValue<string>() == "GNA");

        var quantized = Path.Combine(TestPaths.NewTempDir(), "q.onnx");
        Assert.Equal(0, CliRunner.Run("quantize", "--model", Sample, "--data", Calibration, "--mean", "72.9", "--scale", "90", "--subset-size", "30", "--hold-out", "0",
            "--latency-aware", "false", "--output", quantized).ExitCode);
        Assert.NotEmpty(RunJson("inspect", 0, quantized)["result"]!["info"]!["quantizers"]!.AsArray());

        var bench = RunJson("benchmark", 0, "--model", quantized, "--compare", Sample, "--runs", "5", "--warmup", "1")["result"]!;
        Assert.Equal(2, bench["models"]!.AsArray().Count);
        Assert.True(bench["median_ratio"]!.GetValue<double>() > 0);
        Assert.Equal("synthetic", bench["input"]!.GetValue<string>());

        // benchmark_app's ways: a real input (preprocessed as the quantized model recorded), a time bound, requests in flight, the slowest ops.
        bench = RunJson("benchmark", 0, "--model", quantized, "--compare", Sample, "--data", Validation, "-t", "0.3", "--concurrency", "2", "--threads", "1", "--profile", "3")["result"]!;
        Assert.EndsWith(".png", bench["input"]!.GetValue<string>());
        Assert.Equal(0.3, bench["duration_seconds"]!.GetValue<double>());
        Assert.Equal(2, bench["concurrency"]!.GetValue<int>());
        Assert.All(bench["slowest_ops"]!.AsArray(), ops => Assert.Equal(3, ops!.AsArray().Count));

        var evaluation = RunJson("evaluate", 0, "--model", quantized, "--compare", Sample, "--data", Validation, "--mean", "72.9", "--scale", "90", "--metric", "top1")["result"]!;
        Assert.InRange(evaluation["drop"]!.GetValue<double>(), -0.02, 0.02);

        var debug = RunJson("debug", 0, "--model", Sample, "--quantized", quantized, "--data", Calibration, "--mean", "72.9", "--scale", "90", "--samples", "5")["result"]!;
        Assert.NotEmpty(debug["layers"]!["tensors"]!.AsArray());
    }

    [Fact]
    public void Quiet_keeps_results_on_stdout_and_drops_progress_and_notes()
    {
        var output = Path.Combine(TestPaths.NewTempDir(), "m.int8.onnx");
        string[] args = ["quantize", "--model", Sample, "--data", Calibration, "--mean", "72.9", "--scale", "90", "--subset-size", "30", "--hold-out", "10", "--latency-aware", "false", "--output", output];
        var (code, stdout, stderr) = CliRunner.RunSplit(args);
        Assert.Equal(0, code);
        Assert.Contains("Quantizing", stderr);
        Assert.Contains("Ops quantized", stdout);
        Assert.DoesNotContain("Quantizing", stdout);

        (code, stdout, stderr) = CliRunner.RunSplit([.. args, "--quiet"]);
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Contains("Ops quantized", stdout);
    }
}
