using System.Text.Json;

namespace PtqSharp.Hardware;

/// <summary>
/// Typed reads of rule files (device rules, operator metatypes) whose errors name the file and the key
/// path, e.g. <c>operations.Conv.activations[1].mode</c>, and the allowed values; unknown keys fail.
/// </summary>
internal sealed class JsonRuleReader(string what)
{
    public T Fail<T>(string key, string problem) => ThrowHelper.Throw<T>($"{what}: '{key}' {problem}.");

    public void Expect(JsonElement e, JsonValueKind kind, string key)
    {
        if (e.ValueKind != kind) Fail<int>(key.Length == 0 ? "(top level)" : key, $"must be a JSON {kind.ToString().ToLowerInvariant()} (got {e.ValueKind.ToString().ToLowerInvariant()})");
    }

    public void KnownKeys(JsonElement e, string[] known, string path)
    {
        foreach (var p in e.EnumerateObject().Where(p => !known.Contains(p.Name)))
        {
            Fail<int>(path.Length == 0 ? p.Name : $"{path}.{p.Name}", $"is not a known key; expected one of: {string.Join(", ", known)}");
        }
    }

    public JsonElement Required(JsonElement e, string name, JsonValueKind? kind = null)
    {
        if (!e.TryGetProperty(name, out var value)) return Fail<JsonElement>(name, "is missing");
        if (kind is { } k) Expect(value, k, name);
        return value;
    }

    public JsonElement? Optional(JsonElement e, string name, JsonValueKind kind)
    {
        if (!e.TryGetProperty(name, out var value)) return null;
        Expect(value, kind, name);
        return value;
    }

    public bool Bool(JsonElement e, string name, string key)
    {
        if (!e.TryGetProperty(name, out var value)) return false;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => Fail<bool>(key, "must be true or false"),
        };
    }

    public T Enum<T>(JsonElement e, string name, string key, T fallback, params (string Name, T Value)[] choices)
    {
        if (!e.TryGetProperty(name, out var value)) return fallback;
        var text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        foreach (var (n, v) in choices)
        {
            if (n == text) return v;
        }

        return Fail<T>(key, $"must be one of {string.Join(", ", choices.Select(c => $"\"{c.Name}\""))} (got {value})");
    }

    public IEnumerable<string> Strings(JsonElement e, string name, string? key = null, string what = "op types")
    {
        if (!e.TryGetProperty(name, out var value)) return [];
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
        {
            return Fail<string[]>(key ?? name, $"must be a list of {what}");
        }

        return value.EnumerateArray().Select(x => x.GetString()!).ToList();
    }

    /// <summary>An optional integer; <paramref name="min"/> and <paramref name="max"/> bound it.</summary>
    public int? Int(JsonElement e, string name, string key, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!e.TryGetProperty(name, out var value)) return null;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var v) && v >= min && v <= max
            ? v
            : Fail<int>(key, min == 0 ? "must be an input index (0 or more)" : max < int.MaxValue ? $"must be an integer from {min} to {max}" : "must be an integer");
    }

    /// <summary>An optional list of integers at least <paramref name="min"/>.</summary>
    public IReadOnlyList<int> Ints(JsonElement e, string name, string key, int min = 0)
    {
        if (!e.TryGetProperty(name, out var value)) return [];
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Number || !x.TryGetInt32(out var v) || v < min))
        {
            return Fail<int[]>(key, "must be a list of input indices");
        }

        return value.EnumerateArray().Select(x => x.GetInt32()).ToList();
    }
}
