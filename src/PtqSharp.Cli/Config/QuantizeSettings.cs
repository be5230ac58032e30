using PtqSharp.AccuracyControl;
using PtqSharp.Data;
using PtqSharp.Quantization;

namespace PtqSharp.Cli.Config;

/// <summary>
/// Everything <c>ptq quantize</c> needs, built from defaults, then a POT-style config file, then
/// the options given on the command line, each overriding the one before (see <see cref="QuantizeOptions"/>).
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

    /// <summary>Also compute and write the per-tensor error report.</summary>
    public bool LayerReport { get; init; }

    public ImagePreprocessing Preprocessing { get; init; } = new();

    public QuantizationOptions Quantization { get; init; } = new();

    public AccuracyControlOptions Control { get; init; } = new();

    /// <summary>Whether the config file chose the simplified engine explicitly (engine.type).</summary>
    public bool SimplifiedEngine { get; init; }

    /// <summary>Accuracy Checker keys the config file holds (engine.config, launchers, datasets): refused unless the engine is simplified.</summary>
    public IReadOnlyList<string> AccuracyCheckerKeys { get; init; } = [];

    /// <summary>Keys read but not honoured, each with why: printed before the run.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public static readonly string[] Metrics = ["top1", "top5", "top1-agreement", "cosine"];

    public static bool NeedsLabels(string metric) => metric is "top1" or "top5";
}
