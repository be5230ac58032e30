using PtqSharp.AccuracyControl;
using PtqSharp.Data;
using PtqSharp.Quantization;

namespace PtqSharp.Cli.Config;

/// <summary>
/// Everything <c>ptq quantize</c> needs, built from defaults, then a POT-style config file, then
/// the options given on the command line, each overriding the one before.
/// </summary>
internal sealed record QuantizeSettings
{
    public string? ModelName { get; init; }

    public string? Model { get; init; }

    public string? Output { get; init; }

    public string? Data { get; init; }

    public string? Validation { get; init; }

    public string? Labels { get; init; }

    public string? HardwareConfig { get; init; }

    public bool AccuracyAware { get; init; }

    public string Metric { get; init; } = "top1";

    public ImagePreprocessing Preprocessing { get; init; } = new();

    public QuantizationOptions Quantization { get; init; } = new();

    public AccuracyControlOptions Control { get; init; } = new();

    public static readonly string[] Metrics = ["top1", "top5", "top1-agreement", "cosine"];

    public static string CheckMetric(string metric, string where) =>
        Metrics.Contains(metric.ToLowerInvariant())
            ? metric.ToLowerInvariant()
            : throw new PtqException($"{where} '{metric}' is not one of: {string.Join(", ", Metrics)}.");

    public static ModelType ParseModelType(string? modelType, string where) => modelType?.ToLowerInvariant() switch
    {
        null or "" or "default" => ModelType.Default,
        "transformer" => ModelType.Transformer,
        _ => throw new PtqException($"{where} '{modelType}' is not one of: transformer (or null for any other model)."),
    };
}
