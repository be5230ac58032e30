using System.Text.Json;
using System.Text.Json.Nodes;

namespace PtqSharp.Cli.Config;

/// <summary>
/// POT's configuration file: a <c>model</c> section, an <c>engine</c> section (data and
/// preprocessing) and a <c>compression</c> section with <c>target_device</c>, <c>model_type</c> and an
/// ordered <c>algorithms</c> list (DefaultQuantization, AccuracyAwareQuantization) with their
/// <c>params</c>. Every key is a row of <see cref="QuantizeOptions"/>; comments and trailing commas are
/// allowed, null means "not given", and an unknown key is an error naming its path and the keys
/// expected there. POT keys PtqSharp cannot honour are read with a warning.
/// </summary>
internal static class PotConfig
{
    private static readonly string[] TopKeys = ["model", "engine", "compression"];
    private static readonly string[] AlgorithmKeys = ["name", "params"];

    /// <summary>Applies the file at <paramref name="path"/> over <paramref name="settings"/>.</summary>
    public static QuantizeSettings Load(string path, QuantizeSettings settings)
    {
        FilePaths.ThrowIfNotFile(path, "Config file");
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

        var ctx = new ConfigContext(path);
        if (root.ValueKind != JsonValueKind.Object) ctx.Fail<int>("(top level)", "must be a JSON object");
        foreach (var p in root.EnumerateObject().Where(p => !TopKeys.Contains(p.Name)))
        {
            ctx.Fail<int>(p.Name, $"is not a known key; expected one of: {string.Join(", ", TopKeys)}");
        }

        var s = settings;
        if (Section(root, "model") is { } model) s = Read(model, "model", [ConfigSection.Model], "", ctx, s);
        if (Section(root, "engine") is { } engine) s = Read(engine, "engine", [ConfigSection.Engine], "", ctx, s);
        if (Section(root, "compression") is { } compression)
        {
            s = Read(compression, "compression", [ConfigSection.Compression], "", ctx, s, extraKeys: ["algorithms"]);
            if (compression.TryGetProperty("algorithms", out var algorithms) && algorithms.ValueKind != JsonValueKind.Null) s = Algorithms(algorithms, ctx, s);
        }

        if (s.AccuracyCheckerKeys.Count > 0)
        {
            if (!s.SimplifiedEngine)
            {
                ctx.Fail<int>("engine", $"uses POT's Accuracy Checker engine ({string.Join(", ", s.AccuracyCheckerKeys)}), which PtqSharp does not run. Use POT's simplified mode: set \"type\": \"simplified\", \"data_source\" to a folder of calibration samples and, for AccuracyAwareQuantization, \"validation\" (and \"labels\") to annotated data");
            }

            ctx.Warn(string.Join(", ", s.AccuracyCheckerKeys), $"{(s.AccuracyCheckerKeys.Count == 1 ? "is" : "are")} for POT's Accuracy Checker engine, ignored in simplified mode.");
        }

        return s with { Warnings = [.. s.Warnings, .. ctx.Warnings] };
    }

    private static JsonElement? Section(JsonElement root, string name) =>
        root.TryGetProperty(name, out var e) && e.ValueKind != JsonValueKind.Null ? e : null;

    /// <summary>Reads the keys of one object against the rows of <paramref name="sections"/>, descending into nested keys.</summary>
    private static QuantizeSettings Read(JsonElement obj, string path, ConfigSection[] sections, string prefix, ConfigContext ctx, QuantizeSettings s, string[]? extraKeys = null)
    {
        if (obj.ValueKind != JsonValueKind.Object) ctx.Fail<int>(path, "must be a JSON object");
        var rows = QuantizeOptions.All.Where(r => r.Key is not null && sections.Contains(r.Section)).ToList();
        foreach (var p in obj.EnumerateObject())
        {
            string key = prefix + p.Name, at = $"{path}.{p.Name}";
            if (extraKeys?.Contains(p.Name) == true || p.Value.ValueKind == JsonValueKind.Null) continue;
            if (rows.FirstOrDefault(r => r.Key == key) is { } row) s = row.FromJson(p.Value, ctx, at, s);
            else if (rows.Any(r => r.Key!.StartsWith(key + ".", StringComparison.Ordinal))) s = Read(p.Value, at, sections, key + ".", ctx, s);
            else
            {
                var known = rows.Where(r => r.Key!.StartsWith(prefix, StringComparison.Ordinal)).Select(r => r.Key![prefix.Length..].Split('.')[0]).Concat(extraKeys ?? []).Distinct();
                ctx.Fail<int>(at, $"is not a known key; expected one of: {string.Join(", ", known)}");
            }
        }

        return s;
    }

    private static QuantizeSettings Algorithms(JsonElement algorithms, ConfigContext ctx, QuantizeSettings s)
    {
        if (algorithms.ValueKind != JsonValueKind.Array) ctx.Fail<int>("compression.algorithms", "must be a list of {\"name\": ..., \"params\": {...}}");
        int k = 0;
        bool accuracyAware = false;
        foreach (var algorithm in algorithms.EnumerateArray())
        {
            string at = $"compression.algorithms[{k++}]";
            if (algorithm.ValueKind != JsonValueKind.Object) ctx.Fail<int>(at, "must be a JSON object");
            foreach (var p in algorithm.EnumerateObject().Where(p => !AlgorithmKeys.Contains(p.Name)))
            {
                ctx.Fail<int>($"{at}.{p.Name}", $"is not a known key; expected one of: {string.Join(", ", AlgorithmKeys)}");
            }

            var name = algorithm.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : ctx.Fail<string>($"{at}.name", "is missing");
            ConfigSection[] sections = name switch
            {
                "DefaultQuantization" => [ConfigSection.Params],
                "AccuracyAwareQuantization" => [ConfigSection.Params, ConfigSection.AccuracyParams], // it takes DefaultQuantization's params too
                _ => ctx.Fail<ConfigSection[]>($"{at}.name", $"is \"{name}\"; known algorithms: DefaultQuantization, AccuracyAwareQuantization"),
            };
            accuracyAware |= name == "AccuracyAwareQuantization";
            if (algorithm.TryGetProperty("params", out var prms) && prms.ValueKind != JsonValueKind.Null) s = Read(prms, $"{at}.params", sections, "", ctx, s);
        }

        return s with { AccuracyAware = accuracyAware || s.AccuracyAware };
    }

    /// <summary>The effective settings in the file's structure, defaults included: what <c>--print-config</c> shows.</summary>
    public static string ToJson(QuantizeSettings s)
    {
        JsonObject Section(ConfigSection section)
        {
            var result = new JsonObject();
            foreach (var row in QuantizeOptions.All.Where(r => r.Section == section && r.Key is not null && r.Printed))
            {
                var value = row.ToJson(s);
                if (value is null && (row.Flag is null || row.Key!.Contains('.'))) continue;
                var parts = row.Key!.Split('.');
                var target = result;
                foreach (var part in parts[..^1])
                {
                    if (target[part] is not JsonObject child) target[part] = child = new JsonObject();
                    target = child;
                }

                target[parts[^1]] = value;
            }

            return result;
        }

        var prms = Section(ConfigSection.Params);
        if (s.AccuracyAware)
        {
            foreach (var (key, value) in Section(ConfigSection.AccuracyParams).ToList()) prms[key] = value?.DeepClone();
        }

        var compression = Section(ConfigSection.Compression);
        compression["algorithms"] = new JsonArray(new JsonObject { ["name"] = s.AccuracyAware ? "AccuracyAwareQuantization" : "DefaultQuantization", ["params"] = prms });
        var engine = Section(ConfigSection.Engine);
        engine["type"] = "simplified";
        var root = new JsonObject { ["model"] = Section(ConfigSection.Model), ["engine"] = engine, ["compression"] = compression };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}
