using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PtqSharp.AccuracyControl;
using PtqSharp.Data;
using PtqSharp.Hardware;
using PtqSharp.Quantization;
using PtqSharp.Quantization.RangeEstimation;

namespace PtqSharp.Cli.Config;

/// <summary>
/// POT's configuration file: a <c>model</c> section, an <c>engine</c> section (data and
/// preprocessing) and a <c>compression</c> section with <c>target_device</c>, <c>model_type</c> and an
/// ordered <c>algorithms</c> list (DefaultQuantization, AccuracyAwareQuantization) with their
/// <c>params</c>. Comments and trailing commas are allowed; unknown keys are errors naming the key.
/// </summary>
internal static class PotConfig
{
    private static readonly string[] TopKeys = ["model", "engine", "compression"];
    private static readonly string[] ModelKeys = ["model_name", "model", "output"];
    private static readonly string[] EngineKeys = ["type", "data_source", "validation", "labels", "layout", "color", "mean", "scale", "image_size", "center_crop"];
    private static readonly string[] CompressionKeys = ["target_device", "model_type", "hardware_config", "algorithms"];
    private static readonly string[] AlgorithmKeys = ["name", "params"];
    private static readonly string[] DefaultParams = ["preset", "stat_subset_size", "stat_batch_size", "seed", "ignored", "overflow_fix", "bias_correction", "range_estimator", "smooth_quant_alpha", "hold_out"];
    private static readonly string[] AccuracyParams = ["metric", "maximal_drop", "drop_type", "ranking_subset_size", "max_iter_num", "convert_to_mixed_preset"];
    private static readonly string[] IgnoredKeys = ["scope", "patterns", "operations"];
    private static readonly string[] EstimatorKeys = ["type", "aggregator", "outlier_prob", "percentile"];

    /// <summary>Applies the file at <paramref name="path"/> over <paramref name="settings"/>.</summary>
    public static QuantizeSettings Load(string path, QuantizeSettings settings)
    {
        if (!File.Exists(path)) throw new PtqException($"Config file '{path}' does not exist.");
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new PtqException($"Config file '{path}' is not valid JSON (line {e.LineNumber + 1}): {e.Message}");
        }

        var r = new Reader(path);
        r.Object(root, "(top level)", TopKeys);
        var s = settings;
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string Resolve(string p) => Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(baseDir, p));

        if (r.Section(root, "model", ModelKeys) is { } model)
        {
            s = s with
            {
                ModelName = r.String(model, "model.model_name") ?? s.ModelName,
                Model = r.String(model, "model.model") is { } m ? Resolve(m) : s.Model,
                Output = r.String(model, "model.output") is { } o ? Resolve(o) : s.Output,
            };
        }

        if (r.Section(root, "engine", EngineKeys) is { } engine)
        {
            if (r.String(engine, "engine.type") is { } type && type != "simplified")
            {
                r.Fail("engine.type", $"is \"{type}\"; only \"simplified\" (data from a folder) is supported");
            }

            var p = s.Preprocessing;
            var (width, height) = r.String(engine, "engine.image_size") is { } size ? DataOptions.ParseImageSize(size, r.Key("engine.image_size")) : (p.Width, p.Height);
            s = s with
            {
                Data = r.String(engine, "engine.data_source") is { } d ? Resolve(d) : s.Data,
                Validation = r.String(engine, "engine.validation") is { } v ? Resolve(v) : s.Validation,
                Labels = r.String(engine, "engine.labels") is { } l ? Resolve(l) : s.Labels,
                Preprocessing = p with
                {
                    Width = width,
                    Height = height,
                    Layout = r.String(engine, "engine.layout") is { } layout ? DataOptions.ParseEnum<TensorLayout>(layout, r.Key("engine.layout")) : p.Layout,
                    ColorOrder = r.String(engine, "engine.color") is { } color ? DataOptions.ParseEnum<ColorOrder>(color, r.Key("engine.color")) : p.ColorOrder,
                    Mean = r.Floats(engine, "engine.mean") ?? p.Mean,
                    Scale = r.Floats(engine, "engine.scale") ?? p.Scale,
                    CenterCrop = r.Number(engine, "engine.center_crop") is { } crop ? (float)crop : p.CenterCrop,
                },
            };
        }

        if (r.Section(root, "compression", CompressionKeys) is { } compression)
        {
            var q = s.Quantization;
            if (r.String(compression, "compression.target_device") is { } device) q = q with { TargetDevice = TargetDeviceNames.Parse(device, r.Key("compression.target_device")) };
            if (compression.TryGetProperty("model_type", out var mt) && mt.ValueKind != JsonValueKind.Null)
            {
                q = q with { ModelType = QuantizeSettings.ParseModelType(r.String(compression, "compression.model_type"), r.Key("compression.model_type")) };
            }

            s = s with
            {
                Quantization = q,
                HardwareConfig = r.String(compression, "compression.hardware_config") is { } hw ? Resolve(hw) : s.HardwareConfig,
            };
            if (compression.TryGetProperty("algorithms", out var algorithms)) s = Algorithms(r, algorithms, s);
        }

        return s;
    }

    private static QuantizeSettings Algorithms(Reader r, JsonElement algorithms, QuantizeSettings s)
    {
        if (algorithms.ValueKind != JsonValueKind.Array) r.Fail("compression.algorithms", "must be a list of {\"name\": ..., \"params\": {...}}");
        int k = 0;
        bool accuracyAware = false;
        foreach (var algorithm in algorithms.EnumerateArray())
        {
            string at = $"compression.algorithms[{k++}]";
            r.Object(algorithm, at, AlgorithmKeys);
            var name = r.String(algorithm, $"{at}.name") ?? r.Fail<string>($"{at}.name", "is missing");
            var prms = algorithm.TryGetProperty("params", out var pr) ? pr : default;
            switch (name)
            {
                case "DefaultQuantization":
                    if (prms.ValueKind != JsonValueKind.Undefined) r.Object(prms, $"{at}.params", DefaultParams);
                    s = s with { Quantization = DefaultQuantizationParams(r, prms, $"{at}.params", s.Quantization) };
                    break;
                case "AccuracyAwareQuantization":
                    // POT's AccuracyAwareQuantization also takes the DefaultQuantization parameters.
                    if (prms.ValueKind != JsonValueKind.Undefined) r.Object(prms, $"{at}.params", [.. DefaultParams, .. AccuracyParams]);
                    accuracyAware = true;
                    s = s with
                    {
                        Quantization = DefaultQuantizationParams(r, prms, $"{at}.params", s.Quantization),
                        Metric = r.String(prms, $"{at}.params.metric") is { } metric ? QuantizeSettings.CheckMetric(metric, r.Key($"{at}.params.metric")) : s.Metric,
                        Control = s.Control with
                        {
                            MaxDrop = r.Number(prms, $"{at}.params.maximal_drop") ?? s.Control.MaxDrop,
                            DropType = r.String(prms, $"{at}.params.drop_type") is { } dt ? DataOptions.ParseEnum<DropType>(dt, r.Key($"{at}.params.drop_type")) : s.Control.DropType,
                            RankingSubsetSize = r.Int(prms, $"{at}.params.ranking_subset_size") ?? s.Control.RankingSubsetSize,
                            MaxIterations = r.Int(prms, $"{at}.params.max_iter_num") ?? s.Control.MaxIterations,
                            ConvertToMixedPreset = r.Bool(prms, $"{at}.params.convert_to_mixed_preset") ?? s.Control.ConvertToMixedPreset,
                        },
                    };
                    break;
                default:
                    r.Fail($"{at}.name", $"is \"{name}\"; known algorithms: DefaultQuantization, AccuracyAwareQuantization");
                    break;
            }
        }

        return s with { AccuracyAware = accuracyAware || s.AccuracyAware };
    }

    private static QuantizationOptions DefaultQuantizationParams(Reader r, JsonElement prms, string at, QuantizationOptions q)
    {
        if (prms.ValueKind == JsonValueKind.Undefined) return q;
        var ignored = q.IgnoredScope;
        if (prms.TryGetProperty("ignored", out var ig))
        {
            r.Object(ig, $"{at}.ignored", IgnoredKeys);
            var types = new List<string>();
            if (ig.TryGetProperty("operations", out var ops))
            {
                if (ops.ValueKind != JsonValueKind.Array) r.Fail($"{at}.ignored.operations", "must be a list of {\"type\": \"OpType\"}");
                int i = 0;
                foreach (var op in ops.EnumerateArray())
                {
                    r.Object(op, $"{at}.ignored.operations[{i}]", ["type"]);
                    types.Add(r.String(op, $"{at}.ignored.operations[{i++}].type") ?? r.Fail<string>($"{at}.ignored.operations[{i - 1}].type", "is missing"));
                }
            }

            ignored = new IgnoredScope
            {
                Names = r.Strings(ig, $"{at}.ignored.scope") ?? ignored.Names,
                Patterns = r.Strings(ig, $"{at}.ignored.patterns") ?? ignored.Patterns,
                Types = types.Count > 0 ? types : ignored.Types,
            };
        }

        var activationRange = q.ActivationRange;
        var weightRange = q.WeightRange;
        if (prms.TryGetProperty("range_estimator", out var re))
        {
            r.Object(re, $"{at}.range_estimator", ["activations", "weights"]);
            if (re.TryGetProperty("activations", out var a)) activationRange = Estimator(r, a, $"{at}.range_estimator.activations", activationRange);
            if (re.TryGetProperty("weights", out var w)) weightRange = Estimator(r, w, $"{at}.range_estimator.weights", weightRange);
        }

        return q with
        {
            ActivationRange = activationRange,
            WeightRange = weightRange,
            Preset = r.String(prms, $"{at}.preset") is { } preset ? DataOptions.ParseEnum<QuantizationPreset>(preset, r.Key($"{at}.preset")) : q.Preset,
            SubsetSize = r.Int(prms, $"{at}.stat_subset_size") ?? q.SubsetSize,
            BatchSize = r.Int(prms, $"{at}.stat_batch_size") ?? q.BatchSize,
            Seed = r.Int(prms, $"{at}.seed") ?? q.Seed,
            OverflowFix = r.String(prms, $"{at}.overflow_fix") is { } fix ? DataOptions.ParseEnum<OverflowFix>(fix, r.Key($"{at}.overflow_fix")) : q.OverflowFix,
            HoldOutSize = r.Int(prms, $"{at}.hold_out") ?? q.HoldOutSize,
            SmoothQuantAlpha = r.Number(prms, $"{at}.smooth_quant_alpha") is { } alpha ? (float)alpha : q.SmoothQuantAlpha,
            BiasCorrection = r.String(prms, $"{at}.bias_correction") is { } bc ? DataOptions.ParseEnum<BiasCorrectionMode>(bc, r.Key($"{at}.bias_correction")) : q.BiasCorrection,
            IgnoredScope = ignored,
        };
    }

    private static RangeEstimator Estimator(Reader r, JsonElement e, string at, RangeEstimator current)
    {
        r.Object(e, at, EstimatorKeys);
        return current with
        {
            Kind = r.String(e, $"{at}.type") is { } type ? DataOptions.ParseEnum<RangeEstimatorKind>(type, r.Key($"{at}.type")) : current.Kind,
            Aggregator = r.String(e, $"{at}.aggregator") is { } agg ? DataOptions.ParseEnum<StatisticAggregator>(agg, r.Key($"{at}.aggregator")) : current.Aggregator,
            OutlierProb = r.Number(e, $"{at}.outlier_prob") ?? current.OutlierProb,
            Percentile = r.Number(e, $"{at}.percentile") ?? current.Percentile,
        };
    }

    private static JsonObject EstimatorJson(RangeEstimator e) => new()
    {
        ["type"] = e.Kind.ToString().ToLowerInvariant(),
        ["aggregator"] = Kebab(e.Aggregator),
        ["outlier_prob"] = e.OutlierProb,
        ["percentile"] = e.Percentile,
    };

    /// <summary>The effective settings in the file's structure, defaults included: what <c>--print-config</c> shows.</summary>
    public static string ToJson(QuantizeSettings s)
    {
        var q = s.Quantization;
        var p = s.Preprocessing;
        var defaultParams = new JsonObject
        {
            ["preset"] = Kebab(q.Preset),
            ["stat_subset_size"] = q.SubsetSize,
            ["stat_batch_size"] = q.BatchSize,
            ["seed"] = q.Seed,
            ["ignored"] = new JsonObject
            {
                ["scope"] = Array(q.IgnoredScope.Names),
                ["patterns"] = Array(q.IgnoredScope.Patterns),
                ["operations"] = new JsonArray(q.IgnoredScope.Types.Select(t => (JsonNode)new JsonObject { ["type"] = t }).ToArray()),
            },
            ["overflow_fix"] = Kebab(q.OverflowFix),
            ["bias_correction"] = Kebab(q.BiasCorrection),
            ["range_estimator"] = new JsonObject { ["activations"] = EstimatorJson(q.ActivationRange), ["weights"] = EstimatorJson(q.WeightRange) },
            ["smooth_quant_alpha"] = q.SmoothQuantAlpha,
            ["hold_out"] = q.HoldOutSize,
        };
        var algorithms = new JsonArray();
        if (s.AccuracyAware)
        {
            var prms = (JsonObject)defaultParams.DeepClone();
            prms["metric"] = s.Metric;
            prms["maximal_drop"] = s.Control.MaxDrop;
            prms["drop_type"] = Kebab(s.Control.DropType);
            prms["ranking_subset_size"] = s.Control.RankingSubsetSize;
            prms["max_iter_num"] = s.Control.MaxIterations;
            prms["convert_to_mixed_preset"] = s.Control.ConvertToMixedPreset;
            algorithms.Add(new JsonObject { ["name"] = "AccuracyAwareQuantization", ["params"] = prms });
        }
        else
        {
            algorithms.Add(new JsonObject { ["name"] = "DefaultQuantization", ["params"] = defaultParams });
        }

        var root = new JsonObject
        {
            ["model"] = new JsonObject { ["model_name"] = s.ModelName ?? (s.Model is null ? null : Path.GetFileNameWithoutExtension(s.Model)), ["model"] = s.Model, ["output"] = s.Output },
            ["engine"] = new JsonObject
            {
                ["type"] = "simplified",
                ["data_source"] = s.Data,
                ["validation"] = s.Validation,
                ["labels"] = s.Labels,
                ["layout"] = p.Layout.ToString(),
                ["color"] = p.ColorOrder.ToString(),
                ["mean"] = new JsonArray(p.Mean.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
                ["scale"] = new JsonArray(p.Scale.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
                ["image_size"] = p.Width is int w ? (p.Height is int h && h != w ? $"{w}x{h}" : w.ToString(CultureInfo.InvariantCulture)) : null,
                ["center_crop"] = p.CenterCrop,
            },
            ["compression"] = new JsonObject
            {
                ["target_device"] = TargetDeviceNames.Name(q.TargetDevice),
                ["model_type"] = q.ModelType == ModelType.Transformer ? "transformer" : null,
                ["hardware_config"] = s.HardwareConfig,
                ["algorithms"] = algorithms,
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static string Kebab<T>(T value) where T : struct, Enum => DataOptions.Kebab(value.ToString());

    private static JsonArray Array(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    /// <summary>Typed reads whose errors name the file and the key path.</summary>
    private sealed class Reader(string file)
    {
        public string Key(string path) => $"Config file '{file}': {path}";

        public void Fail(string path, string problem) => throw new PtqException($"{Key(path)} {problem}.");

        public T Fail<T>(string path, string problem) => throw new PtqException($"{Key(path)} {problem}.");

        public void Object(JsonElement e, string path, string[] known)
        {
            if (e.ValueKind != JsonValueKind.Object) Fail(path, "must be a JSON object");
            foreach (var p in e.EnumerateObject().Where(p => !known.Contains(p.Name)))
            {
                Fail(path == "(top level)" ? p.Name : $"{path}.{p.Name}", $"is not a known key; expected one of: {string.Join(", ", known)}");
            }
        }

        public JsonElement? Section(JsonElement root, string name, string[] known)
        {
            if (!root.TryGetProperty(name, out var e)) return null;
            Object(e, name, known);
            return e;
        }

        private bool TryGet(JsonElement e, string path, out JsonElement value)
        {
            value = default;
            return e.ValueKind == JsonValueKind.Object && e.TryGetProperty(path[(path.LastIndexOf('.') + 1)..], out value) && value.ValueKind != JsonValueKind.Null;
        }

        public string? String(JsonElement e, string path) =>
            !TryGet(e, path, out var v) ? null : v.ValueKind == JsonValueKind.String ? v.GetString() : Fail<string>(path, "must be a string");

        public double? Number(JsonElement e, string path) =>
            !TryGet(e, path, out var v) ? null : v.ValueKind == JsonValueKind.Number ? v.GetDouble() : Fail<double>(path, "must be a number");

        public int? Int(JsonElement e, string path) =>
            !TryGet(e, path, out var v) ? null : v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : Fail<int>(path, "must be an integer");

        public bool? Bool(JsonElement e, string path) =>
            !TryGet(e, path, out var v) ? null : v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : Fail<bool>(path, "must be true or false");

        public IReadOnlyList<string>? Strings(JsonElement e, string path) =>
            !TryGet(e, path, out var v) ? null
            : v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String) ? v.EnumerateArray().Select(x => x.GetString()!).ToList()
            : Fail<List<string>>(path, "must be a list of strings");

        /// <summary>A number, a list of numbers (per channel), or a comma-separated string.</summary>
        public IReadOnlyList<float>? Floats(JsonElement e, string path)
        {
            if (!TryGet(e, path, out var v)) return null;
            return v.ValueKind switch
            {
                JsonValueKind.Number => [v.GetSingle()],
                JsonValueKind.Array when v.GetArrayLength() > 0 && v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number) => v.EnumerateArray().Select(x => x.GetSingle()).ToList(),
                JsonValueKind.String => DataOptions.ParseFloats(v.GetString()!, Key(path)),
                _ => Fail<float[]>(path, "must be a number or a list of numbers"),
            };
        }
    }
}
