using PtqSharp.AccuracyControl;
using PtqSharp.Evaluation;
using PtqSharp.Quantization;
using PtqSharp.Quantization.WeightCompression;

namespace PtqSharp.Cli;

// The "result" of each command's --json object, one record per command: the schema in code. Keys are these
// names in snake_case (ReportJson.Options); docs/json/*.schema.json is generated from these types, and a test
// fails when they change without the schema files.

/// <summary><c>ptq quantize</c> (Default Quantization).</summary>
internal sealed record QuantizeResult(string Output, QuantizationReport Report, ValidationAccuracy? Accuracy, string? LayersCsv, LayerErrorReport? Layers, string? Html);

/// <summary>Top-1 of the FP32 and INT8 models on <c>--validation</c>.</summary>
internal sealed record ValidationAccuracy(string Metric, int Samples, double Fp32, double Int8, double Drop);

/// <summary><c>ptq quantize --method accuracy-aware</c>: the files written and the search's report.</summary>
internal sealed record AccuracyAwareResult(IReadOnlyList<string> Outputs, AccuracyControlReport AccuracyControl, string? Html);

/// <summary>A quantize run that ended with exit code 5: what latency-aware quantization measured.</summary>
internal sealed record NotFasterResult(LatencyReport Latency);

/// <summary><c>ptq inspect</c>.</summary>
internal sealed record InspectResult(string Model, ModelInfo Info);

/// <summary><c>ptq devices</c>.</summary>
internal sealed record DevicesResult(IReadOnlyList<DeviceSummary> Devices);

/// <summary>One device's rules in brief: its quantizers, what each preset selects, the ops it quantizes.</summary>
internal sealed record DeviceSummary(string Name, string Description, IReadOnlyList<string> Activations, IReadOnlyList<string> Weights,
    IReadOnlyDictionary<string, PresetSelection> Presets, IReadOnlyList<string> Operations, bool OverflowFix);

/// <summary>The activation and weight quantizers a preset selects on a device, and the preset it amounts to there.</summary>
internal sealed record PresetSelection(string Activations, string Weights, string Effective);

/// <summary>
/// <c>ptq benchmark</c>: each model's figures, in the order timed (<c>--compare</c> first), the second's median over the
/// first's, the settings, and with <c>--profile</c> each model's slowest ops (same order as the models).
/// </summary>
internal sealed record BenchmarkResult(IReadOnlyList<BenchmarkedModel> Models, double? MedianRatio, int BatchSize, int Threads, int Concurrency,
    double? DurationSeconds, int Warmup, string Input, int Cores, IReadOnlyList<IReadOnlyList<OpTime>>? SlowestOps, string? Html);

/// <summary>One timed model; throughput is from the median latency; runs counts timed inferences.</summary>
internal sealed record BenchmarkedModel(string Path, long SizeBytes, double MedianMs, double P90Ms, double SamplesPerSecond, int Runs);

/// <summary><c>ptq evaluate</c>: the metric, the model's score and, with <c>--compare</c> on labeled data, the reference's score and the drop.</summary>
internal sealed record EvaluateResult(string Metric, int Samples, string Model, double Score, string? Reference, double? ReferenceScore, double? Drop);

/// <summary><c>ptq debug</c>: every quantized tensor's error, and where the CSV went.</summary>
internal sealed record DebugResult(string Csv, LayerErrorReport Layers, string? Html);

/// <summary><c>ptq compress-weights</c>: where the model went and the report of every compressed weight.</summary>
internal sealed record CompressWeightsResult(string Output, WeightCompressionReport Report);
