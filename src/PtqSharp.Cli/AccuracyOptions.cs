using System.CommandLine;
using PtqSharp.AccuracyControl;
using PtqSharp.Data;
using PtqSharp.Evaluation;

namespace PtqSharp.Cli;

/// <summary>Options of <c>--method accuracy-aware</c> (POT's AccuracyAwareQuantization parameters).</summary>
internal sealed class AccuracyOptions
{
    public static readonly string[] Metrics = ["top1", "top5", "top1-agreement", "cosine"];

    public Option<string> Method { get; } = new("--method") { Description = "default (Default Quantization) or accuracy-aware (keep the metric drop within --max-drop by reverting ops to float).", DefaultValueFactory = _ => "default" };

    public Option<string> Metric { get; } = new("--metric") { Description = "Metric for accuracy-aware: top1, top5 (labeled --validation), top1-agreement or cosine (agreement with FP32; --validation may be unlabeled).", DefaultValueFactory = _ => "top1" };

    public Option<double> MaxDrop { get; } = new("--max-drop") { Description = "Largest accepted metric drop (0.01 = 1 point of accuracy when absolute).", DefaultValueFactory = _ => 0.01 };

    public Option<string> DropType { get; } = new("--drop-type") { Description = "absolute (baseline - quantized) or relative (divided by the baseline).", DefaultValueFactory = _ => "absolute" };

    public Option<int> RankingSubsetSize { get; } = new("--ranking-subset-size") { Description = "Validation samples, those degraded most, on which ops are ranked.", DefaultValueFactory = _ => 300 };

    public Option<int> MaxIter { get; } = new("--max-iter") { Description = "Most evaluations of a model with one more op in float.", DefaultValueFactory = _ => 30 };

    public Option<bool> ConvertToMixedPreset { get; } = new("--convert-to-mixed-preset") { Description = "Try the mixed preset before reverting any op." };

    public IEnumerable<Option> All => [Method, Metric, MaxDrop, DropType, RankingSubsetSize, MaxIter, ConvertToMixedPreset];

    public bool IsAccuracyAware(ParseResult r) => r.GetValue(Method)!.ToLowerInvariant() switch
    {
        "default" => false,
        "accuracy-aware" or "accuracyaware" => true,
        var m => throw new PtqException($"--method '{m}' is not one of: default, accuracy-aware."),
    };

    public AccuracyControlOptions Options(ParseResult r) => new()
    {
        MaxDrop = r.GetValue(MaxDrop),
        DropType = DataOptions.ParseEnum<DropType>(r.GetValue(DropType)!, "--drop-type"),
        RankingSubsetSize = r.GetValue(RankingSubsetSize),
        MaxIterations = r.GetValue(MaxIter),
        ConvertToMixedPreset = r.GetValue(ConvertToMixedPreset),
    };

    public string MetricName(ParseResult r)
    {
        var name = r.GetValue(Metric)!.ToLowerInvariant();
        return Metrics.Contains(name) ? name : throw new PtqException($"--metric '{name}' is not one of: {string.Join(", ", Metrics)}.");
    }

    public static bool NeedsLabels(string metric) => metric is "top1" or "top5";

    public static AccuracyMetric Create(string metric, Dataset validation) => metric switch
    {
        "top1" => AccuracyMetric.Top1((LabeledDataset)validation),
        "top5" => AccuracyMetric.Top5((LabeledDataset)validation),
        "top1-agreement" => AccuracyMetric.Top1Agreement,
        _ => AccuracyMetric.Cosine,
    };
}
