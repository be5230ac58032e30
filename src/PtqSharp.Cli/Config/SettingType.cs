using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PtqSharp.Cli.Config;

/// <summary>
/// How one kind of setting value is read from the command line and from a config file, checked, and
/// printed back. Every error names where the value came from: the flag, or the file and key path.
/// </summary>
/// <typeparam name="T">The value's type in <see cref="QuantizeSettings"/>.</typeparam>
internal sealed class SettingType<T>
{
    /// <summary>What the option's value looks like in help, e.g. "N" or "performance|mixed|accuracy".</summary>
    public required string HelpName { get; init; }

    /// <summary>Parses command-line text; the second argument names the flag in errors.</summary>
    public required Func<string, string, T> FromText { get; init; }

    /// <summary>For list options (repeatable, several values per flag): parses the values given; null for single-value options.</summary>
    public Func<IReadOnlyList<string>, string, T>? FromTexts { get; init; }

    /// <summary>Parses a JSON value given the current value; the last argument is the key path for errors and warnings.</summary>
    public required Func<JsonElement, T, ConfigContext, string, T> FromJson { get; init; }

    /// <summary>The value as --print-config shows it; null leaves the key out.</summary>
    public required Func<T, JsonNode?> ToJson { get; init; }

    /// <summary>A command-line switch: given alone means true.</summary>
    public bool IsFlag { get; init; }

    /// <summary>The value as help shows a default.</summary>
    public Func<T, string?> ToText { get; init; } = v => v?.ToString();
}

/// <summary>The setting types of <c>ptq quantize</c>'s options and config keys.</summary>
internal static class SettingTypes
{
    public static SettingType<int> Int(int min) => new()
    {
        HelpName = "N",
        FromText = (text, where) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? AtLeast(v, min, where) : throw new PtqException($"{where} '{text}' is not an integer."),
        FromJson = (e, _, ctx, path) => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var v) ? AtLeast(v, min, ctx.Key(path)) : ctx.Fail<int>(path, "must be an integer"),
        ToJson = v => v,
        ToText = v => v.ToString(CultureInfo.InvariantCulture),
    };

    public static SettingType<double> Number(double min, double max) => new()
    {
        HelpName = "X",
        FromText = (text, where) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? Within(v, min, max, where) : throw new PtqException($"{where} '{text}' is not a number."),
        FromJson = (e, _, ctx, path) => e.ValueKind == JsonValueKind.Number ? Within(e.GetDouble(), min, max, ctx.Key(path)) : ctx.Fail<double>(path, "must be a number"),
        ToJson = v => v,
        ToText = v => v.ToString(CultureInfo.InvariantCulture),
    };

    public static SettingType<bool> Bool { get; } = new()
    {
        HelpName = "true|false",
        IsFlag = true,
        FromText = (text, where) => bool.TryParse(text, out var v) ? v : throw new PtqException($"{where} '{text}' is not true or false."),
        FromJson = (e, _, ctx, path) => e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : ctx.Fail<bool>(path, "must be true or false"),
        ToJson = v => v,
        ToText = v => v ? "true" : "false",
    };

    public static SettingType<string?> Text { get; } = new()
    {
        HelpName = "TEXT",
        FromText = (text, _) => text,
        FromJson = (e, _, ctx, path) => e.ValueKind == JsonValueKind.String ? e.GetString() : ctx.Fail<string>(path, "must be a string"),
        ToJson = v => v,
    };

    /// <summary>A file or folder; relative paths in a config file are relative to the file.</summary>
    public static SettingType<string?> Path { get; } = new()
    {
        HelpName = "PATH",
        FromText = (text, _) => text,
        FromJson = (e, _, ctx, path) => e.ValueKind == JsonValueKind.String ? ctx.Resolve(e.GetString()!) : ctx.Fail<string>(path, "must be a path (a string)"),
        ToJson = v => v,
    };

    /// <summary>One of named values; names compare case-insensitively with '-' and '_' alike.</summary>
    public static SettingType<T> Choice<T>(params (string Name, T Value)[] choices) => new()
    {
        HelpName = string.Join("|", choices.Select(c => c.Name)),
        FromText = (text, where) => ChoiceOf(text, choices) is { } v ? v.Value : throw new PtqException($"{where} '{text}' is not one of: {string.Join(", ", choices.Select(c => c.Name))}."),
        FromJson = (e, _, ctx, path) => e.ValueKind == JsonValueKind.String && ChoiceOf(e.GetString()!, choices) is { } v
            ? v.Value
            : ctx.Fail<T>(path, $"{(e.ValueKind == JsonValueKind.String ? $"'{e.GetString()}' is" : "must be")} one of: {string.Join(", ", choices.Select(c => c.Name))}"),
        ToJson = v => choices.First(c => EqualityComparer<T>.Default.Equals(c.Value, v)).Name,
        ToText = v => choices.First(c => EqualityComparer<T>.Default.Equals(c.Value, v)).Name,
    };

    /// <summary>Every value of an enum, by its kebab-case name (MeanNoOutliers is mean-no-outliers; POT's mean_no_outliers is read too).</summary>
    public static SettingType<T> Enum<T>() where T : struct, System.Enum =>
        Choice(System.Enum.GetValues<T>().Select(v => (Kebab(v.ToString()), v)).ToArray());

    public static SettingType<IReadOnlyList<string>> Strings { get; } = new()
    {
        HelpName = "TEXT",
        FromText = (text, _) => [text],
        FromTexts = (items, _) => items.ToList(),
        FromJson = (e, _, ctx, path) => e.ValueKind == JsonValueKind.Array && e.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String)
            ? e.EnumerateArray().Select(x => x.GetString()!).ToList()
            : ctx.Fail<List<string>>(path, "must be a list of strings"),
        ToJson = v => new JsonArray(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
        ToText = v => v.Count == 0 ? null : string.Join(" ", v),
    };

    /// <summary>One value or one per channel: a number, a list of numbers, or comma-separated text.</summary>
    public static SettingType<IReadOnlyList<float>> Floats { get; } = new()
    {
        HelpName = "X[,X,X]",
        FromText = ParseFloats,
        FromJson = (e, _, ctx, path) => e.ValueKind switch
        {
            JsonValueKind.Number => [e.GetSingle()],
            JsonValueKind.Array when e.GetArrayLength() > 0 && e.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number) => e.EnumerateArray().Select(x => x.GetSingle()).ToList(),
            JsonValueKind.String => ParseFloats(e.GetString()!, ctx.Key(path)),
            _ => ctx.Fail<float[]>(path, "must be a number or a list of numbers"),
        },
        ToJson = v => new JsonArray(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
        ToText = v => string.Join(",", v.Select(x => x.ToString(CultureInfo.InvariantCulture))),
    };

    /// <summary>N or WxH (a number in a config file is N).</summary>
    public static SettingType<(int? Width, int? Height)> ImageSize { get; } = new()
    {
        HelpName = "N|WxH",
        FromText = ParseImageSize,
        FromJson = (e, _, ctx, path) => e.ValueKind switch
        {
            JsonValueKind.String => ParseImageSize(e.GetString()!, ctx.Key(path)),
            JsonValueKind.Number when e.TryGetInt32(out var n) && n > 0 => (n, n),
            _ => ctx.Fail<(int?, int?)>(path, "must be N or \"WxH\""),
        },
        ToJson = v => v.Width is int w ? (v.Height is int h && h != w ? $"{w}x{h}" : w.ToString(CultureInfo.InvariantCulture)) : null,
        ToText = _ => null,
    };

    /// <summary>A float that may be absent.</summary>
    public static SettingType<float?> OptionalFloat(float min, float max) => new()
    {
        HelpName = "X",
        FromText = (text, where) => float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? (float)Within(v, min, max, where) : throw new PtqException($"{where} '{text}' is not a number."),
        FromJson = (e, _, ctx, path) => e.ValueKind == JsonValueKind.Number ? (float)Within(e.GetDouble(), min, max, ctx.Key(path)) : ctx.Fail<float?>(path, "must be a number"),
        ToJson = v => v,
        ToText = v => v?.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Any value: a POT key PtqSharp reads but does not use; a warning says so when <paramref name="warn"/> returns a message.</summary>
    public static SettingType<bool> Accepted(Func<JsonElement, string?> warn) => new()
    {
        HelpName = "",
        FromText = (_, _) => true,
        FromJson = (e, current, ctx, path) =>
        {
            if (warn(e) is { } message) ctx.Warn(path, message);
            return current;
        },
        ToJson = _ => null,
    };

    internal static string Kebab(string name) =>
        string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) && !char.IsUpper(name[i - 1]) ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    internal static float[] ParseFloats(string text, string where)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                throw new PtqException($"{where} '{text}': '{parts[i]}' is not a number.");
            }
        }

        return parts.Length > 0 ? values : throw new PtqException($"{where} needs at least one value.");
    }

    /// <summary>N or WxH.</summary>
    internal static (int? Width, int? Height) ParseImageSize(string size, string where)
    {
        var parts = size.Split('x', 'X');
        if (parts.Length is < 1 or > 2 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0))
        {
            throw new PtqException($"{where} '{size}' is not N or WxH with positive integers.");
        }

        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[^1], CultureInfo.InvariantCulture));
    }

    private static (string Name, T Value)? ChoiceOf<T>(string text, (string Name, T Value)[] choices)
    {
        static string Key(string s) => s.Replace("-", string.Empty).Replace("_", string.Empty).ToLowerInvariant();
        foreach (var c in choices)
        {
            if (Key(c.Name) == Key(text)) return c;
        }

        return null;
    }

    private static int AtLeast(int v, int min, string where) => v >= min ? v : throw new PtqException($"{where} must be at least {min} (got {v}).");

    private static double Within(double v, double min, double max, string where) =>
        double.IsFinite(v) && v >= min && v <= max ? v : throw new PtqException($"{where} must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)} (got {v.ToString(CultureInfo.InvariantCulture)}).");
}
