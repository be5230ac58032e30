using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PtqSharp.Hardware;
using PtqSharp.Quantization;

namespace PtqSharp.Cli.Config;

/// <summary>POT's <c>weights</c> or <c>activations</c> section: requirements on the quantizer and a range estimator.</summary>
internal sealed record QuantizerSection(QuantizerConstraints Constraints, RangeEstimator Estimator);

/// <summary>POT's ignored operations: types, and types restricted by attribute values.</summary>
internal sealed record IgnoredOperations(IReadOnlyList<string> Types, IReadOnlyList<IgnoredOperation> Operations);

/// <summary>The setting types of POT's structured keys, each reading every key POT documents for it.</summary>
internal static class PotSections
{
    private static readonly string[] SectionKeys = ["bits", "mode", "granularity", "level_low", "level_high", "range_estimator"];
    private static readonly string[] EstimatorKeys = ["preset", "min", "max"];
    private static readonly string[] BoundKeys = ["type", "aggregator", "outlier_prob", "clipping_value"];

    private static readonly (string Name, StatisticAggregator Value)[] Aggregators =
    [
        ("mean", StatisticAggregator.Mean), ("max", StatisticAggregator.Max), ("min", StatisticAggregator.Min), ("median", StatisticAggregator.Median),
        ("mean_no_outliers", StatisticAggregator.MeanNoOutliers), ("median_no_outliers", StatisticAggregator.MedianNoOutliers), ("hl_estimator", StatisticAggregator.HodgesLehmann),
    ];

    /// <summary>
    /// <c>weights</c> / <c>activations</c>: bits, mode and granularity become requirements the preset
    /// chooses within (an error when the device allows none); level_low/level_high set narrow range for
    /// 8-bit weights; the range estimator's preset or min/max estimators map onto a
    /// <see cref="RangeEstimator"/>.
    /// </summary>
    public static SettingType<QuantizerSection> Quantizer(bool weights) => new()
    {
        HelpName = "",
        FromText = (_, where) => throw new PtqException($"{where} is read from config files only."),
        FromJson = (e, current, ctx, path) => ReadQuantizer(e, current, ctx, path, weights),
        ToJson = v => v.Constraints.IsEmpty ? null : QuantizerJson(v.Constraints),
    };

    /// <summary>The requirements in POT's keys; narrow range as the 8-bit levels it means.</summary>
    private static JsonObject QuantizerJson(QuantizerConstraints c)
    {
        var result = new JsonObject();
        if (c.Bits is int bits) result["bits"] = bits;
        if (c.Mode is { } mode) result["mode"] = mode.ToString().ToLowerInvariant();
        if (c.Granularity is { } g) result["granularity"] = g == Granularity.PerChannel ? "perchannel" : "pertensor";
        if (c.NarrowRange is bool narrow)
        {
            result["level_low"] = narrow ? -127 : -128;
            result["level_high"] = 127;
        }

        return result;
    }

    private static QuantizerSection ReadQuantizer(JsonElement e, QuantizerSection current, ConfigContext ctx, string path, bool weights)
    {
        Object(e, ctx, path, SectionKeys);
        var c = current.Constraints;
        if (Get(e, "bits") is { } bits)
        {
            c = c with { Bits = bits.ValueKind == JsonValueKind.Number && bits.TryGetInt32(out var b) && b is 8 or 16 ? b : ctx.Fail<int>($"{path}.bits", "must be 8 or 16") };
        }

        if (Get(e, "mode") is { } mode)
        {
            c = c with
            {
                Mode = mode.GetString() switch
                {
                    "symmetric" => QuantizationMode.Symmetric,
                    "asymmetric" => QuantizationMode.Asymmetric,
                    _ => ctx.Fail<QuantizationMode>($"{path}.mode", "must be \"symmetric\" or \"asymmetric\""),
                },
            };
        }

        if (Get(e, "granularity") is { } granularity)
        {
            c = c with
            {
                Granularity = granularity.GetString() switch
                {
                    "pertensor" or "per_tensor" => Granularity.PerTensor,
                    "perchannel" or "per_channel" => Granularity.PerChannel,
                    _ => ctx.Fail<Granularity>($"{path}.granularity", "must be \"pertensor\" or \"perchannel\""),
                },
            };
        }

        int? low = Get(e, "level_low") is { } l ? (l.TryGetInt32(out var lv) ? lv : ctx.Fail<int>($"{path}.level_low", "must be an integer")) : null;
        int? high = Get(e, "level_high") is { } h ? (h.TryGetInt32(out var hv) ? hv : ctx.Fail<int>($"{path}.level_high", "must be an integer")) : null;
        if (low is not null || high is not null)
        {
            int n = c.Bits ?? 8, top = (1 << (n - 1)) - 1;
            if (weights && low == -top && (high ?? top) == top) c = c with { NarrowRange = true };
            else if (weights && low == -top - 1 && (high ?? top) == top) c = c with { NarrowRange = false };
            else if (weights || !(low is 0 or null && high == (1 << n) - 1 || low == -top - 1 && high == top))
            {
                ctx.Warn($"{path}.level_low", $"and level_high ({low}, {high}) are not honoured: PtqSharp uses the full {n}-bit range{(weights ? " or its narrow form (-127..127, 8 bits)" : "")} of the type the device's rules store.");
            }
        }

        var estimator = current.Estimator;
        if (Get(e, "range_estimator") is { } re) estimator = ReadEstimator(re, estimator, ctx, $"{path}.range_estimator", weights);
        return new QuantizerSection(c, estimator);
    }

    /// <summary>POT's range estimator: a preset, or estimators for the min and the max; when they disagree the max's wins, with a warning.</summary>
    private static RangeEstimator ReadEstimator(JsonElement e, RangeEstimator current, ConfigContext ctx, string path, bool weights)
    {
        Object(e, ctx, path, EstimatorKeys);
        var result = current;
        if (Get(e, "preset") is { } preset)
        {
            result = preset.GetString() switch
            {
                "quantile" => result with { Kind = RangeEstimatorKind.Quantile },
                "default" => result with { Kind = RangeEstimatorKind.MinMax },
                _ => ctx.Fail<RangeEstimator>($"{path}.preset", "must be \"quantile\" or \"default\""),
            };
        }

        var bounds = new List<(string Name, RangeEstimatorKind? Kind, StatisticAggregator? Aggregator, double? OutlierProb)>();
        foreach (var bound in new[] { "min", "max" })
        {
            if (Get(e, bound) is not { } b) continue;
            string at = $"{path}.{bound}";
            Object(b, ctx, at, BoundKeys);
            RangeEstimatorKind? kind = Get(b, "type") is { } t ? t.GetString() switch
            {
                "min" or "max" or "abs_max" => RangeEstimatorKind.MinMax,
                "quantile" or "abs_quantile" => RangeEstimatorKind.Quantile,
                _ => ctx.Fail<RangeEstimatorKind>($"{at}.type", "must be one of: min, max, abs_max, quantile, abs_quantile"),
            } : null;
            StatisticAggregator? aggregator = Get(b, "aggregator") is { } a
                ? Aggregators.FirstOrDefault(x => x.Name == a.GetString()) is { Name: not null } found ? found.Value : ctx.Fail<StatisticAggregator>($"{at}.aggregator", $"must be one of: {string.Join(", ", Aggregators.Select(x => x.Name))}")
                : null;
            double? outlier = Get(b, "outlier_prob") is { } o ? (o.ValueKind == JsonValueKind.Number ? o.GetDouble() : ctx.Fail<double>($"{at}.outlier_prob", "must be a number")) : null;
            if (Get(b, "clipping_value") is { } clip)
            {
                double value = clip.ValueKind == JsonValueKind.Number ? clip.GetDouble() : ctx.Fail<double>($"{at}.clipping_value", "must be a number");
                if (weights) ctx.Warn($"{at}.clipping_value", "is not honoured for weights: weight ranges come from the weights themselves.");
                else result = bound == "min" ? result with { ClipMin = value } : result with { ClipMax = value };
            }

            bounds.Add((bound, kind, aggregator, outlier));
        }

        // PtqSharp has one estimator per tensor kind; POT's min and max estimators usually agree.
        T? Pick<T>(Func<(string Name, RangeEstimatorKind? Kind, StatisticAggregator? Aggregator, double? OutlierProb), T?> field, string what) where T : struct
        {
            var given = bounds.Where(x => field(x) is not null).ToList();
            if (given.Select(x => field(x)).Distinct().Count() > 1) ctx.Warn(path, $"gives the min and max different {what}; PtqSharp uses one estimator for both, the max's.");
            return given.Count == 0 ? null : field(given[^1]);
        }

        if (Pick(x => x.Kind, "estimator types") is { } k) result = result with { Kind = k };
        if (Pick(x => x.Aggregator, "aggregators") is { } ag)
        {
            if (weights) ctx.Warn(path, "aggregator is not honoured for weights: they have one value per tensor, not per sample.");
            else result = result with { Aggregator = ag };
        }

        if (Pick(x => x.OutlierProb, "outlier probabilities") is { } p) result = result with { OutlierProb = p };
        return result;
    }

    /// <summary>POT's <c>ignored.operations</c>: <c>{ "type": ..., "attributes": { name: value } }</c> entries.</summary>
    public static SettingType<IgnoredOperations> Operations { get; } = new()
    {
        HelpName = "OP_TYPE",
        FromText = (text, _) => new IgnoredOperations([text], []),
        FromTexts = (items, _) => new IgnoredOperations(items.ToList(), []),
        FromJson = (e, _, ctx, path) =>
        {
            if (e.ValueKind != JsonValueKind.Array) ctx.Fail<int>(path, "must be a list of { \"type\": \"OpType\" } (with optional \"attributes\")");
            var types = new List<string>();
            var operations = new List<IgnoredOperation>();
            int i = 0;
            foreach (var op in e.EnumerateArray())
            {
                string at = $"{path}[{i++}]";
                Object(op, ctx, at, ["type", "attributes"]);
                var type = Get(op, "type") is { ValueKind: JsonValueKind.String } t ? t.GetString()! : ctx.Fail<string>($"{at}.type", "is missing; give the op type, e.g. \"Conv\"");
                if (Get(op, "attributes") is not { } attributes)
                {
                    types.Add(type);
                    continue;
                }

                Object(attributes, ctx, $"{at}.attributes", null);
                var values = attributes.EnumerateObject().ToDictionary(a => a.Name, a => a.Value.ValueKind switch
                {
                    JsonValueKind.String => a.Value.GetString()!,
                    JsonValueKind.Number => a.Value.GetRawText(),
                    JsonValueKind.True or JsonValueKind.False => a.Value.GetBoolean() ? "1" : "0",
                    _ => ctx.Fail<string>($"{at}.attributes.{a.Name}", "must be a number or a string (POT compares single values, not lists)"),
                });
                operations.Add(new IgnoredOperation(type, values));
            }

            return new IgnoredOperations(types, operations);
        },
        ToJson = v => new JsonArray(v.Types.Select(t => (JsonNode?)new JsonObject { ["type"] = t })
            .Concat(v.Operations.Select(o => (JsonNode?)new JsonObject { ["type"] = o.Type, ["attributes"] = new JsonObject(o.Attributes.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value))) }))
            .ToArray()),
        ToText = v => v.Types.Count == 0 ? null : string.Join(" ", v.Types),
    };

    /// <summary>The metric of an accuracy-aware run and a known baseline value (POT's <c>metrics</c>: a list of { name, baseline_value }).</summary>
    public static SettingType<(string Metric, double? Baseline)> Metrics { get; } = new()
    {
        HelpName = "",
        FromText = (_, where) => throw new PtqException($"{where} is read from config files only."),
        FromJson = (e, current, ctx, path) =>
        {
            if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() == 0) ctx.Fail<int>(path, "must be a list of { \"name\": ..., \"baseline_value\": ... }");
            if (e.GetArrayLength() > 1) ctx.Warn(path, "lists several metrics; PtqSharp controls one, the first.");
            var first = e[0];
            Object(first, ctx, $"{path}[0]", ["name", "baseline_value"]);
            var name = Get(first, "name")?.GetString() ?? ctx.Fail<string>($"{path}[0].name", "is missing");
            var metric = MetricName(name) ?? ctx.Fail<string>($"{path}[0].name", $"'{name}' is not a metric PtqSharp computes; use one of: {string.Join(", ", QuantizeSettings.Metrics)} (accuracy, accuracy@top1 and accuracy@top5 are read as top1 and top5)");
            double? baseline = Get(first, "baseline_value") is { } b ? (b.ValueKind == JsonValueKind.Number ? b.GetDouble() : ctx.Fail<double>($"{path}[0].baseline_value", "must be a number")) : current.Baseline;
            return (metric, baseline);
        },
        ToJson = v => v.Baseline is double b ? new JsonArray(new JsonObject { ["name"] = v.Metric, ["baseline_value"] = b }) : null,
    };

    /// <summary>POT and Accuracy Checker metric names onto PtqSharp's.</summary>
    public static string? MetricName(string name) => name.ToLowerInvariant() switch
    {
        "top1" or "top-1" or "accuracy" or "accuracy@top1" => "top1",
        "top5" or "top-5" or "accuracy@top5" => "top5",
        "top1-agreement" or "cosine" => name.ToLowerInvariant(),
        _ => null,
    };

    private static JsonElement? Get(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static void Object(JsonElement e, ConfigContext ctx, string path, string[]? known)
    {
        if (e.ValueKind != JsonValueKind.Object) ctx.Fail<int>(path, "must be a JSON object");
        if (known is null) return;
        foreach (var p in e.EnumerateObject().Where(p => !known.Contains(p.Name)))
        {
            ctx.Fail<int>($"{path}.{p.Name}", $"is not a known key; expected one of: {string.Join(", ", known)}");
        }
    }

    internal static string Invariant(double v) => v.ToString(CultureInfo.InvariantCulture);
}
