using System.CommandLine;
using PtqSharp.AccuracyControl;
using PtqSharp.Cli.Config;
using PtqSharp.Data;
using PtqSharp.Evaluation;

namespace PtqSharp.Cli;

/// <summary>Options of <c>--method accuracy-aware</c> (POT's AccuracyAwareQuantization parameters).</summary>
internal sealed class AccuracyOptions
{
    public Option<string> Method { get; } = new("--method") { Description = "default (Default Quantization) or accuracy-aware (keep the metric drop within --max-drop by reverting ops to float).", DefaultValueFactory = _ => "default" };

    public Option<string> Metric { get; } = new("--metric") { Description = "Metric for accuracy-aware: top1, top5 (labeled --validation), top1-agreement or cosine (agreement with FP32; --validation may be unlabeled).", DefaultValueFactory = _ => "top1" };

    public Option<double> MaxDrop { get; } = new("--max-drop") { Description = "Largest accepted metric drop (0.01 = 1 point of accuracy when absolute).", DefaultValueFactory = _ => 0.01 };

    public Option<string> DropType { get; } = new("--drop-type") { Description = "absolute (baseline - quantized) or relative (divided by the baseline).", DefaultValueFactory = _ => "absolute" };

    public Option<int> RankingSubsetSize { get; } = new("--ranking-subset-size") { Description = "Validation samples, those degraded most, on which ops are ranked.", DefaultValueFactory = _ => 300 };

    public Option<int> MaxIter { get; } = new("--max-iter") { Description = "Most evaluations of a model with one more op in float.", DefaultValueFactory = _ => 30 };

    public Option<bool> ConvertToMixedPreset { get; } = new("--convert-to-mixed-preset") { Description = "Try the mixed preset before reverting any op." };

    public IEnumerable<Option> All => [Method, Metric, MaxDrop, DropType, RankingSubsetSize, MaxIter, ConvertToMixedPreset];

    /// <summary>Applies the options given on the command line over <paramref name="s"/>.</summary>
    public QuantizeSettings Apply(ParseResult r, QuantizeSettings s)
    {
        bool Given(Option o) => DataOptions.Given(r, o);
        var c = s.Control;
        return s with
        {
            AccuracyAware = Given(Method) ? ParseMethod(r.GetValue(Method)!) : s.AccuracyAware,
            Metric = Given(Metric) ? QuantizeSettings.CheckMetric(r.GetValue(Metric)!, "--metric") : s.Metric,
            Control = c with
            {
                MaxDrop = Given(MaxDrop) ? r.GetValue(MaxDrop) : c.MaxDrop,
                DropType = Given(DropType) ? DataOptions.ParseEnum<DropType>(r.GetValue(DropType)!, "--drop-type") : c.DropType,
                RankingSubsetSize = Given(RankingSubsetSize) ? r.GetValue(RankingSubsetSize) : c.RankingSubsetSize,
                MaxIterations = Given(MaxIter) ? r.GetValue(MaxIter) : c.MaxIterations,
                ConvertToMixedPreset = Given(ConvertToMixedPreset) ? r.GetValue(ConvertToMixedPreset) : c.ConvertToMixedPreset,
            },
        };
    }

    private static bool ParseMethod(string method) => method.ToLowerInvariant() switch
    {
        "default" => false,
        "accuracy-aware" or "accuracyaware" => true,
        _ => throw new PtqException($"--method '{method}' is not one of: default, accuracy-aware."),
    };

    public static bool NeedsLabels(string metric) => metric is "top1" or "top5";

    public static AccuracyMetric Create(string metric, Dataset validation) => metric switch
    {
        "top1" => AccuracyMetric.Top1((LabeledDataset)validation),
        "top5" => AccuracyMetric.Top5((LabeledDataset)validation),
        "top1-agreement" => AccuracyMetric.Top1Agreement,
        _ => AccuracyMetric.Cosine,
    };
}
